/*
 * fuzz_sketch_text.c: libFuzzer target for the text decoder of csat.sketch,
 * sk_text_parse(); the input is the text csat.sketch_in receives.
 */
#include "fuzz_sketch_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	int			nq;
	int32_t		base,
				cap;
	sk_work    *w;

	memcpy(s, data, size);
	s[size] = '\0';
	if (sk_text_parse(s, NULL, &nq, &base, &cap) == SK_OK)
	{
		if (cap < 1 || cap > SK_MAX_BINS || nq > SK_MAX_Q)
			abort();
		w = malloc(sk_work_size(nq, cap));
		if (sk_text_parse(s, w, &nq, &base, &cap) != SK_OK)
			abort();
		fz_exercise(w);
		free(w);
	}
	free(s);
	return 0;
}
