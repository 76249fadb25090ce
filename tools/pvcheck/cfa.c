// SPDX-License-Identifier: MIT
/*
 * cfa.c: decode instruction streams with Capstone and follow the stack
 * pointer through them, as an unwinder would need it at each instruction
 * boundary; and check that a patchlet leaves nothing the engine cannot
 * relocate (a relative branch or RIP-relative operand aimed outside it).
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "insn.h"
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

	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true; /* cannot tell: assume the worst */
	for (unsigned i = 0; i < nwr; i++)
		if (wr[i] == reg)
			return true;
	return false;
}

/* add/sub rsp, imm: how far it moves rsp, in (*delta). */
static bool rsp_arith(const cs_insn *in, int *delta)
{
	const cs_x86 *x = &in->detail->x86;

	if ((in->id != X86_INS_ADD && in->id != X86_INS_SUB) ||
	    x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[0].reg != X86_REG_RSP ||
	    x->operands[1].type != X86_OP_IMM)
		return false;
	*delta = (int)(in->id == X86_INS_ADD ? x->operands[1].imm
					     : -x->operands[1].imm);
	return true;
}

bool pvc_rsp_delta(const cs_insn *in, int *delta)
{
	*delta = 0;
	if (in->id == X86_INS_PUSH || in->id == X86_INS_PUSHFQ)
		*delta = -8;
	else if (in->id == X86_INS_POP || in->id == X86_INS_POPFQ)
		*delta = 8;
	else if (in->id == X86_INS_CALL)
		return true; /* it returns, with rsp as it was */
	else if (!rsp_arith(in, delta) && pvc_writes_reg(in, X86_REG_RSP))
		return false;
	return true;
}

static bool is_branch(const cs_insn *in)
{
	for (unsigned g = 0; g < in->detail->groups_count; g++)
		if (in->detail->groups[g] == CS_GRP_JUMP ||
		    in->detail->groups[g] == CS_GRP_RET ||
		    in->detail->groups[g] == CS_GRP_IRET ||
		    in->detail->groups[g] == CS_GRP_INT)
			return true;
	return false;
}

const char *pvc_follow(struct pvc_stream *s, uint64_t addr)
{
	static char why[128];
	unsigned off = 0;
	int depth = 0;

	s->ninsns = 0;
	while (off < s->len) {
		cs_insn *in;
		struct pvc_insn *out = &s->insns[s->ninsns];
		int delta = 0;

		if (cs_disasm(cs, s->bytes + off, s->len - off, addr + off, 1,
			      &in) != 1) {
			snprintf(why, sizeof(why),
				 "no instruction decodes at +%u", off);
			return why;
		}
		*out = (struct pvc_insn){
		    .off = off, .len = in->size, .depth = depth};
		/* Capstone's text is at most 32 + 160 bytes: keep what fits. */
		snprintf(out->text, sizeof(out->text), "%.31s%s%.31s",
			 in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
		out->call = in->id == X86_INS_CALL;
		if (!out->call && is_branch(in)) {
			snprintf(why, sizeof(why), "a branch (%s) at +%u",
				 out->text, off);
			cs_free(in, 1);
			return why;
		}
		if (!pvc_rsp_delta(in, &delta)) {
			snprintf(why, sizeof(why),
				 "%s at +%u changes rsp in a way pvcheck "
				 "cannot follow",
				 out->text, off);
			cs_free(in, 1);
			return why;
		}
		depth += delta;
		off += in->size;
		s->ninsns++;
		cs_free(in, 1);
	}
	s->end_depth = depth;
	return NULL;
}

const char *pvc_check_patchlet(const struct pv_patchlet *p, uint64_t addr,
			       char *why, size_t len)
{
	const uint8_t *b = pv_patchlet_bytes(p);
	unsigned off = 0;

	while (off < p->len) {
		struct pv_insn in;
		int n = pv_insn_decode(b + off, p->len - off, &in);
		cs_insn *ci;
		uint64_t to;

		if (cs_disasm(cs, b + off, p->len - off, addr + off, 1, &ci) !=
		    1) {
			snprintf(why, len, "no instruction decodes at +%u",
				 off);
			return why;
		}
		/* The engine relocates by decoding: it must decode it. */
		if (n < 0 || (unsigned)n != ci->size) {
			snprintf(why, len,
				 "%s %s at +%u: the engine's decoder cannot "
				 "take it, so it cannot relocate the patchlet",
				 ci->mnemonic, ci->op_str, off);
			cs_free(ci, 1);
			return why;
		}
		cs_free(ci, 1);
		if (in.rel_size == 1) {
			to = addr + off + (unsigned)n +
			     (uint64_t)(int64_t)(int8_t)b[off + in.rel_off];
			if (to < addr || to >= addr + p->len) {
				snprintf(why, len,
					 "a rel8 branch at +%u leaves the "
					 "patchlet: relocatable only within "
					 "127 bytes",
					 off);
				return why;
			}
		}
		off += (unsigned)n;
	}
	return NULL;
}
