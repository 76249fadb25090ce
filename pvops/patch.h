/* SPDX-License-Identifier: MIT */
/*
 * patch.h: the patch engine's interface. One engine for every record kind
 * of pv_abi.h; freestanding C (no libc), built into the guest and, for the
 * unit tests and the host benchmark, into host programs.
 */
#ifndef PV_PATCH_H
#define PV_PATCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv_abi.h"

/* Negative errno-style results. */
#define PV_ENOENT 2  /* a record points at nothing we know */
#define PV_EAGAIN 11 /* another switch is in progress: ask again */
#define PV_EINVAL 22 /* a malformed record or site */
#define PV_ENOSPC 28 /* a replacement longer than its site */
#define PV_ERANGE 34 /* a rel32 that cannot reach */

/* A direct-call target: its address and the registers it changes. */
struct pv_target {
	uintptr_t addr; /* 0: none */
	uint16_t clobbers;
};

/* What the sites calling through one ops table may become. */
struct pv_backend {
	const void *table; /* the ops table */
	/* Native sequences (NULL: none); _fit: the same padded with CS
	 * prefixes to a site's exact length, used where the length matches. */
	const struct pv_patchlet *native[PV_OP_COUNT];
	const struct pv_patchlet *native_fit[PV_OP_COUNT];
	struct pv_target direct[PV_OP_COUNT];
};

struct pv_patch_ctx;

/*
 * A callback alternative: given the site's original bytes (orig, len),
 * write the new bytes to (buf) and return how many (the engine pads the
 * rest with NOPs), or a negative PV_E* code to refuse the site.
 */
typedef int pv_callback_fn(const struct pv_patch_site *rec, const uint8_t *orig,
			   unsigned len, uint8_t *buf,
			   const struct pv_patch_ctx *ctx);

struct pv_patch_ctx {
	const struct pv_backend *backends; /* one per ops table */
	unsigned nbackends;
	const uint32_t *features; /* pv_feature.h words */
	unsigned nfeature_words;
	const struct pv_patchlet *nops[9];	 /* nops[n]: an n-byte NOP */
	const struct pv_patchlet *call_tmpl;	 /* call rel32 */
	const struct pv_patchlet *call_fit_tmpl; /* cs call rel32, or NULL */
	const struct pv_patchlet *indirect_tmpl; /* call [rip + disp32] */
	const void *cb_data;			 /* for the callbacks */
	bool debug; /* log every site, bytes before and after */
	/* printf-style sink for refusals and the debug table; NULL: silent */
	int (*vlog)(const char *fmt, va_list ap);
	void (*sync_core)(void); /* serialise after writing; or NULL */
	/*
	 * How site and out-of-line bytes are written (text read-only, a
	 * writable alias: the guest's text_poke), or NULL for plain stores.
	 * A 1-byte write and an aligned 8-byte write must each be one store.
	 */
	void (*poke)(void *dst, const void *src, size_t len);
};

/* What the engine did with a site. */
enum pv_action {
	PV_ACT_NATIVE,	 /* OP: the native patchlet, inline */
	PV_ACT_DIRECT,	 /* OP: call rel32 to the backend */
	PV_ACT_INDIRECT, /* OP: left as the indirect call */
	PV_ACT_REPLACED, /* FEATURE: the replacement went in */
	PV_ACT_KEPT,	 /* FEATURE: the original stays */
	PV_ACT_CALLBACK, /* CALLBACK: the callback's bytes went in */
	PV_ACT_COUNT,
};

struct pv_patch_stats {
	unsigned records;
	unsigned actions[PV_ACT_COUNT];
};

/* Where a self-relative field points. */
static inline const void *pv_rel(const int32_t *field)
{
	return (const uint8_t *)field + *field;
}

static inline uint8_t *pv_site_addr(const struct pv_patch_site *rec)
{
	return (uint8_t *)(uintptr_t)pv_rel(&rec->instr);
}

static inline const uint8_t *pv_patchlet_bytes(const struct pv_patchlet *p)
{
	return pv_rel(&p->start);
}

/*
 * Decide what the record's site becomes and build its bytes in (buf),
 * which must hold rec->instr_len bytes; nothing is written to the site.
 * Returns 0, or a negative PV_E* code after logging why.
 */
int pv_plan_site(const struct pv_patch_site *rec,
		 const struct pv_patch_ctx *ctx, uint8_t *buf,
		 enum pv_action *act);

/*
 * The same, planned from (orig), the site's original bytes, instead of
 * what the site holds now: a live switch (pvops/live.c) plans from the
 * originals it kept at boot, whatever an earlier switch wrote.
 */
int pv_plan_site_from(const struct pv_patch_site *rec,
		      const struct pv_patch_ctx *ctx, const uint8_t *orig,
		      uint8_t *buf, enum pv_action *act);

/*
 * Patch every record in [begin, end), in table order, each site written
 * once; then ctx->sync_core(). Stops at the first refused record and
 * returns its code (sites before it stay patched); 0 when all went in.
 * The caller makes sure nothing executes a site while it is rewritten
 * (one CPU, interrupts off).
 */
int pv_apply(const struct pv_patch_site *begin, const struct pv_patch_site *end,
	     const struct pv_patch_ctx *ctx, struct pv_patch_stats *stats);

/* Copy patchlet (p) to (dst), which will live at (runtime), relocating it. */
int pv_copy_patchlet(const struct pv_patchlet *p, uint8_t *dst,
		     uintptr_t runtime);

/* Store at (field) the rel32 of an instruction ending at (insn_end) aiming
 * at (to); -PV_ERANGE if it cannot reach. */
int pv_put_rel32(uint8_t *field, uintptr_t insn_end, uintptr_t to);

/* Copy (len) bytes of code built for (from) to (dst), to run at (runtime),
 * relocating every relative operand aimed outside them. */
int pv_relocate(const uint8_t *src, uintptr_t from, unsigned len, uint8_t *dst,
		uintptr_t runtime);

/* Store (len) bytes of code at (dst) where it is writable: an aligned
 * 8-byte write is one store, the others byte by byte (so a 1-byte write
 * is one store too). What ctx->poke must promise, and what it uses. */
void pv_code_store(void *dst, const void *src, size_t len);
/* Write (len) bytes of code at (dst) through ctx->poke, or with
 * pv_code_store without one. */
void pv_text_write(const struct pv_patch_ctx *ctx, void *dst, const void *src,
		   unsigned len);

/* Fill (dst, n) with the longest NOPs of ctx->nops. */
void pv_fill_nops(const struct pv_patch_ctx *ctx, uint8_t *dst, unsigned n);

/* Names for logs: "save_fl", "native", ... */
const char *pv_op_name(unsigned op);
const char *pv_action_name(enum pv_action act);

#endif /* PV_PATCH_H */
