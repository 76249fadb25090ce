/* SPDX-License-Identifier: MIT */
/*
 * pvcheck.h: pvcheck's internal interfaces. pvcheck reads a guest image
 * (the role objtool plays for Linux): its patch records and patchlets,
 * every instruction stream the patch engine can put at each site, and the
 * stack depth at every instruction boundary of each; it refuses what
 * would break an unwinder or a site (docs/pvcheck.md). It runs in passes,
 * one file each, as objtool's check does: read the image (image.c), build
 * the streams (streams.c), follow the CFA (cfa.c, flatten.c,
 * unwind_rows.c), write the unwind rows and the table (unwind.c), report
 * (report.c); main.c runs them in order, and audit.c is the optional
 * privileged-instruction sweep. Each uses only the passes before it and
 * report.c.
 */
#ifndef PVCHECK_H
#define PVCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

#include "patch.h"

/* ---- image.c: the guest image, loaded as the guest sees it ---- */

struct pvc_section {
	const uint8_t *start, *end; /* in the loaded image */
};

struct pvc_image {
	const char *path;
	uint8_t *mem;  /* the PT_LOAD segments, from base */
	uint64_t base; /* lowest PT_LOAD address */
	uint64_t size; /* bytes of mem */
	struct pvc_symbol *syms;
	size_t nsyms;
};

struct pvc_symbol {
	char *name;
	uint64_t addr, size;
	bool func;   /* STT_FUNC (C functions, NASM's name:function) */
	bool global; /* not STB_LOCAL */
	bool exec;   /* in an executable section */
};

/*
 * Load (path): every PT_LOAD segment at (its address - base) of one
 * buffer, so self-relative records work as in the guest; and the symbol
 * table. Returns false with a message on stderr.
 */
bool pvc_image_load(struct pvc_image *img, const char *path);
void pvc_image_free(struct pvc_image *img);

/* The loaded image's libelf handle (for libdw), until pvc_image_free. */
struct Elf *pvc_image_elf(void);

/* The (n)th executable section's loaded bytes; false past the last. */
bool pvc_exec_section(const struct pvc_image *img, unsigned n,
		      struct pvc_section *out);

/* The loaded bytes of section (name), or both NULL if there is none. */
struct pvc_section pvc_section(const struct pvc_image *img, const char *name);

/* Host pointer of guest address (addr), or NULL outside the image. */
uint8_t *pvc_ptr(const struct pvc_image *img, uint64_t addr);
uint64_t pvc_addr(const struct pvc_image *img, const void *p);

/* The symbol (name)'s host pointer, or NULL. */
void *pvc_sym_ptr(const struct pvc_image *img, const char *name);

/* The name of a symbol at (addr) ending with (suffix), or NULL. */
const char *pvc_sym_ending(const struct pvc_image *img, uint64_t addr,
			   const char *suffix);

/* "func+0x12" for guest address (addr) into (buf). */
const char *pvc_where(const struct pvc_image *img, uint64_t addr, char *buf,
		      size_t len);

/* ---- cfa.c: decoding a stream and following rsp ---- */

#define PVC_MAX_INSNS PV_MAX_SITE_LEN

struct pvc_insn {
	unsigned off, len; /* in the stream */
	int depth;	   /* rsp at its start, relative to the site's start */
	bool call;	   /* a call: it returns into the stream */
	char text[64];	   /* mnemonic and operands */
};

struct pvc_stream {
	const char *name;
	uint8_t bytes[PV_MAX_SITE_LEN];
	unsigned len, ninsns;
	struct pvc_insn insns[PVC_MAX_INSNS];
	int end_depth;
};

/*
 * Decode (s->bytes, s->len) at guest address (addr) and follow rsp through
 * it: push/pop (and pushfq/popfq) move it by 8, a call returns, sub/add
 * rsp with an immediate move it by that. Returns NULL, or why the stream
 * cannot be followed (undecodable, an instruction past the site's end, a
 * branch, another write to rsp).
 */
const char *pvc_follow(struct pvc_stream *s, uint64_t addr);

/*
 * Check one patchlet's bytes at guest address (addr): the engine's
 * decoder must take every instruction (it relocates by decoding), and no
 * rel8 branch may leave it (relocatable within 127 bytes only; a rel32 or
 * RIP-relative operand that cannot reach is the engine's refusal at the
 * site). Returns NULL or why not.
 */
const char *pvc_check_patchlet(const struct pv_patchlet *p, uint64_t addr,
			       char *why, size_t len);

/*
 * How (in) moves rsp, in (*delta): push and pop by 8, add and sub rsp by
 * their immediate, a call not at all (it returns). False if it writes rsp
 * in any other way (mov, and, leave, ...), which pvcheck cannot follow.
 */
bool pvc_rsp_delta(const cs_insn *in, int *delta);

/* Does (in) write (reg)? True also when Capstone cannot tell. */
bool pvc_writes_reg(const cs_insn *in, x86_reg reg);

bool pvc_cfa_init(void);

/* The Capstone handle cfa.c opened (64-bit, with details). */
csh pvc_cs(void);

/* ---- audit.c: privileged instructions outside the pv ops ---- */

/*
 * Sweep every executable section of (img) for privileged instructions and
 * check each against the allowlist file (path): "function reason" lines.
 * Returns the number of violations (printed), unused entries included;
 * (*found) is the number of privileged instructions seen.
 */
unsigned pvc_audit(const struct pvc_image *img, const char *allowlist,
		   unsigned *found);
/* Print the allowlist with each entry's use count (after pvc_audit). */
void pvc_audit_list(void);

/* ---- streams.c: every stream the engine can put at a site ---- */

#define PVC_MAX_STREAMS 8

struct pvc_site {
	const struct pv_patch_site *rec;
	uint64_t addr;
	char where[96];
	struct pvc_stream streams[PVC_MAX_STREAMS];
	unsigned nstreams;
};

/* The engine's context from (img)'s own patchlets, templates and NOPs. */
void pvc_streams_init(const struct pvc_image *img);
/* Fill (s) with record (rec)'s site and its distinct streams; false
 * (reported) if the site is not in the image or cannot be patched. */
bool pvc_site_streams(const struct pv_patch_site *rec, struct pvc_site *s);

/* ---- flatten.c: one stack layout at every shared boundary ---- */

/* Follow rsp through each stream of (s) and flatten them; a site that
 * passes gives the unwind table its depths (pvc_unwind_add_site). */
void pvc_flatten(struct pvc_site *s);

/* ---- report.c: what pvcheck says ---- */

/* The image whose violations follow, from now on counted from 0. */
void pvc_report_image(const char *path);
/* One violation: "pvcheck: FILE: ..." on stderr, counted. */
void pvc_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The violations counted since pvc_report_image(). */
unsigned pvc_errors(void);
/* Print (s)'s streams with each instruction's depth (--list). */
void pvc_list_site(const struct pvc_site *s);

/* ---- unwind_rows.c: the code's unwind rows, CFI and assembly ---- */

/* One row of the table being built: the rule from (ip) on. */
struct pvc_row {
	uint64_t ip;
	size_t seq; /* order added: at one ip, the later row wins */
	int cfa_off, rbp_off;
	uint8_t type, reg, flags;
};

typedef void pvc_emit_row(const struct pvc_row *r);

/* Read (img)'s UNWIND_HINTs; false (reported) if they are malformed. */
bool pvc_hints_load(const struct pvc_image *img);
void pvc_hints_free(void);
/*
 * Emit the rows of every executable section of (img): the compiler's CFI
 * where it has some, else rsp followed through the assembly from each
 * global label and hint. False (reported) if a CFI rule cannot be held.
 */
bool pvc_code_rows(const struct pvc_image *img, pvc_emit_row *emit);

/* ---- unwind.c: the unwind table (include/pv_unwind.h) ---- */

/*
 * A patch site's flattened stack depth: at each offset that is an
 * instruction boundary of some stream (boundary[off]), rsp relative to
 * the site's start (depth[off], 0 or negative). Recorded by flatten.c
 * once the site's streams agree.
 */
void pvc_unwind_add_site(uint64_t addr, unsigned len, const int *depth,
			 const bool *boundary);

/*
 * Build the unwind table of (img) into a malloc'd (*blob, *len): rows from
 * the compiler's CFI (.eh_frame, with libdw), from following rsp through
 * the assembly (with its UNWIND_HINTs), and per site from the flattened
 * depths; and the function names. Violations are reported (false).
 */
bool pvc_unwind_build(const struct pvc_image *img, uint8_t **blob, size_t *len);

/* Forget the sites of the last image. */
void pvc_unwind_reset(void);

/* Print the table in (blob) readably, one row per line. */
void pvc_unwind_print(const uint8_t *blob, size_t len);

#endif /* PVCHECK_H */
