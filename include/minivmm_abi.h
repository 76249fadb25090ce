/* SPDX-License-Identifier: MIT */
/*
 * minivmm_abi.h: the contract between minivmm and its guest: the CPUID
 * leaves that announce minivmm, the port-I/O hypercall ABI and the
 * hypercall numbers. Self-contained C99, included by the VMM, the guest and
 * the host tests. docs/abi.md describes the same thing in prose.
 */
#ifndef MINIVMM_ABI_H
#define MINIVMM_ABI_H

#include <stdint.h>

#include "pv_op_list.h"

/*
 * CPUID 0x40000000: eax = highest minivmm leaf, ebx:ecx:edx = the 12-byte
 * signature "minivmm" padded with NUL bytes.
 */
#define MINIVMM_CPUID_SIGNATURE 0x40000000u
#define MINIVMM_SIGNATURE	"minivmm\0\0\0\0\0"
#define MINIVMM_SIGNATURE_LEN	12

/*
 * CPUID 0x40000001: eax = feature bits, ebx = hypercall I/O port,
 * ecx = ABI version.
 */
#define MINIVMM_CPUID_FEATURES	  0x40000001u
#define MINIVMM_FEATURE_HYPERCALL (1u << 0) /* port-I/O hypercalls work */
#define MINIVMM_FEATURE_INT3                                                   \
	(1u << 1) /* a CPL0 int3 reaches the guest's                           \
		     #BP handler (kvm_pvm ends the                             \
		     run instead) */
#define MINIVMM_ABI_VERSION                                                    \
	3u /* 2: pv-op calls at MINIVMM_HC_OP_BASE; 3: MULTICALL, set_pte */

/*
 * A hypercall is one 32-bit `out dx, eax`: dx = the hypercall port
 * (from CPUID 0x40000001.ebx), eax = the hypercall number, rdi and rsi =
 * the arguments. minivmm leaves the result in rax and changes no other
 * register. Unknown numbers return MINIVMM_ENOSYS; arguments out of range
 * for a call with a result return MINIVMM_EINVAL (see docs/abi.md).
 */
#define MINIVMM_HYPERCALL_PORT 0x0b00u

/*
 * Hypercall numbers. Below MINIVMM_HC_OP_BASE, the calls of minivmm's
 * own; from it on, one per pv op, in the op list's order
 * (include/pv_op_list.h): MINIVMM_HC_OP_BASE + PV_OP_x, so the list is
 * the one source of both sides' numbers and a new op never moves another.
 */
#define MINIVMM_HC_OP_BASE 16u

/* clang-format off */
enum minivmm_hypercall {
	MINIVMM_HC_EXIT = 0,	      /* exit(rdi = status 0..EXIT_MAX) */
	MINIVMM_HC_NULL = 1,	      /* nothing: the cost of one exit */
	MINIVMM_HC_CONSOLE_WRITE = 2, /* write rsi bytes at gpa rdi */
	MINIVMM_HC_GET_INFO = 3,      /* struct minivmm_info to gpa rdi */
	MINIVMM_HC_SANDBOX_PROBE = 4, /* tests: try a forbidden syscall */
	MINIVMM_HC_MULTICALL = 5,     /* run rsi entries at gpa rdi, below */
	MINIVMM_HC_OWN_COUNT = 6,     /* 6..MINIVMM_HC_OP_BASE-1: unused */
#define MINIVMM_HC_OP(name, NAME, contract, shape, bench, batch)                      \
	MINIVMM_HC_##NAME = MINIVMM_HC_OP_BASE + PV_OP_##NAME,
	PV_OP_LIST(MINIVMM_HC_OP)
#undef MINIVMM_HC_OP
	MINIVMM_HC_COUNT = MINIVMM_HC_OP_BASE + PV_OP_COUNT,
};
/* clang-format on */

/* Largest MINIVMM_HC_CONSOLE_WRITE. */
#define MINIVMM_CONSOLE_MAX 4096

/*
 * Guest-physical page 0 is never read or written on the guest's behalf:
 * a buffer there is a NULL pointer.
 */
#define MINIVMM_GUARD_BYTES 4096

/* What MINIVMM_HC_GET_INFO writes (rsi = room, at least its size). */
struct minivmm_info {
	uint32_t abi_version; /* MINIVMM_ABI_VERSION */
	uint32_t tsc_khz;     /* the vCPU's TSC rate, 0 if unknown */
	uint64_t mem_bytes;   /* guest memory size */
};

/* MINIVMM_HC_SANDBOX_PROBE's argument: which forbidden syscall to try. */
#define MINIVMM_PROBE_OPEN   0 /* openat: refused with EPERM, reported */
#define MINIVMM_PROBE_SOCKET 1 /* socket: a violation, minivmm stops */

/*
 * MINIVMM_HC_MULTICALL (rdi = gpa of an array of entries, rsi = their
 * count): one exit runs up to MINIVMM_MC_MAX hypercalls, in order, through
 * the same checked handlers as single ones. Only the BATCH ops of the op
 * list (pv_op_list.h) and MINIVMM_HC_NULL may be entries.
 *
 * Each entry's result is written to its slot. An entry whose slot does not
 * hold MINIVMM_MC_PENDING is skipped: an earlier MULTICALL over the same
 * array ran it (the guest's interrupt handler flushed the queue the
 * interrupted code was about to submit). The call stops at the first entry
 * that fails: its slot holds the error, and the ones before it stay done.
 *
 * rax: the number of entries done (run or skipped), which is the failing
 * entry's index if one failed; or, with nothing run, MINIVMM_E2BIG for a
 * count over MINIVMM_MC_MAX and MINIVMM_EINVAL for an array that is not
 * 8-byte aligned or not all in guest memory (page 0 included). An entry's
 * error: MINIVMM_ENOSYS for an unknown number, MINIVMM_EOPNOTSUPP for one
 * that cannot be batched (a nested MULTICALL among them), MINIVMM_EINVAL
 * for a nonzero pad or an argument its handler refuses.
 */
struct minivmm_mc_entry {
	uint32_t nr;	  /* MINIVMM_HC_x */
	uint32_t pad;	  /* 0 */
	uint64_t args[2]; /* what rdi and rsi would hold */
	uint64_t result;  /* MINIVMM_MC_PENDING in, the result out */
};
#define MINIVMM_MC_MAX	   64
#define MINIVMM_MC_PENDING ((unsigned long long)-4096) /* no errno, not 0 */

/* Largest status the guest may pass to MINIVMM_HC_EXIT. */
#define MINIVMM_EXIT_MAX 63

/* Error results in rax (as unsigned 64-bit values). */
#define MINIVMM_ENOSYS	   ((unsigned long long)-38)
#define MINIVMM_EINVAL	   ((unsigned long long)-22)
#define MINIVMM_EPERM	   ((unsigned long long)-1)
#define MINIVMM_E2BIG	   ((unsigned long long)-7)
#define MINIVMM_EOPNOTSUPP ((unsigned long long)-95)

/*
 * QEMU isa-debug-exit compatible port: a write of v ends the run with
 * status (v<<1)|1. QEMU exits 1 on its own errors, so the guest writes
 * MINIVMM_DEBUG_EXIT_BASE | status: pass is then 65, never QEMU's 1.
 */
#define MINIVMM_DEBUG_EXIT_PORT 0xf4u
#define MINIVMM_DEBUG_EXIT_BASE 0x20u

/* The 16550 UART both VMMs provide. */
#define MINIVMM_SERIAL_PORT 0x3f8u

/*
 * The Bochs/QEMU debug console both VMMs provide: a byte written goes to
 * the console, after the UART's output; a read returns 0xe9 (present).
 */
#define MINIVMM_DEBUGCON_PORT 0xe9u

#endif /* MINIVMM_ABI_H */
