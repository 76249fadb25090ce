// SPDX-License-Identifier: MIT
/*
 * test_text.c: text stays read-only. On the host, the patch engine and
 * the live switch patch sites and write out-of-line copies that are
 * mapped read-only, through a poke into a second, writable mapping of the
 * same memory, as the guest's text_poke does through its alias; without
 * the poke the first write faults. In the guest (QEMU TCG, and minivmm
 * where there is KVM), a stray write to text or to the copies ends the
 * run with a report that says what was hit.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "live.h"
#include "pv_backend.h"
#include "pv_host.h"
#include "spawn.h"

#define AREA_PAGES 16 /* one page of sites, then the copies */

/* Where the sites and copies live: static, so within 2 GiB of the fake
 * ops table; remapped as a read-only view of a memfd. */
static uint8_t area[AREA_PAGES * 4096] __attribute__((aligned(4096)));
static uint8_t *alias; /* the writable view */
static struct pv_patch_site recs[8];
static struct pv_patch_ctx native, direct;
static struct pv_backend be_native, be_direct;
static struct pv_live lv;
static unsigned pokes, bad_single;

static void poke(void *dst, const void *src, size_t len)
{
	size_t off = (size_t)((uint8_t *)dst - area);

	cr_assert_lt(off, sizeof(area), "a poke outside the area");
	if (len == 8 && (off & 7))
		bad_single++;
	memcpy(alias + off, src, len);
	pokes++;
}

static void sync_all(void *env, uintptr_t *rips, unsigned max,
		     pv_live_parked_fn *parked, void *arg)
{
	(void)env;
	(void)max;
	if (parked)
		parked(arg, rips, 0, true);
}

/* (n) save_fl sites at (misalign) in 32 bytes each; then the area goes
 * read-only, and the writable alias is the only way in. */
static void setup_sites(unsigned n, unsigned misalign)
{
	int fd = memfd_create("text", 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, sizeof(area)), 0);
	cr_assert_eq(mmap(area, sizeof(area), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED, fd, 0),
		     (void *)area);
	alias =
	    mmap(NULL, sizeof(area), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(alias, MAP_FAILED);
	close(fd);
	for (unsigned i = 0; i < n; i++)
		pv_host_make_op_site(area + 32 * i + misalign, &recs[i],
				     PV_OP_SAVE_FL, PV_CLOBBERS_CALLEE_SAVE);
	cr_assert_eq(mprotect(area, sizeof(area), PROT_READ), 0);

	pv_host_ctx(&native);
	pv_host_native_backend(&be_native);
	native.backends = &be_native;
	native.nbackends = 1;
	native.poke = poke;
	direct = native;
	pv_host_direct_backend(&be_direct, (uintptr_t)area + 2048);
	direct.backends = &be_direct;

	memset(&lv, 0, sizeof(lv));
	lv.begin = recs;
	lv.end = recs + n;
	lv.sync = sync_all;
	lv.trap_byte = PV_LIVE_TRAP_UD;
	lv.ool = area + 4096;
	lv.protocol = PV_LIVE_SAFE;
	cr_assert_eq(pv_live_init(&lv), 0);
	pokes = bad_single = 0;
}

static void assert_sites(unsigned n, const struct pv_patch_ctx *c)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t want[PV_MAX_SITE_LEN];
		enum pv_action act;

		cr_assert_eq(
		    pv_plan_site_from(&recs[i], c, lv.orig[i], want, &act), 0);
		cr_assert_arr_eq(pv_site_addr(&recs[i]), want,
				 recs[i].instr_len, "site %u", i);
	}
}

TestSuite(text);

Test(text, boot_patching_writes_read_only_sites_through_the_poke)
{
	struct pv_patch_stats st = {0};

	setup_sites(4, 4);
	cr_assert_eq(pv_apply(recs, recs + 4, &native, &st), 0);
	cr_assert_eq(pokes, 4, "one poke per changed site");
	assert_sites(4, &native);
}

Test(text, without_a_poke_the_first_write_faults, .signal = SIGSEGV)
{
	struct pv_patch_stats st = {0};

	setup_sites(1, 4);
	signal(SIGSEGV, SIG_DFL); /* not ASan's handler: the signal itself */
	native.poke = NULL;
	pv_apply(recs, recs + 1, &native, &st);
}

Test(text, the_trap_protocol_writes_sites_and_copies_through_the_poke)
{
	setup_sites(4, 4); /* across two words: the trap byte */
	cr_assert_eq(pv_live_switch(&lv, &native, 0), 0);
	cr_assert_eq(lv.stats.trap_sites, 4);
	/* Per site: its copy, the trap byte, the tail, the first byte. */
	cr_assert_eq(pokes, 4 * 4);
	assert_sites(4, &native);
	cr_assert_eq(lv.ool[0], area[4096], "the copy went in");
	cr_assert_neq(lv.ool[0], 0, "the copy is empty");
}

Test(text, a_single_store_is_one_aligned_poke)
{
	setup_sites(1, 0); /* bytes 0..5: one word */
	cr_assert_eq(pv_live_switch(&lv, &direct, 2), 0);
	cr_assert_eq(lv.stats.single_stores, 1);
	cr_assert_eq(pokes, 1);
	cr_assert_eq(bad_single, 0);
	assert_sites(1, &direct);
}

/* ---- in the guest ---- */

static struct spawn_result r;

static void assert_text_write_reported(const char *what)
{
	assert_guest_fail(&r, "exception #PF");
	cr_assert_not_null(strstr(r.out, what), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  a write to read-only kernel text "
					 "or data: text changes only through "
					 "text_poke (cr2 0x"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "error 0x3 at rip"), "%s", r.out);
}

Test(text, qemu_tcg_reports_a_stray_write_to_text, .timeout = 120)
{
	boot_qemu(&r, "tcg", "test=textwrite");
	assert_text_write_reported("test=textwrite: writing to text at 0x");
	cr_assert_not_null(strstr(r.out, "text_stray_write+0x"), "%s", r.out);
}

Test(text, qemu_tcg_reports_a_stray_write_to_the_copies, .timeout = 120)
{
	boot_qemu(&r, "tcg", "test=oolwrite");
	assert_text_write_reported(
	    "test=oolwrite: writing to the out-of-line copies at 0x");
}

Test(text, minivmm_reports_a_stray_write_to_text, .timeout = 120)
{
	SKIP_WITHOUT_KVM();
	boot_minivmm(&r, "test=textwrite");
	assert_text_write_reported("test=textwrite: writing to text at 0x");
}

Test(text, qemu_tcg_boot_checks_text_read_only, .timeout = 120)
{
	boot_qemu(&r, "tcg", "");
	assert_guest_pass(&r, "TCGTCGTCGTCG");
	cr_assert_not_null(strstr(r.out, "printf, text read-only: ok"), "%s",
			   r.out);
}
