// SPDX-License-Identifier: MIT
/*
 * insn.c: the x86-64 length decoder of insn.h. Prefixes, REX, the opcode
 * (one byte, 0F xx, 0F 38 xx, 0F 3A xx), ModRM, SIB, displacement and
 * immediate, from two small tables per map; relative branches (rel8:
 * Jcc, JMP short, LOOP/JRCXZ; rel32: CALL, JMP, 0F Jcc) and RIP-relative
 * operands (ModRM mod 00, rm 101) are reported for relocation.
 */
#include "insn.h"

#define X86_INSN_MAX 15

/* The opcode tables read best as compact lists: kept from clang-format. */
/* clang-format off */

/* Immediate kinds. */
enum { I0, I8, I16, IZ /* 16 or 32 by operand size */, IV /* + REX.W: 64 */,
       I16_8 /* enter */, IM /* moffs: address size */, IX /* invalid */ };

/* One-byte map: does the opcode have a ModRM byte (bit n of word n/32)? */
static const uint32_t modrm1[8] = {
    0x0f0f0f0f, 0x0f0f0f0f, 0x00000000, 0x00000a08, /* 00-7f: 63 69 6b */
    0x0000ffff, 0x00000000, 0xff0f00f3, 0xc0c00000, /* 80-ff */
};

/* One-byte map: the immediate kind of each opcode. */
static uint8_t imm1(uint8_t op)
{
	switch (op) {
	case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c:
	case 0x34: case 0x3c: case 0x6a: case 0x6b: case 0x80: case 0x83:
	case 0xa8: case 0xc0: case 0xc1: case 0xc6: case 0xcd: case 0xe4:
	case 0xe5: case 0xe6: case 0xe7:
		return I8;
	case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d:
	case 0x35: case 0x3d: case 0x68: case 0x69: case 0x81: case 0xa9:
	case 0xc7:
		return IZ;
	case 0xc2: case 0xca:
		return I16;
	case 0xc8:
		return I16_8;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		return IM;
	/* Invalid in 64-bit mode. */
	case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e:
	case 0x1f: case 0x27: case 0x2f: case 0x37: case 0x3f: case 0x60:
	case 0x61: case 0x62 /* EVEX */: case 0x82: case 0x9a: case 0xc4:
	case 0xc5 /* VEX */: case 0xce: case 0xd4: case 0xd5: case 0xd6:
	case 0xea:
		return IX;
	default:
		if (op >= 0xb0 && op <= 0xb7)
			return I8;
		if (op >= 0xb8 && op <= 0xbf)
			return IV;
		return I0;
	}
}

/* clang-format on */

/* 0F map: opcodes with no ModRM byte. */
static int no_modrm2(uint8_t op)
{
	return op == 0x05 || op == 0x06 || op == 0x07 || op == 0x08 ||
	       op == 0x09 || op == 0x0b || op == 0x0e ||
	       (op >= 0x30 && op <= 0x37) || op == 0x77 ||
	       (op >= 0x80 && op <= 0x8f) || op == 0xa0 || op == 0xa1 ||
	       op == 0xa2 || op == 0xa8 || op == 0xa9 || op == 0xaa ||
	       (op >= 0xc8 && op <= 0xcf);
}

/* 0F map: the opcodes with an 8-bit immediate. */
static int imm8_2(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac ||
	       op == 0xba || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

int pv_insn_decode(const uint8_t *p, unsigned max, struct pv_insn *out)
{
	unsigned i = 0, imm = 0, opsize16 = 0, addr32 = 0, rexw = 0;
	int modrm = 0, kind = I0, regs_only = 0;
	uint8_t op;

	if (max > X86_INSN_MAX)
		max = X86_INSN_MAX;
	*out = (struct pv_insn){0};
	/*
	 * Prefixes. A REX counts only right before the opcode: one followed
	 * by another prefix (or REX) is ignored, as the CPU ignores it.
	 */
	for (;; i++) {
		if (i >= max)
			return -1;
		if ((p[i] & 0xf0) == 0x40) {
			rexw = (p[i] & 0x08) != 0;
			continue;
		}
		if (p[i] == 0x66)
			opsize16 = 1;
		else if (p[i] == 0x67)
			addr32 = 1;
		else if (p[i] != 0x26 && p[i] != 0x2e && p[i] != 0x36 &&
			 p[i] != 0x3e && p[i] != 0x64 && p[i] != 0x65 &&
			 p[i] != 0xf0 && p[i] != 0xf2 && p[i] != 0xf3)
			break;
		rexw = 0;
	}
	if (opsize16 && rexw)
		return -1; /* 66 and REX.W: decoders disagree on the size */
	op = p[i++];
	if (op == 0x8f && i < max && ((p[i] >> 3) & 7) != 0)
		return -1; /* AMD XOP, not pop r/m */
	if (op == 0x0f) {
		if (i >= max)
			return -1;
		op = p[i++];
		if (op == 0x38 || op == 0x3a) {
			if (i >= max)
				return -1;
			kind = op == 0x3a ? I8 : I0;
			i++; /* the third opcode byte */
			modrm = 1;
		} else if (op == 0xb9 || op == 0xff || op == 0x0f) {
			/* ud1, ud0 (decoders disagree; they fault), 3DNow! */
			return -1;
		} else {
			modrm = !no_modrm2(op);
			kind = imm8_2(op) ? I8 : I0;
			/* mov to/from CRn, DRn: mod is ignored, always regs */
			regs_only = op >= 0x20 && op <= 0x23;
			if (op >= 0x80 && op <= 0x8f) { /* Jcc rel32 */
				if (opsize16)
					return -1; /* rel16 on AMD only */
				out->rel_off = (uint8_t)i;
				out->rel_size = 4;
				imm = 4;
			}
		}
	} else {
		modrm = (modrm1[op / 32] >> (op % 32)) & 1;
		kind = imm1(op);
		if (kind == IX)
			return -1;
		if ((op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) ||
		    op == 0xeb) { /* rel8 */
			out->rel_off = (uint8_t)i;
			out->rel_size = 1;
			imm = 1;
		} else if (op == 0xe8 || op == 0xe9) { /* rel32 */
			if (opsize16)
				return -1; /* AMD takes a rel16, Intel not */
			out->rel_off = (uint8_t)i;
			out->rel_size = 4;
			imm = 4;
		} else if (op == 0xf6 || op == 0xf7) {
			/* test r/m, imm: only /0 and /1 take an immediate */
			if (i >= max)
				return -1;
			if (((p[i] >> 3) & 7) < 2)
				kind = op == 0xf6 ? I8 : IZ;
		}
	}
	if (modrm) {
		uint8_t m, mod, rm;

		if (i >= max)
			return -1;
		m = p[i++];
		mod = regs_only ? 3 : m >> 6;
		rm = m & 7;
		if (mod != 3 && rm == 4) { /* SIB */
			if (i >= max)
				return -1;
			if (mod == 0 && (p[i] & 7) == 5)
				i += 4; /* disp32, and no base register */
			i++;
		} else if (mod == 0 && rm == 5) { /* RIP-relative disp32 */
			out->rip_off = (uint8_t)i;
			i += 4;
		}
		if (mod == 1)
			i += 1;
		else if (mod == 2)
			i += 4;
	}
	switch (kind) {
	case I8:
		imm += 1;
		break;
	case I16:
		imm += 2;
		break;
	case IZ:
		imm += opsize16 ? 2 : 4;
		break;
	case IV:
		imm += rexw ? 8 : opsize16 ? 2 : 4;
		break;
	case I16_8:
		imm += 3;
		break;
	case IM:
		imm += addr32 ? 4 : 8;
		break;
	default:
		break;
	}
	i += imm;
	if (i > max)
		return -1;
	out->len = (uint8_t)i;
	return (int)i;
}
