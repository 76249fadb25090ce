/* SPDX-License-Identifier: MIT */
/*
 * pv_op_list.h: the one list of pv ops. Every per-op table, on both sides
 * of the ABI, is generated from it: the op numbers, the pv_ops slots and
 * their checks, the inline call sites, the names, each backend's table,
 * the patchlet lookup, the hypercall numbers and minivmm's dispatch, the
 * NASM hypercall stubs and contract probes (scripts/oplist.sh writes the
 * NASM side), and the benchmark's ops. Self-contained C99.
 *
 * X(name, NAME, contract, shape, bench, batch)
 *   contract  CALLEE_SAVE: the site may change rax only;
 *             NORMAL: what a C call may change (PV_CLOBBERS_*)
 *   shape     GET: returns a value in rax, no argument;
 *             SET: one argument in rdi, no result;
 *             SET2: two arguments, rdi and rsi, no result;  DO: neither
 *   bench     what `make bench` passes it: ARG_NONE, ARG_FLAGS (a save_fl
 *             value), ARG_CR3 (the current CR3); or NOBENCH: not in the
 *             benchmark (it halts; irq_disable and irq_enable are measured
 *             as one pair, irq_disable_enable; flush_tlb_one and wbinvd
 *             are left out)
 *   batch     BATCH: result-free and safe to defer, so lazy mode may queue
 *             it and MINIVMM_HC_MULTICALL runs it; NOBATCH: it runs at
 *             once, after the queue is flushed (docs/pvops.md, "Lazy mode")
 *
 * Adding an op: one line here (at the end: the numbers of the others stay),
 * its native sequence (NATIVE_OP in patchdata/), and its hypercall handler
 * (hc_NAME in vmm/hypercall.c). A missing piece fails the build naming the
 * op. docs/pvops.md lists every file involved.
 */
#ifndef PV_OP_LIST_H
#define PV_OP_LIST_H

/* clang-format off */
#define PV_OP_LIST(X)                                                            \
	X(save_fl,       SAVE_FL,       CALLEE_SAVE, GET,  ARG_NONE,  NOBATCH)  \
	X(restore_fl,    RESTORE_FL,    CALLEE_SAVE, SET,  ARG_FLAGS, NOBATCH)  \
	X(irq_disable,   IRQ_DISABLE,   CALLEE_SAVE, DO,   NOBENCH,   NOBATCH)  \
	X(irq_enable,    IRQ_ENABLE,    CALLEE_SAVE, DO,   NOBENCH,   NOBATCH)  \
	X(safe_halt,     SAFE_HALT,     CALLEE_SAVE, DO,   NOBENCH,   NOBATCH)  \
	X(read_cr2,      READ_CR2,      CALLEE_SAVE, GET,  ARG_NONE,  NOBATCH)  \
	X(read_cr3,      READ_CR3,      CALLEE_SAVE, GET,  ARG_NONE,  NOBATCH)  \
	X(write_cr3,     WRITE_CR3,     NORMAL,      SET,  ARG_CR3,   BATCH)    \
	X(flush_tlb_one, FLUSH_TLB_ONE, NORMAL,      SET,  NOBENCH,   BATCH)    \
	X(wbinvd,        WBINVD,        NORMAL,      DO,   NOBENCH,   NOBATCH)  \
	X(read_cr0,      READ_CR0,      CALLEE_SAVE, GET,  ARG_NONE,  NOBATCH)  \
	X(read_cr4,      READ_CR4,      CALLEE_SAVE, GET,  ARG_NONE,  NOBATCH)  \
	X(set_pte,       SET_PTE,       CALLEE_SAVE, SET2, NOBENCH,   BATCH)
/* clang-format on */

/* The ops, in pv_ops slot order: op n is the n-th 8-byte slot. */
/* clang-format off */
enum pv_op {
#define PV_OP_ENUM(name, NAME, contract, shape, bench, batch) PV_OP_##NAME,
	PV_OP_LIST(PV_OP_ENUM)
#undef PV_OP_ENUM
	PV_OP_COUNT
};
/* clang-format on */

#endif /* PV_OP_LIST_H */
