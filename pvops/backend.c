// SPDX-License-Identifier: MIT
/*
 * backend.c: the three modes and what each puts in pv_ops and offers the
 * patch engine, per op from the op list. native: the patchlets inline,
 * direct calls to their callable copies (pv_native_NAME_fn: the sequence
 * and ret) as the fallback; hypercall: direct calls to the hypercall
 * stubs; unpatched: nothing offered, every site stays an indirect call.
 */
#include "pv_backend.h"

/* Where the sites start: the native functions, callable at any time. */
struct pv_ops pv_ops = {
#define PV_OPS_INIT(name, NAME, contract, shape, bench, batch)                 \
	.name = pv_native_##name##_fn,
    PV_OP_LIST(PV_OPS_INIT)
#undef PV_OPS_INIT
};

/* Each op's function per mode, and the registers it changes. */
static const struct pv_target native_targets[PV_OP_COUNT] = {
#define PV_NATIVE_TARGET(name, NAME, contract, shape, bench, batch)            \
	[PV_OP_##NAME] = {(uintptr_t)pv_native_##name##_fn,                    \
			  PV_CLOBBERS_##contract},
    PV_OP_LIST(PV_NATIVE_TARGET)
#undef PV_NATIVE_TARGET
};

/* The stubs save every register but rax: callee-save, whatever the op. */
static const struct pv_target hypercall_targets[PV_OP_COUNT] = {
#define PV_HC_TARGET(name, NAME, contract, shape, bench, batch)                \
	[PV_OP_##NAME] = {(uintptr_t)pv_hc_##name, PV_CLOBBERS_CALLEE_SAVE},
    PV_OP_LIST(PV_HC_TARGET)
#undef PV_HC_TARGET
};

static const char *const mode_names[PV_MODE_COUNT] = {
    [PV_MODE_NATIVE] = "native",
    [PV_MODE_HYPERCALL] = "hypercall",
    [PV_MODE_UNPATCHED] = "unpatched",
};

const char *pv_mode_name(enum pv_mode mode)
{
	return (unsigned)mode < PV_MODE_COUNT ? mode_names[mode] : "?";
}

int pv_mode_parse(const char *s, size_t n, enum pv_mode *mode)
{
	for (unsigned m = 0; m < PV_MODE_COUNT; m++) {
		const char *name = mode_names[m];
		size_t len = __builtin_strlen(name);

		if (n == len && __builtin_memcmp(s, name, n) == 0) {
			*mode = (enum pv_mode)m;
			return 0;
		}
	}
	return -PV_EINVAL;
}

/* Slot n of struct pv_ops is op n (checked in pv_ops.h). Each slot is one
 * aligned store: other CPUs may be calling through it (a live switch). */
void pv_ops_fill(struct pv_ops *ops, const struct pv_target *t)
{
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		__atomic_store_n(
		    (const void **)((char *)ops + op * sizeof(void *)),
		    (const void *)t[op].addr, __ATOMIC_RELEASE);
}

void pv_backend_offer(enum pv_mode mode, struct pv_backend *be)
{
	const struct pv_target *t =
	    mode == PV_MODE_HYPERCALL ? hypercall_targets : native_targets;

	*be = (struct pv_backend){.table = &pv_ops};
	if (mode == PV_MODE_UNPATCHED)
		return;
	for (unsigned op = 0; op < PV_OP_COUNT; op++) {
		be->direct[op] = t[op];
		if (mode == PV_MODE_NATIVE) {
			be->native[op] = pv_native_patchlets[op];
			be->native_fit[op] = pv_native_fit_patchlets[op];
		}
	}
}

void pv_backend_install(enum pv_mode mode)
{
	pv_ops_fill(&pv_ops, mode == PV_MODE_HYPERCALL ? hypercall_targets
						       : native_targets);
}
