// SPDX-License-Identifier: MIT
/*
 * test_patch.c: the patch engine on byte buffers on the host, with the
 * real patchlets and templates from patchdata/: the decision order (native
 * that fits, direct call, indirect), exact fits and NOP padding, refusals
 * (too long, unknown op/kind/table, a site that is not the expected call),
 * rel32 displacements and their range, relocation of a relative call
 * inside a patchlet (executed for real), feature alternatives present and
 * absent, and the callback that patches the hypercall port.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pv_feature.h"
#include "pv_host.h"

#define PROBE 0x5eedull

/* What the buffer holds outside the sites: data, never run. */
#define FILL 0xa5

/* Sites and records live in the binary: within rel32 reach of it all. */
static uint8_t text[4096] __attribute__((aligned(4096)));
static struct pv_patch_site recs[16];
static struct pv_patch_ctx ctx;
static struct pv_backend be;
static uint32_t features[PV_FW_COUNT];
static char logbuf[4096];
static unsigned syncs;

uint64_t pv_reloc_data;

uint64_t pv_reloc_probe(void)
{
	return PROBE;
}

static int capture(const char *fmt, va_list ap)
{
	size_t n = strlen(logbuf);

	return vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
}

static void count_sync(void)
{
	syncs++;
}

static void setup(void)
{
	memset(text, FILL, sizeof(text));
	memset(features, 0, sizeof(features));
	logbuf[0] = '\0';
	syncs = 0;
	pv_host_ctx(&ctx);
	be = (struct pv_backend){.table = pv_host_table};
	ctx.backends = &be;
	ctx.nbackends = 1;
	ctx.features = features;
	ctx.nfeature_words = PV_FW_COUNT;
	ctx.vlog = capture;
	ctx.sync_core = count_sync;
}

TestSuite(patch, .init = setup);

static const uint8_t *bytes(const struct pv_patchlet *p)
{
	return pv_patchlet_bytes(p);
}

/* (p, n) holds only whole NOP patchlets. */
static void assert_nops(const uint8_t *p, unsigned n)
{
	while (n) {
		unsigned k = n < 8 ? n : 8;

		while (k && memcmp(p, bytes(ctx.nops[k]), k))
			k--;
		cr_assert_neq(k, 0, "byte %#x is not a NOP", *p);
		p += k;
		n -= k;
	}
}

static struct pv_patch_stats stats;

/* Patch the first (nrecs) records; what was done is in (stats). */
static int apply(unsigned nrecs)
{
	memset(&stats, 0, sizeof(stats));
	return pv_apply(recs, recs + nrecs, &ctx, &stats);
}

Test(patch, native_patchlet_that_fits_goes_inline_with_nops)
{
	const struct pv_patchlet *p = &pv_native_save_fl_desc;
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_SAVE_FL,
					    PV_CLOBBERS_CALLEE_SAVE);

	be.native[PV_OP_SAVE_FL] = p;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(p), p->len), 0);
	assert_nops(text + p->len, len - p->len);
	cr_assert_eq(text[len], FILL, "wrote past the site");
	cr_assert_eq(syncs, 1, "sync_core once after all writes");
}

Test(patch, exact_fit_needs_no_padding)
{
	const struct pv_patchlet *six = &pv_nop6_desc; /* as long as a site */
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD,
					    PV_CLOBBERS_NORMAL);

	cr_assert_eq(six->len, len);
	be.native[PV_OP_WBINVD] = six;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(six), len), 0);
}

Test(patch, too_long_native_falls_back_to_a_direct_call)
{
	static const uint8_t target[1];
	const struct pv_patchlet *eight = &pv_nop8_desc;
	enum pv_action act;
	uint8_t buf[PV_MAX_SITE_LEN];

	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	be.native[PV_OP_WBINVD] = eight;
	be.direct[PV_OP_WBINVD] = (struct pv_target){(uintptr_t)target, 0};
	cr_assert_eq(pv_plan_site(&recs[0], &ctx, buf, &act), 0);
	cr_assert_eq(act, PV_ACT_DIRECT);
}

/* A direct call at (site) to (target) using template (call). */
static void assert_call(const uint8_t *site, unsigned len,
			const struct pv_patchlet *call, const void *target)
{
	int32_t rel;

	cr_assert_eq(memcmp(site, bytes(call), call->len - 4u), 0);
	memcpy(&rel, site + call->len - 4, 4);
	cr_assert_eq((uintptr_t)site + call->len + rel, (uintptr_t)target);
	assert_nops(site + call->len, len - call->len);
}

Test(patch, direct_call_displacement)
{
	static const uint8_t target[1];
	unsigned len = pv_host_make_op_site(
	    text + 100, &recs[0], PV_OP_READ_CR3, PV_CLOBBERS_CALLEE_SAVE);

	be.direct[PV_OP_READ_CR3] =
	    (struct pv_target){(uintptr_t)target, PV_CLOBBERS_CALLEE_SAVE};
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	/* The CS-padded call fills the 6-byte site exactly. */
	cr_assert_eq(pv_tmpl_call_fit_desc.len, len);
	assert_call(text + 100, len, &pv_tmpl_call_fit_desc, target);
}

/*
 * Without a call as long as the site, no direct call: `call rel32; nop`
 * would leave a boundary at +5 with rsp where `cs cs cs cs pushfq` has it
 * 8 lower (docs/pvcheck.md). The site stays the indirect call.
 */
Test(patch, direct_call_never_takes_a_nop)
{
	static const uint8_t target[1];
	uint8_t orig[16], buf[PV_MAX_SITE_LEN];
	enum pv_action act;
	unsigned len = pv_host_make_op_site(
	    text + 100, &recs[0], PV_OP_READ_CR3, PV_CLOBBERS_CALLEE_SAVE);

	memcpy(orig, text + 100, len);
	ctx.call_fit_tmpl = NULL;
	be.direct[PV_OP_READ_CR3] =
	    (struct pv_target){(uintptr_t)target, PV_CLOBBERS_CALLEE_SAVE};

	cr_assert_eq(pv_plan_site(&recs[0], &ctx, buf, &act), 0, "%s", logbuf);
	cr_assert_eq(act, PV_ACT_INDIRECT);
	cr_assert_eq(memcmp(buf, orig, len), 0, "not left indirect");
}

Test(patch, padded_variant_preferred_where_it_fits_exactly)
{
	const struct pv_patchlet *fit = &pv_fit_save_fl_desc;
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_SAVE_FL,
					    PV_CLOBBERS_CALLEE_SAVE);

	cr_assert_eq(fit->len, len);
	be.native[PV_OP_SAVE_FL] = &pv_native_save_fl_desc;
	be.native_fit[PV_OP_SAVE_FL] = fit;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(fit), len), 0, "not the padded one");
}

Test(patch, padded_variant_of_another_length_is_not_used)
{
	const struct pv_patchlet *p = &pv_native_save_fl_desc;
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_SAVE_FL,
					    PV_CLOBBERS_CALLEE_SAVE);

	be.native[PV_OP_SAVE_FL] = p;
	be.native_fit[PV_OP_SAVE_FL] = &pv_nop8_desc; /* 8 bytes: no fit */
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(p), p->len), 0);
	assert_nops(text + p->len, len - p->len);
}

Test(patch, direct_call_out_of_rel32_reach_stays_indirect)
{
	uint8_t orig[8], buf[PV_MAX_SITE_LEN];
	enum pv_action act;
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_READ_CR3,
					    PV_CLOBBERS_CALLEE_SAVE);

	memcpy(orig, text, len);
	be.direct[PV_OP_READ_CR3] = (struct pv_target){
	    (uintptr_t)text + (3ull << 30), PV_CLOBBERS_CALLEE_SAVE};
	cr_assert_eq(pv_plan_site(&recs[0], &ctx, buf, &act), 0);
	cr_assert_eq(act, PV_ACT_INDIRECT);
	cr_assert_eq(memcmp(buf, orig, len), 0);
}

Test(patch, clobbers_outside_the_contract_are_not_used)
{
	static const uint8_t target[1];
	uint8_t buf[PV_MAX_SITE_LEN];
	enum pv_action act;

	/* A C function (clobbers everything) at a callee-save site. */
	pv_host_make_op_site(text, &recs[0], PV_OP_SAVE_FL,
			     PV_CLOBBERS_CALLEE_SAVE);
	be.direct[PV_OP_SAVE_FL] =
	    (struct pv_target){(uintptr_t)target, PV_CLOBBERS_NORMAL};
	cr_assert_eq(pv_plan_site(&recs[0], &ctx, buf, &act), 0);
	cr_assert_eq(act, PV_ACT_INDIRECT);
	/* A patchlet that changes rax at a site that allows nothing. */
	recs[0].clobbers = 0;
	be.native[PV_OP_SAVE_FL] = &pv_native_save_fl_desc;
	cr_assert_eq(pv_plan_site(&recs[0], &ctx, buf, &act), 0);
	cr_assert_eq(act, PV_ACT_INDIRECT);
}

Test(patch, nothing_offered_leaves_the_indirect_call)
{
	uint8_t orig[8];
	unsigned len = pv_host_make_op_site(text, &recs[0], PV_OP_IRQ_ENABLE,
					    PV_CLOBBERS_CALLEE_SAVE);

	memcpy(orig, text, len);
	cr_assert_eq(apply(1), 0);
	cr_assert_eq(memcmp(text, orig, len), 0);
}

Test(patch, unknown_op_is_refused)
{
	char want[32];

	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	recs[0].key = PV_OP_COUNT;
	cr_assert_eq(apply(1), -PV_EINVAL);
	snprintf(want, sizeof(want), "unknown op %d", PV_OP_COUNT);
	cr_assert_not_null(strstr(logbuf, want), "%s", logbuf);
}

Test(patch, unknown_kind_is_refused)
{
	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	recs[0].kind = PV_KIND_COUNT;
	cr_assert_eq(apply(1), -PV_EINVAL);
	cr_assert_not_null(strstr(logbuf, "unknown record kind"), "%s", logbuf);
}

Test(patch, unknown_table_is_refused)
{
	static const void *other[PV_OP_COUNT];

	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	pv_host_set_rel(&recs[0].repl, other);
	cr_assert_eq(apply(1), -PV_ENOENT);
	cr_assert_not_null(strstr(logbuf, "no backend covers"), "%s", logbuf);
}

Test(patch, a_site_that_is_not_the_indirect_call_is_refused)
{
	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	text[0] ^= 0xff; /* an overlapping record got here first, say */
	cr_assert_eq(apply(1), -PV_EINVAL);
	cr_assert_not_null(strstr(logbuf, "not an indirect call"), "%s",
			   logbuf);
	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	recs[0].key = PV_OP_READ_CR2; /* aims at another slot */
	cr_assert_eq(apply(1), -PV_EINVAL);
}

Test(patch, bad_site_lengths_are_refused)
{
	pv_host_make_op_site(text, &recs[0], PV_OP_WBINVD, PV_CLOBBERS_NORMAL);
	recs[0].instr_len = 0;
	cr_assert_eq(apply(1), -PV_EINVAL);
	recs[0].instr_len = PV_MAX_SITE_LEN + 1;
	cr_assert_eq(apply(1), -PV_EINVAL);
	cr_assert_not_null(strstr(logbuf, "site length 33"), "%s", logbuf);
}

Test(patch, refusal_stops_before_writing_that_site)
{
	const struct pv_patchlet *p = &pv_native_irq_disable_desc;
	uint8_t orig[8];

	pv_host_make_op_site(text, &recs[0], PV_OP_IRQ_DISABLE,
			     PV_CLOBBERS_CALLEE_SAVE);
	pv_host_make_op_site(text + 16, &recs[1], PV_OP_IRQ_DISABLE,
			     PV_CLOBBERS_CALLEE_SAVE);
	memcpy(orig, text + 16, 6);
	recs[1].kind = 7;
	be.native[PV_OP_IRQ_DISABLE] = p;
	cr_assert_eq(apply(2), -PV_EINVAL);
	cr_assert_eq(memcmp(text, bytes(p), p->len), 0, "first site patched");
	cr_assert_eq(memcmp(text + 16, orig, 6), 0, "refused site written");
}

/* ---- relocation ---- */

Test(patch, relocated_relative_call_still_reaches_its_target)
{
	const struct pv_patchlet *p = &pv_test_reloc_call_desc;
	uint64_t (*fn)(void) = (uint64_t(*)(void))(uintptr_t)text;

	cr_assert_eq(
	    mprotect(text, sizeof(text), PROT_READ | PROT_WRITE | PROT_EXEC),
	    0);
	cr_assert_eq(pv_copy_patchlet(p, text, (uintptr_t)text), 0);
	cr_assert_eq(fn(), PROBE + 1, "the moved call went astray");
	/* Unrelocated, the same bytes would aim elsewhere. */
	cr_assert_neq(memcmp(text, bytes(p), p->len), 0);
	mprotect(text, sizeof(text), PROT_READ | PROT_WRITE);
}

/* Copy (p) into the executable page, at (off) into it, and return it. */
static void *moved(const struct pv_patchlet *p, unsigned off)
{
	cr_assert_eq(
	    mprotect(text, sizeof(text), PROT_READ | PROT_WRITE | PROT_EXEC),
	    0);
	cr_assert_eq(pv_copy_patchlet(p, text + off, (uintptr_t)text + off), 0);
	return text + off;
}

static void done_moving(void)
{
	mprotect(text, sizeof(text), PROT_READ | PROT_WRITE);
}

/* A RIP-relative load and store aimed outside reach the same variable. */
Test(patch, rip_relative_load_and_store_outside_are_relocated)
{
	uint64_t (*load)(void) =
	    (uint64_t(*)(void))(uintptr_t)moved(&pv_test_rip_load_desc, 0);
	void (*store)(uint64_t) =
	    (void (*)(uint64_t))(uintptr_t)moved(&pv_test_rip_store_desc, 64);

	pv_reloc_data = 0x1234;
	cr_assert_eq(load(), 0x1234, "the moved load read elsewhere");
	store(0x5678);
	cr_assert_eq(pv_reloc_data, 0x5678, "the moved store wrote elsewhere");
	done_moving();
}

/* A Jcc rel32 aimed outside still lands there (and is not taken alike). */
Test(patch, jcc_rel32_outside_is_relocated)
{
	uint64_t (*fn)(uint64_t) =
	    (uint64_t(*)(uint64_t))(uintptr_t)moved(&pv_test_jcc_out_desc, 8);

	cr_assert_eq(fn(1), PROBE, "the moved jnz went astray");
	cr_assert_eq(fn(0), 0);
	done_moving();
}

/*
 * Inside the patchlet: a rel8 jmp, a rel32 jz and a RIP-relative lea move
 * with it, their bytes unchanged; the lea gives the new address.
 */
Test(patch, branches_inside_move_along)
{
	const struct pv_patchlet *p = &pv_test_inside_desc;
	uint8_t *at = moved(p, 100);
	uint64_t (*fn)(uint64_t) = (uint64_t(*)(uint64_t))(uintptr_t)at;
	uint64_t rdx;

	cr_assert_eq(memcmp(at, bytes(p), p->len), 0, "inside bytes changed");
	cr_assert_eq(fn(7), 1);
	cr_assert_eq(fn(0), 0);
	__asm__ volatile("xor %%edi, %%edi; call *%1"
			 : "=d"(rdx)
			 : "r"(at)
			 : "rax", "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "memory", "cc");
	/* .here is the instruction after the lea: at + 2 + 2 + 7. */
	cr_assert_eq(rdx, (uintptr_t)at + 11, "lea %#llx, at %p",
		     (unsigned long long)rdx, (void *)at);
	done_moving();
}

/* A rel8 leaving the patchlet reaches only 127 bytes: far, refused
 * (tests/rel8_patchlet.S; pvcheck refuses it in a guest image). */
extern const struct pv_patchlet pv_test_rel8_out_desc;

Test(patch, rel8_outside_that_cannot_reach_is_refused)
{
	uint8_t buf[8];

	cr_assert_eq(
	    pv_copy_patchlet(&pv_test_rel8_out_desc, buf, (uintptr_t)buf),
	    -PV_ERANGE);
}

Test(patch, relocation_that_cannot_reach_is_refused)
{
	uint8_t buf[32];

	cr_assert_eq(pv_copy_patchlet(&pv_test_reloc_call_desc, buf,
				      (uintptr_t)text + (3ull << 30)),
		     -PV_ERANGE);
}

/* ---- feature alternatives ---- */

/* A feature site of (len) bytes whose original is NOPs (from patchdata). */
static void make_feature_site(unsigned len, unsigned feature, uint8_t flags)
{
	pv_fill_nops(&ctx, text, len);
	memset(&recs[0], 0, sizeof(recs[0]));
	pv_host_set_rel(&recs[0].instr, text);
	pv_host_set_rel(&recs[0].repl, &pv_alt_rdtscp_desc);
	recs[0].key = (uint16_t)feature;
	recs[0].kind = PV_KIND_FEATURE;
	recs[0].flags = flags;
	recs[0].instr_len = (uint8_t)len;
}

Test(patch, feature_present_replaces)
{
	const struct pv_patchlet *r = &pv_alt_rdtscp_desc;

	make_feature_site(8, PV_FEATURE_RDTSCP, 0);
	features[PV_FW_80000001_EDX] = 1u << 27;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(r), r->len), 0);
	assert_nops(text + r->len, 8 - r->len);
}

Test(patch, feature_absent_keeps_the_original)
{
	uint8_t orig[8];

	make_feature_site(8, PV_FEATURE_RDTSCP, 0);
	memcpy(orig, text, 8);
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, orig, 8), 0, "the original changed");
	/* The record was read and decided on: kept, not skipped. */
	cr_assert_eq(stats.records, 1);
	cr_assert_eq(stats.actions[PV_ACT_KEPT], 1, "not counted as kept");
	cr_assert_eq(stats.actions[PV_ACT_REPLACED], 0);
}

Test(patch, absent_flag_inverts_the_test)
{
	const struct pv_patchlet *r = &pv_alt_rdtscp_desc;

	make_feature_site(6, PV_FEATURE_RDTSCP, PV_FLAG_ABSENT);
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(r), r->len), 0, "exact fit");
	make_feature_site(6, PV_FEATURE_RDTSCP, PV_FLAG_ABSENT);
	features[PV_FW_80000001_EDX] = 1u << 27;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(ctx.nops[6]), 6), 0,
		     "replaced although the feature exists");
}

Test(patch, replacement_longer_than_its_site_is_refused)
{
	make_feature_site(5, PV_FEATURE_RDTSCP, 0);
	cr_assert_eq(apply(1), -PV_ENOSPC);
	cr_assert_not_null(strstr(logbuf, "replacement of 6 bytes is longer "
					  "than the 5-byte site"),
			   "%s", logbuf);
}

Test(patch, unknown_feature_is_refused)
{
	make_feature_site(8, PV_FW_COUNT * 32, 0);
	cr_assert_eq(apply(1), -PV_EINVAL);
}

/* ---- callbacks: the hypercall port ---- */

static void make_port_site(void)
{
	const struct pv_patchlet *mov = &pv_tmpl_mov_edx_desc;

	memcpy(text, bytes(mov), mov->len);
	memset(&recs[0], 0, sizeof(recs[0]));
	pv_host_set_rel(&recs[0].instr, text);
	/* ISO C has no function-to-object pointer cast; an address does. */
	pv_host_set_rel(&recs[0].repl,
			(const void *)(uintptr_t)pv_patch_hypercall_port);
	recs[0].kind = PV_KIND_CALLBACK;
	recs[0].instr_len = mov->len;
}

Test(patch, callback_writes_the_hypercall_port)
{
	static const struct pv_cb_data cb = {.hypercall_port = 0xb00};
	uint32_t imm;

	make_port_site();
	ctx.cb_data = &cb;
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	cr_assert_eq(memcmp(text, bytes(&pv_tmpl_mov_edx_desc), 1), 0);
	memcpy(&imm, text + 1, 4);
	cr_assert_eq(imm, 0xb00);
}

Test(patch, callback_without_a_port_keeps_the_placeholder)
{
	uint32_t imm;

	make_port_site();
	cr_assert_eq(apply(1), 0, "%s", logbuf);
	memcpy(&imm, text + 1, 4);
	cr_assert_eq(imm, 0);
}

Test(patch, callback_refuses_a_site_that_is_not_mov_edx)
{
	static const struct pv_cb_data cb = {.hypercall_port = 0xb00};

	make_port_site();
	ctx.cb_data = &cb;
	text[0] ^= 0xff; /* no longer mov edx, imm32 */
	cr_assert_eq(apply(1), -PV_EINVAL);
	cr_assert_not_null(strstr(logbuf, "callback refused it"), "%s", logbuf);
}

/* ---- the rest of the engine ---- */

Test(patch, nop_fill_uses_whole_nops_of_every_length)
{
	for (unsigned n = 1; n <= 24; n++) {
		memset(text, FILL, 32);
		pv_fill_nops(&ctx, text, n);
		assert_nops(text, n);
		cr_assert_eq(text[n], FILL);
	}
}

Test(patch, debug_log_shows_bytes_before_and_after)
{
	pv_host_make_op_site(text, &recs[0], PV_OP_IRQ_ENABLE,
			     PV_CLOBBERS_CALLEE_SAVE);
	be.native[PV_OP_IRQ_ENABLE] = &pv_native_irq_enable_desc;
	ctx.debug = true;
	cr_assert_eq(apply(1), 0);
	cr_assert_not_null(
	    strstr(logbuf, "irq_enable    len  6 native   ff 15"), "%s",
	    logbuf);
	cr_assert_not_null(strstr(logbuf, "-> fb "), "%s", logbuf);
}

Test(patch, many_sites_each_written_once_and_counted)
{
	struct pv_patch_stats st = {0};

	for (unsigned i = 0; i < 16; i++)
		pv_host_make_op_site(text + 8 * i, &recs[i], i % PV_OP_COUNT,
				     PV_CLOBBERS_NORMAL);
	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		be.native[op] = &pv_nop2_desc;
	cr_assert_eq(pv_apply(recs, recs + 16, &ctx, &st), 0, "%s", logbuf);
	cr_assert_eq(st.records, 16);
	cr_assert_eq(st.actions[PV_ACT_NATIVE], 16);
	cr_assert_eq(syncs, 1);
}
