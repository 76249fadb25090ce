/* SPDX-License-Identifier: MIT */
/*
 * insn.h: an x86-64 instruction length decoder for the patch engine,
 * which must know, for every instruction it copies, how long it is and
 * where a relative branch's displacement or a RIP-relative operand sits
 * (Linux's apply_relocation does the same with its insn decoder).
 * Freestanding; covers the legacy, 0F, 0F38 and 0F3A maps. VEX and EVEX
 * encodings (AVX) are refused: no patchlet needs them, and a refusal is
 * loud (the engine refuses the copy; pvcheck fails the build).
 */
#ifndef PV_INSN_H
#define PV_INSN_H

#include <stdint.h>

struct pv_insn {
	uint8_t len;	  /* bytes */
	uint8_t rel_off;  /* offset of a relative branch's displacement */
	uint8_t rel_size; /* its size: 1 or 4; 0: not a relative branch */
	uint8_t rip_off;  /* offset of a RIP-relative disp32; 0: none */
};

/*
 * Decode the instruction at (p), of which (max) bytes may be read.
 * Returns its length (also in out->len), or -1 if it cannot be decoded
 * (truncated, longer than 15 bytes, VEX/EVEX, invalid in 64-bit mode).
 */
int pv_insn_decode(const uint8_t *p, unsigned max, struct pv_insn *out);

#endif /* PV_INSN_H */
