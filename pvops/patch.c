// SPDX-License-Identifier: MIT
/*
 * patch.c: the patch engine. Walks patch records (pv_abi.h), decides what
 * each site becomes, builds the new bytes in a buffer (patchlet copied and
 * relocated, or a call rel32, or a callback's bytes), pads with NOPs and
 * writes the site once. Every byte written comes from an assembled
 * patchlet or template; C computes only rel32 displacements.
 * Freestanding: no libc, only compiler builtins.
 */
#include "insn.h"
#include "patch.h"
#include "pv_bug.h"

#define PV_PRINTF(f, a) __attribute__((format(printf, f, a)))

static void PV_PRINTF(2, 3)
    pv_log(const struct pv_patch_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->vlog)
		return;
	va_start(ap, fmt);
	ctx->vlog(fmt, ap);
	va_end(ap);
}

static const char *const op_names[PV_OP_COUNT] = {
#define PV_OP_NAME(name, NAME, contract, shape, bench, batch)                  \
	[PV_OP_##NAME] = #name,
    PV_OP_LIST(PV_OP_NAME)
#undef PV_OP_NAME
};

static const char *const action_names[PV_ACT_COUNT] = {
    [PV_ACT_NATIVE] = "native",	    [PV_ACT_DIRECT] = "direct",
    [PV_ACT_INDIRECT] = "indirect", [PV_ACT_REPLACED] = "replaced",
    [PV_ACT_KEPT] = "kept",	    [PV_ACT_CALLBACK] = "callback",
};

const char *pv_op_name(unsigned op)
{
	return op < PV_OP_COUNT ? op_names[op] : "?";
}

const char *pv_action_name(enum pv_action act)
{
	return (unsigned)act < PV_ACT_COUNT ? action_names[act] : "?";
}

static int PV_PRINTF(4, 5)
    refuse(const struct pv_patch_ctx *ctx, const struct pv_patch_site *rec,
	   int code, const char *why, ...)
{
	va_list ap;

	pv_log(ctx, "pvops: refused site %p (kind %u, key %u, %u bytes): ",
	       (const void *)pv_site_addr(rec), rec->kind, rec->key,
	       rec->instr_len);
	if (ctx->vlog) {
		va_start(ap, why);
		ctx->vlog(why, ap);
		va_end(ap);
	}
	pv_log(ctx, "\n");
	return code;
}

int pv_put_rel32(uint8_t *field, uintptr_t insn_end, uintptr_t to)
{
	int64_t d = (int64_t)(to - insn_end);
	int32_t v = (int32_t)d;

	if (d != (int64_t)v)
		return -PV_ERANGE;
	__builtin_memcpy(field, &v, sizeof(v));
	return 0;
}

/* A relative field of (size) 1 or 4 bytes at (at), sign-extended. */
static int64_t get_rel(const uint8_t *at, unsigned size)
{
	int32_t v32;

	if (size == 1)
		return (int8_t)at[0];
	__builtin_memcpy(&v32, at, sizeof(v32));
	return v32;
}

/*
 * Copy (len) bytes of code from (src), which was built to run at (from),
 * to (dst), which will run at (runtime). Every instruction is decoded
 * (insn.c), as Linux's apply_relocation does: a relative branch or
 * RIP-relative operand aimed outside [from, from + len) is made to aim at
 * the same place from the new address; one inside moves with the code.
 * -PV_ERANGE if a new displacement does not fit its field (a rel8 that
 * leaves the code rarely does), -PV_EINVAL if an instruction cannot be
 * decoded.
 */
int pv_relocate(const uint8_t *src, uintptr_t from, unsigned len, uint8_t *dst,
		uintptr_t runtime)
{
	unsigned off = 0;

	__builtin_memcpy(dst, src, len);
	while (off < len) {
		struct pv_insn in;
		int n = pv_insn_decode(src + off, len - off, &in);
		unsigned field, size;
		uintptr_t to;
		int64_t d;

		if (n < 0)
			return -PV_EINVAL;
		field = off + (in.rel_size ? in.rel_off : in.rip_off);
		size = in.rel_size ? in.rel_size : in.rip_off ? 4 : 0;
		off += (unsigned)n;
		if (!size)
			continue;
		/* Displacements count from the instruction's end. */
		to = from + off + (uintptr_t)get_rel(src + field, size);
		if (to >= from && to < from + len)
			continue; /* inside: moves along */
		d = (int64_t)(to - (runtime + off));
		if (size == 1 ? d != (int8_t)d : d != (int32_t)d)
			return -PV_ERANGE;
		if (size == 1)
			dst[field] = (uint8_t)d;
		else
			pv_put_rel32(dst + field, runtime + off, to);
	}
	return 0;
}

int pv_copy_patchlet(const struct pv_patchlet *p, uint8_t *dst,
		     uintptr_t runtime)
{
	const uint8_t *src = pv_patchlet_bytes(p);

	return pv_relocate(src, (uintptr_t)src, p->len, dst, runtime);
}

void pv_fill_nops(const struct pv_patch_ctx *ctx, uint8_t *dst, unsigned n)
{
	while (n) {
		unsigned k = n < 8 ? n : 8;

		while (k > 1 && !ctx->nops[k])
			k--;
		PV_BUG_ON(!ctx->nops[k]);
		__builtin_memcpy(dst, pv_patchlet_bytes(ctx->nops[k]), k);
		dst += k;
		n -= k;
	}
}

/* Byte compare for the few bytes of a site: cheaper than a library call. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Are (bytes, len), run at (site), exactly `call [rip + disp32]` aiming
 * at (slot)? */
static bool is_indirect_call(const struct pv_patch_ctx *ctx,
			     const uint8_t *bytes, const uint8_t *site,
			     unsigned len, uintptr_t slot)
{
	const struct pv_patchlet *t = ctx->indirect_tmpl;
	int32_t disp;

	if (len != t->len || !same_bytes(bytes, pv_patchlet_bytes(t), len - 4))
		return false;
	__builtin_memcpy(&disp, bytes + len - 4, sizeof(disp));
	return (uintptr_t)site + len + disp == slot;
}

static const struct pv_backend *find_backend(const struct pv_patch_ctx *ctx,
					     const void *table)
{
	for (unsigned i = 0; i < ctx->nbackends; i++)
		if (ctx->backends[i].table == table)
			return &ctx->backends[i];
	return NULL;
}

/*
 * The decision order for a pv-op site: the backend's native patchlet if
 * it fits and changes only registers the site allows (its CS-padded
 * variant where that matches the site's length exactly, else the plain
 * one and NOPs); else a direct call if the target's clobbers fit and rel32
 * reaches, as one instruction filling the site (`call rel32`, or the
 * CS-padded `cs call rel32`), never followed by a NOP: a boundary after
 * the call inside the site would have rsp where no other stream has it
 * (`cs cs cs cs pushfq` at +5, docs/pvcheck.md); else the indirect call.
 */
static int plan_op(const struct pv_patch_site *rec,
		   const struct pv_patch_ctx *ctx, const uint8_t *orig,
		   uint8_t *buf, enum pv_action *act)
{
	uint8_t *site = pv_site_addr(rec);
	unsigned len = rec->instr_len, op = rec->key;
	const void *table = pv_rel(&rec->repl);
	const struct pv_backend *be = find_backend(ctx, table);
	const struct pv_patchlet *p, *call;
	const struct pv_target *t;

	if (op >= PV_OP_COUNT)
		return refuse(ctx, rec, -PV_EINVAL, "unknown op %u", op);
	if (!be)
		return refuse(ctx, rec, -PV_ENOENT,
			      "op %u calls through an ops table no backend "
			      "covers",
			      op);
	if (!is_indirect_call(ctx, orig, site, len,
			      (uintptr_t)table + op * sizeof(void *)))
		return refuse(ctx, rec, -PV_EINVAL,
			      "is not an indirect call through slot %u (%u "
			      "bytes expected)",
			      op, ctx->indirect_tmpl->len);

	/* A variant padded to exactly this length leaves no NOP to run. */
	p = be->native_fit[op];
	if (!p || p->len != len)
		p = be->native[op];
	if (p && p->len <= len && !(p->clobbers & ~rec->clobbers)) {
		if (pv_copy_patchlet(p, buf, (uintptr_t)site) < 0)
			return refuse(ctx, rec, -PV_ERANGE,
				      "patchlet for op %u cannot be relocated "
				      "here",
				      op);
		pv_fill_nops(ctx, buf + p->len, len - p->len);
		*act = PV_ACT_NATIVE;
		return 0;
	}
	t = &be->direct[op];
	call = ctx->call_fit_tmpl && ctx->call_fit_tmpl->len == len
		   ? ctx->call_fit_tmpl
		   : ctx->call_tmpl;
	if (t->addr && !(t->clobbers & ~rec->clobbers) && call->len == len &&
	    pv_put_rel32(buf + len - 4, (uintptr_t)site + len, t->addr) == 0) {
		__builtin_memcpy(buf, pv_patchlet_bytes(call), len - 4);
		*act = PV_ACT_DIRECT;
		return 0;
	}
	__builtin_memcpy(buf, orig, len);
	*act = PV_ACT_INDIRECT;
	return 0;
}

static int plan_feature(const struct pv_patch_site *rec,
			const struct pv_patch_ctx *ctx, const uint8_t *orig,
			uint8_t *buf, enum pv_action *act)
{
	uint8_t *site = pv_site_addr(rec);
	unsigned len = rec->instr_len, bit = rec->key;
	const struct pv_patchlet *repl = pv_rel(&rec->repl);
	bool has, want;

	if (bit / 32 >= ctx->nfeature_words)
		return refuse(ctx, rec, -PV_EINVAL,
			      "unknown feature %u (%u words known)", bit,
			      ctx->nfeature_words);
	/* Checked even where not applied: it would not fit elsewhere. */
	if (repl->len > len)
		return refuse(ctx, rec, -PV_ENOSPC,
			      "replacement of %u bytes is longer than the "
			      "%u-byte site",
			      repl->len, len);
	has = (ctx->features[bit / 32] >> (bit % 32)) & 1;
	want = has != !!(rec->flags & PV_FLAG_ABSENT);
	if (!want) {
		__builtin_memcpy(buf, orig, len);
		*act = PV_ACT_KEPT;
		return 0;
	}
	if (pv_copy_patchlet(repl, buf, (uintptr_t)site) < 0)
		return refuse(ctx, rec, -PV_ERANGE,
			      "replacement cannot be relocated here");
	pv_fill_nops(ctx, buf + repl->len, len - repl->len);
	*act = PV_ACT_REPLACED;
	return 0;
}

static int plan_callback(const struct pv_patch_site *rec,
			 const struct pv_patch_ctx *ctx, const uint8_t *orig,
			 uint8_t *buf, enum pv_action *act)
{
	pv_callback_fn *fn = (pv_callback_fn *)(uintptr_t)pv_rel(&rec->repl);
	unsigned len = rec->instr_len;
	int n = fn(rec, orig, len, buf, ctx);

	if (n < 0)
		return refuse(ctx, rec, n, "callback refused it (error %d)",
			      -n);
	if ((unsigned)n > len)
		return refuse(ctx, rec, -PV_ENOSPC,
			      "callback wrote %u bytes into a %u-byte site",
			      (unsigned)n, len);
	pv_fill_nops(ctx, buf + n, len - (unsigned)n);
	*act = PV_ACT_CALLBACK;
	return 0;
}

int pv_plan_site(const struct pv_patch_site *rec,
		 const struct pv_patch_ctx *ctx, uint8_t *buf,
		 enum pv_action *act)
{
	return pv_plan_site_from(rec, ctx, pv_site_addr(rec), buf, act);
}

int pv_plan_site_from(const struct pv_patch_site *rec,
		      const struct pv_patch_ctx *ctx, const uint8_t *orig,
		      uint8_t *buf, enum pv_action *act)
{
	if (rec->instr_len == 0 || rec->instr_len > PV_MAX_SITE_LEN)
		return refuse(ctx, rec, -PV_EINVAL,
			      "site length %u is not 1..%u", rec->instr_len,
			      PV_MAX_SITE_LEN);
	switch (rec->kind) {
	case PV_KIND_OP:
		return plan_op(rec, ctx, orig, buf, act);
	case PV_KIND_FEATURE:
		return plan_feature(rec, ctx, orig, buf, act);
	case PV_KIND_CALLBACK:
		return plan_callback(rec, ctx, orig, buf, act);
	default:
		return refuse(ctx, rec, -PV_EINVAL, "unknown record kind %u",
			      rec->kind);
	}
}

static void log_site(const struct pv_patch_ctx *ctx,
		     const struct pv_patch_site *rec, const uint8_t *before,
		     const uint8_t *after, enum pv_action act)
{
	static const char hex[] = "0123456789abcdef";
	char line[3 * 2 * PV_MAX_SITE_LEN + 8], *p = line;
	unsigned len = rec->instr_len;

	for (unsigned pass = 0; pass < 2; pass++) {
		const uint8_t *b = pass ? after : before;

		for (unsigned i = 0; i < len; i++) {
			*p++ = hex[b[i] >> 4];
			*p++ = hex[b[i] & 15];
			*p++ = ' ';
		}
		if (!pass) {
			*p++ = '-';
			*p++ = '>';
			*p++ = ' ';
		}
	}
	p[-1] = '\0';
	pv_log(ctx, "pvops: %p %-13s len %2u %-8s %s\n", (const void *)before,
	       rec->kind == PV_KIND_OP	      ? pv_op_name(rec->key)
	       : rec->kind == PV_KIND_FEATURE ? "feature"
					      : "callback",
	       len, pv_action_name(act), line);
}

void pv_code_store(void *dst, const void *src, size_t len)
{
	uint64_t v;

	if (len == 8 && !((uintptr_t)dst & 7)) {
		__builtin_memcpy(&v, src, 8);
		__atomic_store_n((volatile uint64_t *)dst, v, __ATOMIC_RELEASE);
		return;
	}
	for (size_t i = 0; i < len; i++)
		((volatile uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

void pv_text_write(const struct pv_patch_ctx *ctx, void *dst, const void *src,
		   unsigned len)
{
	if (ctx->poke)
		ctx->poke(dst, src, len);
	else
		pv_code_store(dst, src, len);
}

int pv_apply(const struct pv_patch_site *begin, const struct pv_patch_site *end,
	     const struct pv_patch_ctx *ctx, struct pv_patch_stats *stats)
{
	uint8_t buf[PV_MAX_SITE_LEN];

	PV_BUG_ON(!ctx->nops[1] || !ctx->call_tmpl || !ctx->indirect_tmpl);
	PV_BUG_ON(ctx->call_tmpl->len < 5 || ctx->indirect_tmpl->len < 5);
	for (const struct pv_patch_site *rec = begin; rec < end; rec++) {
		uint8_t *site = pv_site_addr(rec);
		enum pv_action act;
		int r = pv_plan_site(rec, ctx, buf, &act);

		if (r < 0)
			return r;
		if (ctx->debug)
			log_site(ctx, rec, site, buf, act);
		if (!same_bytes(site, buf, rec->instr_len))
			pv_text_write(ctx, site, buf, rec->instr_len);
		stats->records++;
		stats->actions[act]++;
	}
	if (ctx->sync_core)
		ctx->sync_core();
	return 0;
}
