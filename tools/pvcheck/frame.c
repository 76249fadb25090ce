// SPDX-License-Identifier: MIT
/*
 * frame.c: pvcheck's stack model, one instruction at a time, as objtool's
 * update_cfi_state is Linux's: where rsp is, what rbp holds, and where the
 * registers' values from the start are saved; and the Capstone decoder
 * every pass shares. Both followers use the model: the streams of a site
 * (cfa.c) and assembly no CFI covers (unwind_rows.c).
 *
 * Modelled: push and pop of a register, memory, an immediate, a segment
 * register or the flags, by operand size (2 or 8 bytes); add, sub and lea
 * of rsp by an immediate; mov rbp, rsp and mov rsp, rbp; lea rsp, [rbp
 * + imm]; enter N, 0 and leave; a call (it returns, rsp as it was). Any
 * other write to rsp, esp, sp or spl is refused with the instruction
 * named. A register pushed while it holds its starting value is saved
 * there; popped from that slot, it holds its starting value again.
 */
#include <stdio.h>
#include <string.h>

#include "pvcheck.h"

static csh cs;

bool pvc_cfa_init(void)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return false;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	return true;
}

csh pvc_cs(void)
{
	return cs;
}

bool pvc_writes_reg(const cs_insn *in, x86_reg reg)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;

	int gpr = pvc_gpr(reg);

	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true; /* cannot tell: assume the worst */
	/* Any width: a write to ebp zero-extends into rbp, one to bp or bpl
	 * changes part of it. */
	for (unsigned i = 0; i < nwr; i++)
		if (wr[i] == reg || (gpr >= 0 && pvc_gpr(wr[i]) == gpr))
			return true;
	return false;
}

/* The pv_reg number (x86 encoding order) of a general-purpose register
 * of any width, or -1. */
int pvc_gpr(x86_reg reg)
{
	static const x86_reg regs[16][5] = {
	    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH},
	    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH},
	    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH},
	    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH},
	    {X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL},
	    {X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL},
	    {X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL},
	    {X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL},
	    {X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B},
	    {X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B},
	    {X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B},
	    {X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B},
	    {X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B},
	    {X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B},
	    {X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B},
	    {X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B},
	};

	if (reg == X86_REG_INVALID)
		return -1;
	for (int r = 0; r < 16; r++)
		for (int w = 0; w < 5; w++)
			if (regs[r][w] == reg)
				return r;
	return -1;
}

bool pvc_gpr_writes(const cs_insn *in, uint16_t *mask)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;

	*mask = 0;
	if (cs_regs_access(pvc_cs(), in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	for (unsigned i = 0; i < nwr; i++) {
		int r = pvc_gpr(wr[i]);

		if (r >= 0)
			*mask |= (uint16_t)(1u << r);
	}
	return true;
}

void pvc_frame_start(struct pvc_frame *f)
{
	memset(f, 0, sizeof(*f));
}

int pvc_frame_rbp_slot(const struct pvc_frame *f)
{
	if (f->saved[PV_REG_RBP])
		return f->saved[PV_REG_RBP];
	return f->rbp == PVC_RBP_START ? 0 : PVC_RBP_LOST;
}

bool pvc_frame_same(const struct pvc_frame *a, const struct pvc_frame *b)
{
	return a->depth == b->depth &&
	       pvc_frame_rbp_slot(a) == pvc_frame_rbp_slot(b);
}

const char *pvc_frame_rbp(const struct pvc_frame *f, char *buf, size_t len)
{
	int slot = pvc_frame_rbp_slot(f);

	if (slot == PVC_RBP_LOST)
		snprintf(buf, len, "the start rbp lost");
	else if (slot)
		snprintf(buf, len, "the start rbp saved at [rsp0%+d]", slot);
	else
		snprintf(buf, len, "the start rbp in rbp");
	return buf;
}

/* rsp moves to (depth): slots above it are gone, with what they saved. */
static void move_rsp(struct pvc_frame *f, int depth)
{
	f->depth = depth;
	for (unsigned r = 0; r < 16; r++)
		if (f->saved[r] && f->saved[r] < depth)
			f->saved[r] = 0;
}

static void push(struct pvc_frame *f, int size, int reg)
{
	move_rsp(f, f->depth - size);
	/* The slot is written: whatever another register saved there is
	 * overwritten (a 2-byte push leaves a slot that no pop matches). */
	for (unsigned r = 0; r < 16; r++)
		if (f->saved[r] == f->depth)
			f->saved[r] = 0;
	if (reg >= 0 && size == 8 && !(f->changed & (1u << reg)) &&
	    !f->saved[reg] && !(reg == PV_REG_RBP && f->rbp != PVC_RBP_START))
		f->saved[reg] = f->depth;
}

/* A register written: it no longer holds its start value. */
static void clobber(struct pvc_frame *f, int reg)
{
	f->changed |= (uint16_t)(1u << reg);
	if (reg == PV_REG_RBP)
		f->rbp = PVC_RBP_OTHER;
}

static void pop(struct pvc_frame *f, int size, int reg)
{
	int slot = f->depth;

	if (reg >= 0 && reg != PV_REG_RSP) {
		if (size == 8 && f->saved[reg] == slot) {
			f->changed &= (uint16_t) ~(1u << reg);
			if (reg == PV_REG_RBP)
				f->rbp = PVC_RBP_START;
		} else {
			clobber(f, reg);
		}
	}
	move_rsp(f, f->depth + size);
}

/* mov rbp, rsp: rbp is a frame pointer, at rsp as it is now. */
static void frame_pointer(struct pvc_frame *f)
{
	f->rbp = PVC_RBP_FRAME;
	f->rbp_frame = f->depth;
	f->changed |= 1u << PV_REG_RBP;
}

static int operand_size(const cs_insn *in)
{
	return in->detail->x86.prefix[2] == 0x66 ? 2 : 8;
}

static bool is_reg(const cs_x86_op *op, x86_reg reg)
{
	return op->type == X86_OP_REG && op->reg == reg;
}

/* [rsp + imm] or [rbp + imm], no index: the address's depth. */
static bool stack_address(const struct pvc_frame *f, const cs_x86_op *op,
			  int *depth)
{
	if (op->type != X86_OP_MEM || op->mem.index != X86_REG_INVALID ||
	    op->mem.segment != X86_REG_INVALID)
		return false;
	if (op->mem.base == X86_REG_RSP)
		*depth = f->depth + (int)op->mem.disp;
	else if (op->mem.base == X86_REG_RBP && f->rbp == PVC_RBP_FRAME)
		*depth = f->rbp_frame + (int)op->mem.disp;
	else
		return false;
	return true;
}

/* The instructions that move rsp in a way pvcheck follows. */
static bool step_rsp(struct pvc_frame *f, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op = x->operands;
	int depth;

	switch (in->id) {
	case X86_INS_PUSH:
		push(f, operand_size(in),
		     op[0].type == X86_OP_REG ? pvc_gpr(op[0].reg) : -1);
		return true;
	case X86_INS_PUSHF:
		push(f, 2, -1);
		return true;
	case X86_INS_PUSHFQ:
		push(f, operand_size(in), -1);
		return true;
	case X86_INS_POP:
		if (op[0].type == X86_OP_REG &&
		    pvc_gpr(op[0].reg) == PV_REG_RSP)
			return false; /* pop rsp: rsp from memory */
		pop(f, operand_size(in),
		    op[0].type == X86_OP_REG ? pvc_gpr(op[0].reg) : -1);
		return true;
	case X86_INS_POPF:
		pop(f, 2, -1);
		return true;
	case X86_INS_POPFQ:
		pop(f, operand_size(in), -1);
		return true;
	case X86_INS_CALL:
		return true; /* it returns, with rsp as it was */
	case X86_INS_ADD:
	case X86_INS_SUB:
		if (x->op_count != 2 || !is_reg(&op[0], X86_REG_RSP) ||
		    op[1].type != X86_OP_IMM)
			return false;
		move_rsp(f,
			 f->depth + (int)(in->id == X86_INS_ADD ? op[1].imm
								: -op[1].imm));
		return true;
	case X86_INS_LEA:
		if (!is_reg(&op[0], X86_REG_RSP) ||
		    !stack_address(f, &op[1], &depth))
			return false;
		move_rsp(f, depth);
		return true;
	case X86_INS_MOV:
		if (!is_reg(&op[0], X86_REG_RSP) ||
		    !is_reg(&op[1], X86_REG_RBP) || f->rbp != PVC_RBP_FRAME)
			return false;
		move_rsp(f, f->rbp_frame);
		return true;
	case X86_INS_LEAVE:
		if (f->rbp != PVC_RBP_FRAME)
			return false;
		move_rsp(f, f->rbp_frame);
		pop(f, 8, PV_REG_RBP);
		return true;
	case X86_INS_ENTER:
		if (x->op_count != 2 || op[0].type != X86_OP_IMM ||
		    op[1].type != X86_OP_IMM || op[1].imm != 0)
			return false; /* a nesting level copies frames */
		push(f, 8, PV_REG_RBP);
		frame_pointer(f);
		move_rsp(f, f->depth - (int)op[0].imm);
		return true;
	default:
		return false;
	}
}

const char *pvc_frame_step(struct pvc_frame *f, const cs_insn *in, char *why,
			   size_t len)
{
	const cs_x86_op *op = in->detail->x86.operands;
	uint16_t writes;

	if (!pvc_gpr_writes(in, &writes)) {
		snprintf(why, len, "%s %s: Capstone cannot say what it writes",
			 in->mnemonic, in->op_str);
		return why;
	}
	if (in->id == X86_INS_ENTER) /* Capstone 4 lists no registers */
		writes |= 1u << PV_REG_RSP | 1u << PV_REG_RBP;
	if (writes & (1u << PV_REG_RSP)) {
		if (!step_rsp(f, in)) {
			snprintf(why, len,
				 "%s %s changes rsp in a way pvcheck cannot "
				 "follow",
				 in->mnemonic, in->op_str);
			return why;
		}
		writes &= (uint16_t) ~(1u << PV_REG_RSP);
		/* push, pop, leave and enter have dealt with their register */
		if (in->id != X86_INS_CALL && in->id != X86_INS_ADD &&
		    in->id != X86_INS_SUB && in->id != X86_INS_LEA &&
		    in->id != X86_INS_MOV)
			return NULL;
	}
	if (in->id == X86_INS_MOV && is_reg(&op[0], X86_REG_RBP) &&
	    is_reg(&op[1], X86_REG_RSP)) {
		frame_pointer(f);
		return NULL;
	}
	for (int r = 0; r < 16; r++)
		if (writes & (1u << r))
			clobber(f, r);
	return NULL;
}
