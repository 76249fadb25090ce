// SPDX-License-Identifier: MIT
/*
 * audit.c: the privileged-instruction audit. No cli, sti, pushf, popf,
 * mov to or from a control register, invlpg, wbinvd or hlt may sit in the
 * guest's executable sections outside the code that owns it: each must be
 * reached through a pv op, or be in a function the allowlist names with
 * its reason. An allowlist entry that matches nothing is refused too, so
 * the list stays short and true (docs/pvcheck.md).
 */
#include <capstone/capstone.h>
#include <ctype.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvcheck.h"

#define AUDIT_MAX_ENTRIES 64

struct allow {
	char pattern[64]; /* a function name, or a shell pattern of them */
	char reason[160];
	unsigned uses;
};

static struct allow allowed[AUDIT_MAX_ENTRIES];
static unsigned nallowed;

/* "pattern reason..." lines; # comments. False on a malformed line. */
static bool read_allowlist(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned no = 0;

	if (!f) {
		perror(path);
		return false;
	}
	nallowed = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *reason;
		size_t n;

		no++;
		line[strcspn(line, "\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		n = strcspn(p, " \t");
		reason = p + n;
		while (isspace((unsigned char)*reason))
			reason++;
		if (n >= sizeof(allowed[0].pattern) || !*reason ||
		    nallowed == AUDIT_MAX_ENTRIES) {
			fprintf(stderr,
				"pvcheck: %s:%u: want \"function reason\", "
				"with a reason\n",
				path, no);
			fclose(f);
			return false;
		}
		snprintf(allowed[nallowed].pattern, sizeof(allowed[0].pattern),
			 "%.*s", (int)n, p);
		snprintf(allowed[nallowed].reason, sizeof(allowed[0].reason),
			 "%s", reason);
		allowed[nallowed++].uses = 0;
	}
	fclose(f);
	return true;
}

static struct allow *allowed_in(const char *func)
{
	for (unsigned i = 0; i < nallowed; i++)
		if (fnmatch(allowed[i].pattern, func, 0) == 0)
			return &allowed[i];
	return NULL;
}

static bool is_privileged(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_CLI:
	case X86_INS_STI:
	case X86_INS_PUSHF:
	case X86_INS_PUSHFQ:
	case X86_INS_POPF:
	case X86_INS_POPFQ:
	case X86_INS_HLT:
	case X86_INS_WBINVD:
	case X86_INS_INVLPG:
		return true;
	case X86_INS_MOV:
		for (unsigned i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_REG &&
			    x->operands[i].reg >= X86_REG_CR0 &&
			    x->operands[i].reg <= X86_REG_CR15)
				return true;
		return false;
	default:
		return false;
	}
}

unsigned pvc_audit(const struct pvc_image *img, const char *allowlist,
		   unsigned *found)
{
	unsigned errors = 0;
	struct pvc_section sec;
	char where[96];

	*found = 0;
	if (!read_allowlist(allowlist))
		return 1;
	for (unsigned i = 0; pvc_exec_section(img, i, &sec); i++) {
		const uint8_t *p = sec.start;
		csh cs = pvc_cs();

		while (p < sec.end) {
			cs_insn *in;
			uint64_t at = pvc_addr(img, p);
			struct allow *ok;
			char *plus;

			if (cs_disasm(cs, p, (size_t)(sec.end - p), at, 1,
				      &in) != 1) {
				p++; /* data in text: step over it */
				continue;
			}
			p += in->size;
			if (!is_privileged(in)) {
				cs_free(in, 1);
				continue;
			}
			(*found)++;
			pvc_where(img, at, where, sizeof(where));
			/* "func+0x12", or NASM's local "func.label+0x3". */
			plus = strpbrk(where + 1, "+.");
			if (plus)
				*plus = '\0';
			ok = allowed_in(where);
			if (ok)
				ok->uses++;
			else {
				pvc_violation(
				    "privileged `%s%s%s` in "
				    "%s at %#llx, outside the pv ops: "
				    "reach it through pv_ops, or add "
				    "\"%s reason\" to %s",
				    in->mnemonic, in->op_str[0] ? " " : "",
				    in->op_str, where, (unsigned long long)at,
				    where, allowlist);
				errors++;
			}
			cs_free(in, 1);
		}
	}
	for (unsigned i = 0; i < nallowed; i++)
		if (!allowed[i].uses) {
			pvc_violation(
			    "allowlist entry %s matches no "
			    "privileged instruction: remove it from %s",
			    allowed[i].pattern, allowlist);
			errors++;
		}
	return errors;
}

void pvc_audit_list(void)
{
	for (unsigned i = 0; i < nallowed; i++)
		printf("  %-28s %2u  %s\n", allowed[i].pattern, allowed[i].uses,
		       allowed[i].reason);
}
