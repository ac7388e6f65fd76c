/*
 * fuzz_sketch_common.h: checks shared by the sketch decoders' fuzz targets:
 * whatever a decoder accepts must behave like any sketch (queries stay in
 * range, both codecs round-trip it exactly, merging and adding work).
 */
#ifndef FUZZ_SKETCH_COMMON_H
#define FUZZ_SKETCH_COMMON_H

#include "sketch_core.h"

#include <stdlib.h>
#include <string.h>

static sk_work *
fz_grow(sk_work *w, int32_t nb, int32_t nc)
{
	sk_work    *n = malloc(sk_work_size(w->nq, nc));

	sk_rebuild(w, n, nb, nc);
	free(w);
	return n;
}

static void
fz_exercise(sk_work *w)
{
	static const double ps[] = {0, 1e-9, 0.01, 0.5, 0.99, 1};
	uint8_t    *buf;
	size_t		len;
	char	   *txt,
			   *txt2;
	int			nq,
				e;
	int32_t		base,
				cap,
				nb,
				nc;
	sk_work    *d,
			   *m;

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
	{
		double		q = sk_quantile(w, ps[i]);

		if (!(q >= w->min && q <= w->max))
			abort();
	}
	{
		double		a = sk_share_at_most(w, w->max / 3);

		if (!(a >= 0 && a <= 1))
			abort();
	}

	/* compact round trip */
	len = sk_compact_bound(w);
	buf = malloc(len);
	if (sk_compact_encode(w, buf) != len)
		abort();
	if (sk_compact_check(buf, len, &nq, &base, &cap) != SK_OK)
		abort();
	d = malloc(sk_work_size(nq, cap));
	sk_compact_decode(buf, len, d, base, cap);

	/* text round trip, canonical */
	txt = malloc(sk_text_bound(w));
	sk_text_format(w, txt);
	txt2 = malloc(sk_text_bound(d));
	sk_text_format(d, txt2);
	if (strcmp(txt, txt2) != 0)
		abort();
	if (sk_text_parse(txt, NULL, &nq, &base, &cap) != SK_OK)
		abort();

	/* merge with itself, then add values far below and above */
	m = malloc(sk_work_size(d->nq, d->cap));
	memcpy(m, d, sk_work_size(d->nq, d->cap));
	e = sk_merge(m, d, &nb, &nc);
	if (e == -1)
	{
		m = fz_grow(m, nb, nc);
		e = sk_merge(m, d, &nb, &nc);
	}
	if (e != SK_OK && e != SK_E_OVERFLOW)
		abort();
	if (m->count < SK_MAX_COUNT - 4)
	{
		static const double xs[] = {1e-300, 0, 3.5, 1e300};

		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		{
			if (!sk_add(m, xs[i]) && !sk_add_slow(m, xs[i], &nb, &nc))
			{
				m = fz_grow(m, nb, nc);
				if (!sk_add(m, xs[i]) && !sk_add_slow(m, xs[i], &nb, &nc))
					abort();
			}
		}
		if (sk_used_range(m, &base, &nb) && nb - base + 1 > SK_MAX_BINS)
			abort();
	}
	free(buf);
	free(txt);
	free(txt2);
	free(d);
	free(m);
}

#endif
