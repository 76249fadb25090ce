// SPDX-License-Identifier: MIT
/*
 * pvops_test.c: the pvops self-tests, run in every mode and both VMMs.
 * Each op must do what it says, checked against the hardware directly
 * (RFLAGS.IF, interrupts held off and delivered by the LAPIC timer, a real
 * second page-table root, CR2 of a real page fault, a remapped page seen
 * after flush_tlb_one); every register outside the contract must survive;
 * and the bytes at every site must be what the mode chose.
 */
#include "test.h"
#include "pv_backend.h"
#include "pv_feature.h"
#include "x86.h"

#define ALT_VA	       (1ull << 39) /* PML4 slot 1: mapped in the alt root only */
#define MAGIC_A	       0xa11ce0000000000aull
#define MAGIC_B	       0xb0b000000000000bull
#define TICK_SHORT     20000u /* bus clocks: soon, but after the check */
#define TICK_LONG      2000000u
#define SPIN_LIMIT     100000000ull
#define TICK_POLLS_MAX 100000u
#define RELOC_PROBE    0x5eedull

extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];
extern const struct pv_patch_site __pv_patch_bench_start[],
    __pv_patch_bench_end[];
extern char reloc_scratch[];

/* The second root and its tables: zero in the image, no clearing. */
TEST_PAGE_TABLE(alt_pml4);
TEST_PAGE_TABLE(alt_pdpt);
TEST_PAGE_TABLE(alt_pd);
TEST_PAGE_TABLE(alt_pt);

/*
 * The two frames the remap test maps at ALT_VA: pages of the kernel's own
 * image, so the test needs no memory beyond it (it used to take fixed
 * frames at 4 and 6 MiB, and failed below 8 MiB).
 */
static uint64_t frame_a[512] __attribute__((aligned(4096)));
static uint64_t frame_b[512] __attribute__((aligned(4096)));
#define PAGE_A ((uintptr_t)frame_a)
#define PAGE_B ((uintptr_t)frame_b)

static bool if_set(void)
{
	return hw_read_flags() & X86_EFLAGS_IF; /* the hardware's word */
}

/*
 * The restore_fl contract, the same in every backend (docs/pvops.md): the
 * argument is a value save_fl returned, with IF possibly changed; IF
 * follows the argument, the arithmetic flags are undefined afterwards,
 * and every other flag (TF, DF, IOPL, NT, AC, ID, ...) is what it was.
 */
#define RFLAGS_ARITH 0x8d5ul /* CF PF AF ZF SF OF */

static void check_restore_fl_contract(void)
{
	unsigned long before = pv_save_fl(), after;

	for (unsigned i = 0; i < 4; i++) {
		unsigned long want =
		    i & 1 ? before | X86_EFLAGS_IF : before & ~X86_EFLAGS_IF;

		/* Arithmetic flags in the argument are not the op's business:
		 * set them all, or none, and they must not matter. */
		want = i & 2 ? want | RFLAGS_ARITH : want & ~RFLAGS_ARITH;
		pv_restore_fl(want);
		after = hw_read_flags();
		if ((after ^ want) & ~RFLAGS_ARITH)
			guest_fail("restore_fl(%#lx) left RFLAGS %#lx: only IF "
				   "may follow the argument",
				   want, after);
	}
	pv_irq_disable();
}

static void check_if_ops(void)
{
	unsigned long flags = pv_save_fl();

	if ((flags & X86_EFLAGS_IF) || if_set())
		guest_fail("save_fl: IF is set at boot (%#lx)", flags);
	pv_irq_enable();
	if (!if_set() || !pv_irqs_enabled())
		guest_fail("irq_enable left RFLAGS.IF clear");
	pv_irq_disable();
	if (if_set() || pv_irqs_enabled())
		guest_fail("irq_disable left RFLAGS.IF set");
	pv_restore_fl(flags | X86_EFLAGS_IF);
	if (!if_set())
		guest_fail("restore_fl(IF) left RFLAGS.IF clear");
	pv_restore_fl(flags);
	if (if_set())
		guest_fail("restore_fl(0) left RFLAGS.IF set");
	check_restore_fl_contract();
}

static void wait_expired(void)
{
	for (uint64_t i = 0; !apic_timer_expired(); i++) {
		if (i == SPIN_LIMIT)
			guest_fail("the LAPIC timer never ran down");
		cpu_relax();
	}
}

/* How many polls after irq_enable the pending tick took to arrive. */
static unsigned tick_latency;

/*
 * A tick that comes due while interrupts are disabled waits, and arrives
 * once they are enabled. On bare metal and TCG it comes after the one
 * instruction of the sti shadow; kvm_pvm (software CPL0) was seen to take
 * a few dozen instructions more, so the check allows a bounded wait and
 * reports it.
 */
static void check_irqs_held_off(void)
{
	uint64_t t = apic_ticks();

	pv_irq_disable();
	apic_timer_oneshot(TICK_SHORT);
	wait_expired();
	for (int i = 0; i < 100; i++)
		cpu_relax(); /* room for a wrong delivery to happen */
	if (apic_ticks() != t)
		guest_fail("a tick arrived while interrupts were disabled");
	pv_irq_enable();
	__asm__ volatile("nop"); /* the one instruction of the sti shadow */
	for (tick_latency = 0; apic_ticks() == t; tick_latency++) {
		if (tick_latency == TICK_POLLS_MAX)
			guest_fail("the pending tick did not arrive after "
				   "irq_enable");
		cpu_relax();
	}
	pv_irq_disable();
	if (apic_ticks() != t + 1)
		guest_fail("%llu ticks arrived for one timer expiry",
			   (unsigned long long)(apic_ticks() - t));
}

static void check_safe_halt(void)
{
	uint64_t t = apic_ticks();

	pv_irq_disable();
	apic_timer_oneshot(TICK_LONG);
	pv_safe_halt();
	if (apic_ticks() != t + 1)
		guest_fail("safe_halt returned without the tick (%llu)",
			   (unsigned long long)(apic_ticks() - t));
	if (!if_set())
		guest_fail("safe_halt left RFLAGS.IF clear");
	pv_irq_disable();
}

/*
 * set_pte builds a second root's tables, write_cr3 really switches roots
 * (a mapping only the second root has becomes visible), set_pte and
 * flush_tlb_one make a remap visible, and the page
 * fault on that address after switching back reports it in CR2.
 */
static void check_mmu_ops(void)
{
	volatile uint64_t *alt = (volatile uint64_t *)ALT_VA;
	const uint64_t *root = (const uint64_t *)(pv_read_cr3() & ~0xfffull);
	uint64_t old = pv_read_cr3(), cr2 = 0;
	struct trap_frame f;

	if (old != hw_read_cr3())
		guest_fail("read_cr3 %#llx, CR3 is %#llx",
			   (unsigned long long)old,
			   (unsigned long long)hw_read_cr3());
	*(volatile uint64_t *)PAGE_A = MAGIC_A;
	*(volatile uint64_t *)PAGE_B = MAGIC_B;
	/* Each entry through set_pte (under hypercall, minivmm checks and
	 * writes it); the kernel's identity map stays in slot 0. */
	pv_set_pte((uintptr_t)&alt_pml4[0], root[0]);
	pv_set_pte((uintptr_t)&alt_pml4[1],
		   (uintptr_t)alt_pdpt | TEST_PTE_P | TEST_PTE_W);
	pv_set_pte((uintptr_t)&alt_pdpt[0],
		   (uintptr_t)alt_pd | TEST_PTE_P | TEST_PTE_W);
	pv_set_pte((uintptr_t)&alt_pd[0],
		   (uintptr_t)alt_pt | TEST_PTE_P | TEST_PTE_W);
	pv_set_pte((uintptr_t)&alt_pt[0], PAGE_A | TEST_PTE_P | TEST_PTE_W);
	if (alt_pt[0] != (PAGE_A | TEST_PTE_P | TEST_PTE_W))
		guest_fail("set_pte: the entry is %#llx",
			   (unsigned long long)alt_pt[0]);

	pv_write_cr3((uintptr_t)alt_pml4);
	if (hw_read_cr3() != (uintptr_t)alt_pml4 ||
	    pv_read_cr3() != (uintptr_t)alt_pml4)
		guest_fail("write_cr3 did not switch to the second root");
	if (*alt != MAGIC_A)
		guest_fail("the second root's mapping is not in effect");
	pv_set_pte((uintptr_t)&alt_pt[0], PAGE_B | TEST_PTE_P | TEST_PTE_W);
	pv_flush_tlb_one(ALT_VA);
	if (*alt != MAGIC_B)
		guest_fail("flush_tlb_one: the old translation is still used");
	pv_write_cr3(old);
	if (hw_read_cr3() != old)
		guest_fail("write_cr3 did not switch back");

	trap_expect(TRAP_PF, fault_read_resume);
	fault_read(ALT_VA);
	if (!trap_taken(&f, &cr2))
		guest_fail("no page fault at %#llx after switching back",
			   (unsigned long long)ALT_VA);
	if (cr2 != ALT_VA || f.rip != (uintptr_t)fault_read_insn)
		guest_fail("read_cr2 gave %#llx for a fault at %#llx",
			   (unsigned long long)cr2, (unsigned long long)ALT_VA);
}

static void check_wbinvd(void)
{
	volatile uint64_t *p = (volatile uint64_t *)PAGE_A;

	*p = MAGIC_B;
	pv_wbinvd();
	if (*p != MAGIC_B)
		guest_fail("memory changed across wbinvd");
}

/* ---- every op of the list: its contract and its effect ---- */

/*
 * Every op's probe site, prepared, with its argument, and checked
 * (op_checks.c): its register contract and what it must do. An op added
 * to the list is checked here without a line of its own. Interrupts are
 * disabled again at the end.
 */
static void check_every_op(void)
{
	char why[160];

	for (unsigned op = 0; op < PV_OP_COUNT; op++)
		if (!op_check_probe(op, why, sizeof(why)))
			guest_fail("%s", why);
	pv_irq_disable();
}

/* read_cr0 gives what the hardware holds, with PE and PG on. */
static void check_cpu_ops(void)
{
	unsigned long cr0 = pv_read_cr0();

	if (cr0 != hw_read_cr0())
		guest_fail("read_cr0 %#lx, CR0 is %#lx", cr0, hw_read_cr0());
	if ((cr0 & 0x80000001ul) != 0x80000001ul)
		guest_fail("read_cr0 %#lx: PE or PG is clear", cr0);
}

/* ---- the bytes at every site ---- */

/* True if (p, n) is nothing but whole NOP patchlets. */
static bool only_nops(const uint8_t *p, unsigned n)
{
	const struct pv_patch_ctx *ctx = paravirt_ctx();

	while (n) {
		unsigned k = n < 8 ? n : 8;

		while (k && (!ctx->nops[k] ||
			     memcmp(p, pv_patchlet_bytes(ctx->nops[k]), k)))
			k--;
		if (!k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

static bool is_patchlet(const uint8_t *site, unsigned len,
			const struct pv_patchlet *p)
{
	return p->len <= len &&
	       memcmp(site, pv_patchlet_bytes(p), p->len) == 0 &&
	       only_nops(site + p->len, len - p->len);
}

/* Does (site, len) start with `t` (a rel32 template) aiming at (to)? */
static bool is_rel32(const uint8_t *site, unsigned len,
		     const struct pv_patchlet *t, uintptr_t to)
{
	int32_t rel;

	if (len < t->len || memcmp(site, pv_patchlet_bytes(t), t->len - 4u))
		return false;
	memcpy(&rel, site + t->len - 4, 4);
	return (uintptr_t)site + t->len + rel == to &&
	       only_nops(site + t->len, len - t->len);
}

/*
 * What the site's backend offered, checked without the engine's help:
 * its patchlet if it has one (all of ours fit; padded with CS prefixes or
 * followed by NOPs), else a direct call to its function, else the
 * untouched indirect call through the table.
 */
static void check_op_site(const struct pv_patch_site *rec,
			  const struct pv_patch_ctx *ctx)
{
	const uint8_t *site = pv_site_addr(rec);
	const void *table = pv_rel(&rec->repl);
	const struct pv_backend *be = paravirt_backend(table);
	unsigned op = rec->key, len = rec->instr_len;
	bool ok;

	if (!be)
		guest_fail("site %p calls through an unknown table",
			   (const void *)site);
	if (be->native[op])
		ok = (be->native_fit[op] &&
		      is_patchlet(site, len, be->native_fit[op])) ||
		     is_patchlet(site, len, be->native[op]);
	else if (be->direct[op].addr)
		ok = (ctx->call_fit_tmpl &&
		      is_rel32(site, len, ctx->call_fit_tmpl,
			       be->direct[op].addr)) ||
		     is_rel32(site, len, ctx->call_tmpl, be->direct[op].addr);
	else
		ok = is_rel32(site, len, ctx->indirect_tmpl,
			      (uintptr_t)table + op * 8);
	if (!ok)
		guest_fail("site %p (%s, %u bytes) does not hold what its "
			   "backend offers (mode %s)",
			   (const void *)site, pv_op_name(op), len,
			   pv_mode_name(paravirt_mode()));
}

static void check_patched_bytes(void)
{
	const struct pv_patch_ctx *ctx = paravirt_ctx();
	unsigned ops = 0, callbacks = 0, features = 0;

	for (const struct pv_patch_site *rec = __pv_patch_start;
	     rec < __pv_patch_end; rec++) {
		const uint8_t *site = pv_site_addr(rec);
		uint32_t port;

		switch (rec->kind) {
		case PV_KIND_OP:
			check_op_site(rec, ctx);
			ops++;
			break;
		case PV_KIND_CALLBACK: /* hypercall stubs: mov edx, port */
			memcpy(&port, site + rec->instr_len - 4, 4);
			if (hv_detect()->kind == HV_MINIVMM &&
			    port != hv_detect()->hypercall_port)
				guest_fail("hypercall stub at %p uses port %#x",
					   (const void *)site, port);
			callbacks++;
			break;
		case PV_KIND_FEATURE:
			if ((ctx->features[rec->key / 32] >> (rec->key % 32) &
			     1) &&
			    !is_patchlet(site, rec->instr_len,
					 pv_rel(&rec->repl)))
				guest_fail("feature site %p lacks its "
					   "replacement",
					   (const void *)site);
			features++;
			break;
		}
	}
	if (!ops || !callbacks || !features)
		guest_fail("records missing: %u op, %u callback, %u feature",
			   ops, callbacks, features);
	for (const struct pv_patch_site *rec = __pv_patch_bench_start;
	     rec < __pv_patch_bench_end && cmdline_has("bench"); rec++)
		check_op_site(rec, ctx); /* patched only for `bench` */
}

/* ---- relocation, and the feature alternative in use ---- */

uint64_t pv_reloc_data;

uint64_t pv_reloc_probe(void)
{
	return RELOC_PROBE;
}

/* A patchlet with a relative call still reaches its target once moved. */
static void check_relocation(void)
{
	const struct pv_patchlet *p = &pv_test_reloc_call_desc;
	uint64_t (*fn)(void) = (uint64_t(*)(void))(uintptr_t)reloc_scratch;
	uint8_t buf[16];
	int r = pv_copy_patchlet(p, buf, (uintptr_t)reloc_scratch);

	if (r < 0)
		guest_fail("pv_copy_patchlet: error %d", -r);
	pv_fill_nops(paravirt_ctx(), buf + p->len, 16 - p->len);
	text_poke(reloc_scratch, buf, sizeof(buf)); /* text is read-only */
	cpu_sync_core();
	if (fn() != RELOC_PROBE + 1)
		guest_fail("the relocated call did not reach pv_reloc_probe");
}

static void check_tsc(void)
{
	uint64_t a = tsc_start(), b = tsc_end();

	if (b <= a)
		guest_fail("tsc_end %llu not after tsc_start %llu",
			   (unsigned long long)b, (unsigned long long)a);
}

/* Every op's effect, the register contract, the patched bytes. */
static void pvops_selftest(const struct hvm_start_info *si)
{
	(void)si;
	check_patched_bytes();
	check_if_ops();
	check_irqs_held_off();
	check_safe_halt();
	check_mmu_ops();
	check_wbinvd();
	check_cpu_ops();
	check_every_op();
	check_relocation();
	check_tsc();
	printf("selftest: pvops %s: irq, mmu, cpu ops, register contract, "
	       "patched bytes, relocation: ok (pending tick arrived %u polls "
	       "after irq_enable)\n",
	       pv_mode_name(paravirt_mode()), tick_latency);
}
BOOT_HOOK(BOOT_READY, 30, pvops_selftest);
