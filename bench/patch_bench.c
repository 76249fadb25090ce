// SPDX-License-Identifier: MIT
/*
 * patch_bench.c: the patch engine, built for the host, on synthetic
 * images of 100 to 100,000 pv-op sites (the real indirect-call template,
 * every site turned into its native patchlet, as the guest's native mode
 * does). Prints `ns_per_site.N=...` for each size N, a line each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pv_bug.h"
#include "pv_host.h"

#define MAX_SITES   100000u
#define SITE_STRIDE 8u /* 6-byte sites, 8 bytes apart */

/* In the binary, so sites, records and table are within rel32 reach. */
static uint8_t image[MAX_SITES * SITE_STRIDE];
static struct pv_patch_site recs[MAX_SITES];

void pv_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "patch_bench: PV_BUG_ON(%s) at %s:%d\n", cond, file,
		line);
	abort();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns per site over (reps) patchings of (n) fresh sites. */
static double ns_per_site(const struct pv_patch_ctx *ctx, unsigned n,
			  unsigned reps)
{
	double t[64];

	for (unsigned r = 0; r < reps; r++) {
		struct pv_patch_stats st = {0};
		double t0;

		for (unsigned i = 0; i < n; i++)
			pv_host_make_op_site(image + i * SITE_STRIDE, &recs[i],
					     i % PV_OP_COUNT,
					     PV_CLOBBERS_NORMAL);
		t0 = now_ns();
		if (pv_apply(recs, recs + n, ctx, &st) != 0 ||
		    st.actions[PV_ACT_NATIVE] != n) {
			fprintf(stderr, "patch_bench: patching failed\n");
			exit(1);
		}
		t[r] = (now_ns() - t0) / n;
	}
	qsort(t, reps, sizeof(t[0]), cmp_double);
	return t[reps / 2];
}

int main(void)
{
	static const unsigned sizes[] = {100, 1000, 10000, 100000};
	struct pv_patch_ctx ctx;
	struct pv_backend be = {.table = pv_host_table};

	pv_host_ctx(&ctx);
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		be.native[op] = pv_native_patchlets[op];
	ctx.backends = &be;
	ctx.nbackends = 1;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		printf("ns_per_site.%u=%.2f\n", sizes[i],
		       ns_per_site(&ctx, sizes[i], sizes[i] < 10000 ? 51 : 11));
	return 0;
}
