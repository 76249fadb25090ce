// SPDX-License-Identifier: MIT
/*
 * report.c: pvcheck's last pass, what it says: each violation on stderr,
 * counted, naming the image; a site's streams listed with their depths
 * (--list); and what PV_BUG_ON does in the engine's host build. Calls no
 * other pass.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pv_bug.h"
#include "pvcheck.h"

static const char *image_path;
static unsigned errors;

/* Environment of the engine's host build: an invariant broke. */
void pv_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "pvcheck: PV_BUG_ON(%s) at %s:%d\n", cond, file, line);
	exit(2);
}

void pvc_report_image(const char *path)
{
	image_path = path;
	errors = 0;
}

unsigned pvc_errors(void)
{
	return errors;
}

void pvc_violation(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pvcheck: %s: ", image_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errors++;
}

void pvc_list_site(const struct pvc_site *s)
{
	static const char *const kinds[] = {"op", "feature", "callback"};

	printf("%#llx %s len %u %s %s\n", (unsigned long long)s->addr, s->where,
	       s->rec->instr_len, s->rec->kind < 3 ? kinds[s->rec->kind] : "?",
	       s->rec->kind == PV_KIND_OP ? pv_op_name(s->rec->key) : "");
	for (unsigned i = 0; i < s->nstreams; i++) {
		const struct pvc_stream *st = &s->streams[i];

		printf("  %s:\n", st->name);
		for (unsigned k = 0; k < st->ninsns; k++) {
			const struct pvc_insn *in = &st->insns[k];
			char hex[3 * 16] = "";

			for (unsigned b = 0; b < in->len && b < 15; b++)
				sprintf(hex + 3 * b, "%02x ",
					st->bytes[in->off + b]);
			printf("    +%-2u  rsp%-+4d %-30s %s\n", in->off,
			       in->frame.depth, hex, in->text);
		}
		printf("    +%-2u  rsp%-+4d (end)\n", st->len, st->end.depth);
	}
}
