/* SPDX-License-Identifier: MIT */
/*
 * pvcheck.h: pvcheck's internal interfaces. pvcheck reads a guest image
 * (the role objtool plays for Linux): its patch records and patchlets,
 * every instruction stream the patch engine can put at each site, and the
 * stack depth at every instruction boundary of each; it refuses what
 * would break an unwinder or a site (docs/pvcheck.md). It runs in passes,
 * one file each, as objtool's check does: read the image (image.c), build
 * the streams (streams.c), follow the CFA (frame.c's stack model, cfa.c,
 * flatten.c, unwind_rows.c), write the unwind rows and the table (unwind.c),
 * report (report.c); main.c runs them in order, and audit.c is the optional
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

/* ---- frame.c: the decoder, and the stack model one instruction at a
 * time ---- */

enum pvc_rbp {
	PVC_RBP_START, /* rbp holds its value from the start */
	PVC_RBP_FRAME, /* rbp = rsp at the start + rbp_frame */
	PVC_RBP_OTHER, /* anything else */
};

/* pvc_frame_rbp_slot(): the start value of rbp is nowhere. */
#define PVC_RBP_LOST 1

/* The frame at an instruction boundary, relative to a starting point
 * ("rsp0", rsp there). */
struct pvc_frame {
	int depth; /* rsp - rsp0 */
	enum pvc_rbp rbp;
	int rbp_frame;	  /* PVC_RBP_FRAME: rbp - rsp0 */
	int saved[16];	  /* register n's start value at rsp0 + saved[n]
			     (negative), 0: not on the stack */
	uint16_t changed; /* registers no longer holding their start value */
};

/* Open the Capstone decoder (64-bit, with details); false on failure. */
bool pvc_cfa_init(void);
/* The Capstone handle pvc_cfa_init opened. */
csh pvc_cs(void);
/* Does (in) write (reg), at any width (ebp, bp, bpl for rbp)? True also
 * when Capstone cannot tell. */
bool pvc_writes_reg(const cs_insn *in, x86_reg reg);

/* At the starting point: rsp0, every register its own. */
void pvc_frame_start(struct pvc_frame *f);
/*
 * Apply (in) to (f). Returns NULL, or (why) filled with why pvcheck
 * cannot follow it: a write to rsp, esp, sp or spl other than those
 * frame.c's header lists.
 */
const char *pvc_frame_step(struct pvc_frame *f, const cs_insn *in, char *why,
			   size_t len);
/* Where the start value of rbp is: 0 in rbp, a negative depth on the
 * stack, or PVC_RBP_LOST. What an unwinder needs of rbp. */
int pvc_frame_rbp_slot(const struct pvc_frame *f);
/* The same to an unwinder: rsp and the start rbp's place. */
bool pvc_frame_same(const struct pvc_frame *a, const struct pvc_frame *b);
/* The start rbp's place, in words, into (buf). */
const char *pvc_frame_rbp(const struct pvc_frame *f, char *buf, size_t len);
/* The pv_reg number of a general-purpose register of any width, or -1. */
int pvc_gpr(x86_reg reg);
/* The general-purpose registers (in) writes, rsp included, as a mask in
 * (*mask); false if Capstone cannot tell. */
bool pvc_gpr_writes(const cs_insn *in, uint16_t *mask);

/* ---- cfa.c: decoding a stream and following the frame through it ---- */

#define PVC_MAX_INSNS PV_MAX_SITE_LEN

struct pvc_insn {
	unsigned off, len;	/* in the stream */
	struct pvc_frame frame; /* at its start, rsp0 the site's start */
	bool call;		/* a call: it returns into the stream */
	char text[64];		/* mnemonic and operands */
};

struct pvc_stream {
	const char *name;
	uint8_t bytes[PV_MAX_SITE_LEN];
	unsigned len, ninsns;
	struct pvc_insn insns[PVC_MAX_INSNS];
	struct pvc_frame end; /* at the site's end */
};

/*
 * Decode (s->bytes, s->len) at guest address (addr) and follow the frame
 * through it (frame.c). Returns NULL, or why the stream cannot be
 * followed (undecodable, an instruction past the site's end, a branch, a
 * write to rsp that frame.c does not model).
 */
const char *pvc_follow(struct pvc_stream *s, uint64_t addr);

/*
 * Check one patchlet's bytes at guest address (addr): the engine's
 * decoder must take every instruction (it relocates by decoding), no
 * rel8 branch may leave it (relocatable within 127 bytes only; a rel32 or
 * RIP-relative operand that cannot reach is the engine's refusal at the
 * site), and the registers it leaves changed must be among the clobbers
 * it declares. Returns NULL or why not.
 */
const char *pvc_check_patchlet(const struct pv_patchlet *p, uint64_t addr,
			       char *why, size_t len);

/* "rax rcx" for register mask (mask), into (buf). */
const char *pvc_reg_names(uint16_t mask, char *buf, size_t len);

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

/* A jump or conditional jump the assembly follower met, with a rule in
 * force: its target must have a rule too (unwind.c checks), or a
 * backtrace from there would stop early. */
struct pvc_branch {
	uint64_t from, to;
};
/* The branches of the last pvc_code_rows(); valid until the next. */
size_t pvc_code_branches(const struct pvc_branch **out);

/* ---- unwind.c: the unwind table (include/pv_unwind.h) ---- */

/* What an unwinder needs at one offset of a proven site. */
struct pvc_site_at {
	bool boundary;	/* an instruction boundary of some stream */
	int depth;	/* rsp relative to the site's start (0 or less) */
	int rbp_slot;	/* the start rbp: pvc_frame_rbp_slot() */
	bool rbp_moved; /* some stream stopping here has rbp changed */
};

/* A patch site's flattened frame at each offset (at[0..len)), recorded by
 * flatten.c once the site's streams agree. */
void pvc_unwind_add_site(uint64_t addr, unsigned len,
			 const struct pvc_site_at *at);

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
