// SPDX-License-Identifier: MIT
/*
 * gdb_hwbp.c: the four x86 debug registers as gdb's Z1 to Z4 use them:
 * which slot holds what, the DR7 value that arms them, and which one a
 * debug exit's DR6 names. Pure, so the tests check the encoding and the
 * refusals (a fifth, a misaligned or odd-sized watchpoint) without KVM.
 */
#include "gdb.h"

const char *gdb_hw_change(struct gdb_hw_slots *s, bool insert,
			  enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	struct gdb_hw_bp *free_bp = NULL;

	if (type < GDB_BP_HW || type > GDB_BP_ACCESS)
		return "not a debug-register breakpoint";
	if (type == GDB_BP_HW)
		len = 1;
	if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % len)
		return "a watchpoint covers 1, 2, 4 or 8 aligned bytes";
	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		struct gdb_hw_bp *bp = &s->bp[i];

		if (bp->used && bp->type == type && bp->addr == addr &&
		    bp->len == len) {
			if (!insert)
				bp->used = false;
			return NULL;
		}
		if (!bp->used && !free_bp)
			free_bp = bp;
	}
	if (!insert)
		return NULL;
	if (!free_bp)
		return "all 4 debug registers are in use";
	*free_bp = (struct gdb_hw_bp){true, type, addr, (unsigned)len};
	return NULL;
}

uint64_t gdb_hw_dr7(const struct gdb_hw_slots *s, uint64_t dr[GDB_HW_SLOTS])
{
	/* LEN: 00 one byte, 01 two, 11 four, 10 eight. */
	static const uint64_t len_bits[9] = {0, 0, 1, 0, 3, 0, 0, 0, 2};
	uint64_t dr7 = 0;

	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		const struct gdb_hw_bp *bp = &s->bp[i];
		/* R/W: 00 execution, 01 writes, 11 reads or writes (x86 has
		 * no reads-only: rwatch is an access watchpoint). */
		uint64_t rw = bp->type == GDB_BP_HW	 ? 0
			      : bp->type == GDB_BP_WRITE ? 1
							 : 3;

		dr[i] = bp->used ? bp->addr : 0;
		if (bp->used)
			dr7 |= (1ull << (2 * i)) | (rw << (16 + 4 * i)) |
			       (len_bits[bp->len] << (18 + 4 * i));
	}
	return dr7;
}

int gdb_hw_hit(const struct gdb_hw_slots *s, uint64_t dr6)
{
	for (unsigned i = 0; i < GDB_HW_SLOTS; i++)
		if (s->bp[i].used && (dr6 & (1u << i)))
			return (int)i;
	return -1;
}
