/* SPDX-License-Identifier: MIT */
/*
 * pv_unwind.h: the format of the guest's unwind table, which pvcheck
 * builds from the linked image and the build links into it (section
 * .pv_unwind, the image's last). It is ORC-like: one row per address where
 * the rule for finding the caller changes, sorted by address; a row holds
 * until the next. It comes from the compiler's CFI (.eh_frame), from
 * pvcheck following rsp through assembly (with UNWIND_HINTs where it
 * cannot), and from the flattened stack depth inside every patch site,
 * where the compiler's CFI knows nothing of what the engine wrote. Shared
 * by pvcheck (host) and the guest's unwinder; docs/unwind.md.
 */
#ifndef PV_UNWIND_H
#define PV_UNWIND_H

#include <stdint.h>

#define PV_UNWIND_MAGIC	  0x57555650u /* "PVUW" */
#define PV_UNWIND_VERSION 2u

/* All offsets in the header are from the header's own address. */
struct pv_unwind_header {
	uint32_t magic, version;
	uint64_t text_base;	  /* row and function ips are from here */
	uint32_t nrows, rows;	  /* struct pv_unwind_row[nrows] */
	uint32_t nfuncs, funcs;	  /* struct pv_unwind_func[nfuncs] */
	uint32_t strtab, strsize; /* the functions' names, NUL-terminated */
};

/* What a row says about the frame of code at its ips. */
enum pv_unwind_type {
	PV_UW_UNDEF = 0, /* nothing known: the unwinder stops, and says so */
	PV_UW_END = 1,	 /* the bottom of a stack (the boot code's call) */
	PV_UW_CALL = 2,	 /* a function: CFA = reg + cfa_off; the return
			    address at CFA - 8; the caller's rsp = CFA */
	PV_UW_REGS = 3,	 /* a struct trap_frame at reg + cfa_off: the
			    interrupted context's rip, rsp and rbp */
	PV_UW_IRET = 4,	 /* the CPU's interrupt frame (rip, cs, rflags,
			    rsp, ss) at reg + cfa_off, before a stub saved
			    anything: rbp is still the interrupted one's */
};

enum pv_unwind_reg {
	PV_UW_RSP = 0,
	PV_UW_RBP = 1,
};

/*
 * Flags of a row. PV_UW_SITE: a row inside a patch site, from pvcheck's
 * flattened depth. It holds only for an interrupted context (an exact
 * rip), never for a return address (docs/unwind.md says why).
 */
#define PV_UW_RBP_SAVED 0x1 /* the caller's rbp is at CFA + rbp_off */
#define PV_UW_SITE	0x2

struct pv_unwind_row {
	uint32_t ip; /* from text_base */
	int16_t cfa_off;
	int16_t rbp_off;
	uint8_t type, reg, flags, reserved;
};

/* A function (or an assembly label that starts code), sorted by ip. */
struct pv_unwind_func {
	uint32_t ip, size; /* from text_base */
	uint32_t name;	   /* offset in the string table */
};

/*
 * An UNWIND_HINT in assembly (guest/unwind_hint.inc), where pvcheck cannot
 * follow rsp by itself (entry code, exception stubs): from (addr) on, the
 * frame is (type, reg, cfa_off), until an instruction changes it. In
 * section .pv_unwind_hints, which is not loaded: only pvcheck reads it.
 */
struct pv_unwind_hint {
	uint64_t addr;
	uint8_t type, reg;
	int16_t cfa_off;
	uint32_t reserved;
};

#endif /* PV_UNWIND_H */
