/* SPDX-License-Identifier: MIT */
/*
 * pv_abi.h: the data the patch engine, the C call-site macros and the NASM
 * macros (pv_site.inc, through build/include/pv_abi.inc) must agree on:
 * op numbers, register masks, record kinds and the two record layouts.
 * Self-contained C99, also compiled on the host for the unit tests.
 */
#ifndef PV_ABI_H
#define PV_ABI_H

#include <stdint.h>

#include "pv_op_list.h"

/*
 * The operations: enum pv_op (PV_OP_x, PV_OP_COUNT) comes from the one op
 * list, include/pv_op_list.h; op n is the n-th 8-byte slot of struct
 * pv_ops (pv_ops.h checks this at compile time).
 */

/*
 * Register masks: bit n = register n in the x86 encoding order. A site
 * records the registers it allows to change; a patchlet or a call target
 * records the registers it changes. Arithmetic flags are always fair game;
 * rsp never is.
 */
enum pv_reg {
	PV_REG_RAX = 0,
	PV_REG_RCX = 1,
	PV_REG_RDX = 2,
	PV_REG_RBX = 3,
	PV_REG_RSP = 4,
	PV_REG_RBP = 5,
	PV_REG_RSI = 6,
	PV_REG_RDI = 7,
	PV_REG_R8 = 8,
	PV_REG_R9 = 9,
	PV_REG_R10 = 10,
	PV_REG_R11 = 11,
	PV_REG_R12 = 12,
	PV_REG_R13 = 13,
	PV_REG_R14 = 14,
	PV_REG_R15 = 15,
};

/* The callee-save contract: only the return register may change. */
#define PV_CLOBBERS_CALLEE_SAVE 0x0001
/* The C calling convention: rax rcx rdx rsi rdi r8-r11 may change. */
#define PV_CLOBBERS_NORMAL 0x0fc7

/*
 * Record kinds: what a struct pv_patch_site asks of the engine. OP: a
 * pv-op call site (native, direct or indirect); FEATURE: the replacement
 * if a CPU feature is (or, with PV_FLAG_ABSENT, is not) there; CALLBACK:
 * a C callback computes the new bytes at boot.
 */
enum pv_kind {
	PV_KIND_OP = 0,
	PV_KIND_FEATURE = 1,
	PV_KIND_CALLBACK = 2,
	PV_KIND_COUNT = 3,
};

/* struct pv_patch_site.flags; FEATURE: apply if the feature is absent. */
#define PV_FLAG_ABSENT 0x01

/*
 * One patch record, in section .pv_patch. Offsets are self-relative:
 * target = (char *)&field + field, so the table needs no relocation.
 *   OP:       key = enum pv_op; repl -> the ops table the site calls
 *             through; clobbers = what the site allows to change.
 *   FEATURE:  key = feature bit (pv_feature.h); repl -> the replacement's
 *             struct pv_patchlet.
 *   CALLBACK: repl -> the callback (patch.h, pv_callback_fn).
 */
struct pv_patch_site {
	int32_t instr; /* -> the site's bytes */
	int32_t repl;  /* -> kind-specific, see above */
	uint16_t key;
	uint8_t kind; /* enum pv_kind */
	uint8_t flags;
	uint8_t instr_len; /* bytes at the site */
	uint8_t pad;
	uint16_t clobbers; /* register mask */
};

#define PV_PATCH_SITE_SIZE 16 /* the NASM macros emit this many bytes */
#define PV_OP_SITE_LEN	   6  /* call [rip + disp32]: every op site */
#define PV_MAX_SITE_LEN	   32 /* longest site the engine patches */

/*
 * One patchlet descriptor, in section .pv_patchlets, emitted by the NASM
 * macro PATCHLET next to the global start/end labels it describes. The
 * engine relocates a patchlet by decoding it (pvops/insn.c), so the
 * descriptor declares no relocations.
 */
struct pv_patchlet {
	int32_t start;	   /* -> first byte (the global start label) */
	uint8_t len;	   /* end label - start label */
	uint8_t op;	   /* enum pv_op it implements, or PV_PATCHLET_* */
	uint16_t clobbers; /* registers the bytes change */
};

#define PV_PATCHLET_SIZE 8

/* Patchlet roles other than an op (struct pv_patchlet.op). */
enum pv_patchlet_role {
	PV_PATCHLET_NOP = 0x80,	     /* a multi-byte NOP, len = its size */
	PV_PATCHLET_CALL = 0x81,     /* call rel32 template */
	PV_PATCHLET_INDIRECT = 0x82, /* call [rip + disp32] template */
	PV_PATCHLET_ALT = 0x83,	     /* an alternative's replacement */
	PV_PATCHLET_TEST = 0x84,     /* used only by the tests */
};

#endif /* PV_ABI_H */
