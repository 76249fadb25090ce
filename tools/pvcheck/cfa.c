// SPDX-License-Identifier: MIT
/*
 * cfa.c: decode instruction streams with Capstone and follow the frame
 * through them (frame.c), as an unwinder would need it at each
 * instruction boundary; and check that a patchlet leaves nothing the
 * engine cannot relocate (a relative branch or RIP-relative operand aimed
 * outside it) and changes no register it does not declare.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "insn.h"
#include "pvcheck.h"

const char *pvc_reg_names(uint16_t mask, char *buf, size_t len)
{
	static const char *const names[16] = {
	    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned r = 0; r < 16; r++)
		if (mask & (1u << r) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "", names[r]);
	return buf;
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
	static char why[192];
	struct pvc_frame f;
	unsigned off = 0;

	pvc_frame_start(&f);
	s->ninsns = 0;
	while (off < s->len) {
		cs_insn *in;
		struct pvc_insn *out = &s->insns[s->ninsns];
		char step[128];

		if (cs_disasm(pvc_cs(), s->bytes + off, s->len - off,
			      addr + off, 1, &in) != 1) {
			snprintf(why, sizeof(why),
				 "no instruction decodes at +%u", off);
			return why;
		}
		*out =
		    (struct pvc_insn){.off = off, .len = in->size, .frame = f};
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
		if (pvc_frame_step(&f, in, step, sizeof(step))) {
			snprintf(why, sizeof(why), "%s at +%u", step, off);
			cs_free(in, 1);
			return why;
		}
		off += in->size;
		s->ninsns++;
		cs_free(in, 1);
	}
	s->end = f;
	return NULL;
}

const char *pvc_check_patchlet(const struct pv_patchlet *p, uint64_t addr,
			       char *why, size_t len)
{
	const uint8_t *b = pv_patchlet_bytes(p);
	unsigned off = 0;

	struct pvc_frame f;
	char names[64], step[128];
	uint16_t changed = 0, writes;
	bool linear = true; /* no branch yet: the frame model holds */

	pvc_frame_start(&f);
	while (off < p->len) {
		struct pv_insn in;
		int n = pv_insn_decode(b + off, p->len - off, &in);
		cs_insn *ci;
		uint64_t to;

		if (cs_disasm(pvc_cs(), b + off, p->len - off, addr + off, 1,
			      &ci) != 1) {
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
		/* Past a branch, every register written counts as changed
		 * (a test patchlet's ret, jmp or jcc). */
		if (!pvc_gpr_writes(ci, &writes)) {
			snprintf(why, len,
				 "%s %s at +%u: Capstone cannot say "
				 "what it writes",
				 ci->mnemonic, ci->op_str, off);
			cs_free(ci, 1);
			return why;
		}
		changed |= writes & (uint16_t) ~(1u << PV_REG_RSP);
		if (linear && (is_branch(ci) ||
			       pvc_frame_step(&f, ci, step, sizeof(step))))
			linear = false;
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
	if (linear)
		changed = f.changed;
	if (changed & ~p->clobbers) {
		snprintf(
		    why, len,
		    "it leaves %s changed, which its clobbers (%#x) do "
		    "not declare",
		    pvc_reg_names(changed & ~p->clobbers, names, sizeof(names)),
		    p->clobbers);
		return why;
	}
	return NULL;
}
