/*
 * fuzz_sketch_compact.c: libFuzzer target for the compact (binary, on-disk)
 * decoder of csat.sketch, sk_compact_check() + sk_compact_decode(); the input
 * is a payload as csat.sketch_recv receives it.
 */
#include "fuzz_sketch_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			nq;
	int32_t		base,
				cap;
	sk_work    *w;

	if (sk_compact_check(data, size, &nq, &base, &cap) != SK_OK)
		return 0;
	if (cap < 1 || cap > SK_MAX_BINS || nq > SK_MAX_Q)
		abort();
	w = malloc(sk_work_size(nq, cap));
	sk_compact_decode(data, size, w, base, cap);
	fz_exercise(w);
	free(w);
	return 0;
}
