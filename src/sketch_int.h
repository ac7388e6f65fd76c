/*
 * sketch_int.h: what sketch.c (I/O, aggregates) and sketch_read.c (the
 * accessors) share; internal to them.
 */
#ifndef CSAT_SKETCH_INT_H
#define CSAT_SKETCH_INT_H

#include "sketch_core.h"

/*
 * The sketch in datum d as a working sketch: a working datum as is (read-only
 * for the caller) unless copy is set; a compact one decoded into a new
 * palloc'd working sketch.  A damaged datum is an error (XX001).
 */
extern sk_work *csat_sketch_read(Datum d, bool copy);

/* a percentile outside [0, 1] is an error (22003) */
extern void csat_sketch_check_p(double p);

#endif							/* CSAT_SKETCH_INT_H */
