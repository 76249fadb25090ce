// SPDX-License-Identifier: MIT
/*
 * test_hypercall.c: the hypercall handlers on made-up vCPU state, with
 * guest-controlled numbers and arguments: each call's effect on the
 * registers and memory, and the refusals (out of range, reserved bits,
 * addresses outside memory, non-canonical addresses, unknown numbers).
 * MULTICALL has its own file, tests/test_multicall.c.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define IF 0x200ull

static uint8_t backing[64 * 4096];
static const struct vmm_mem mem = {.host = backing, .size = sizeof(backing)};
static struct kvm_regs regs;
static struct kvm_sregs sregs;
static struct vmm_hc hc;

/* Make hypercall (nr) with (a0, a1) in rdi, rsi on a vCPU with RFLAGS =
 * (flags). */
static void call2(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t flags)
{
	regs = (struct kvm_regs){.rdi = a0,
				 .rsi = a1,
				 .rflags = flags,
				 .rip = 0x1000,
				 .rax = nr,
				 .rbx = 0xb0b};
	sregs = (struct kvm_sregs){.cr2 = 0xdead000, .cr3 = 0x5000};
	hc = (struct vmm_hc){.nr = nr,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem,
			     .tsc_khz = 1234};
	vmm_hypercall(&hc);
}

static void call(uint32_t nr, uint64_t a0, uint64_t flags)
{
	call2(nr, a0, 0, flags);
}

static void returned(uint64_t rax)
{
	cr_assert(!hc.stop);
	cr_assert(hc.regs_dirty);
	cr_assert_eq(regs.rax, rax, "rax %#llx, want %#llx", regs.rax,
		     (unsigned long long)rax);
	cr_assert_eq(regs.rbx, 0xb0b, "a register outside the ABI changed");
	cr_assert_eq(regs.rip, 0x1000, "rip changed");
}

Test(hypercall, exit_passes_the_status_through)
{
	for (uint64_t st = 0; st <= MINIVMM_EXIT_MAX; st++) {
		call(MINIVMM_HC_EXIT, st, 0x2);
		cr_assert(hc.stop);
		cr_assert_eq(hc.status, (int)st);
		cr_assert_eq(hc.why[0], '\0');
	}
}

Test(hypercall, exit_status_out_of_range_stops_with_its_own_status)
{
	static const uint64_t bad[] = {MINIVMM_EXIT_MAX + 1, 255, 256,
				       1ull << 32, UINT64_MAX};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(MINIVMM_HC_EXIT, bad[i], 0x2);
		cr_assert(hc.stop);
		cr_assert_eq(hc.status, VMM_STATUS_HYPERCALL);
		cr_assert_not_null(strstr(hc.why, "out of range 0..63"), "%s",
				   hc.why);
	}
}

Test(hypercall, unknown_numbers_return_enosys)
{
	static const uint32_t bad[] = {MINIVMM_HC_COUNT, 1000, UINT32_MAX};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(bad[i], 0, 0x2);
		returned(MINIVMM_ENOSYS);
		cr_assert_null(vmm_hypercall_name(bad[i]));
	}
}

/* minivmm's own calls and one per op of the list; the gap has none. */
Test(hypercall, every_number_has_a_name)
{
	for (uint32_t nr = 0; nr < MINIVMM_HC_COUNT; nr++)
		if (nr < MINIVMM_HC_OWN_COUNT || nr >= MINIVMM_HC_OP_BASE)
			cr_assert_not_null(vmm_hypercall_name(nr), "nr %u", nr);
		else
			cr_assert_null(vmm_hypercall_name(nr), "nr %u", nr);
	cr_assert_str_eq(vmm_hypercall_name(MINIVMM_HC_SAVE_FL), "save_fl");
	cr_assert_str_eq(vmm_hypercall_name(MINIVMM_HC_READ_CR0), "read_cr0");
	cr_assert_eq(MINIVMM_HC_SAVE_FL, MINIVMM_HC_OP_BASE + PV_OP_SAVE_FL);
}

/* The numbers between minivmm's own calls and the ops are unknown. */
Test(hypercall, the_gap_before_the_ops_is_enosys)
{
	for (uint32_t nr = MINIVMM_HC_OWN_COUNT; nr < MINIVMM_HC_OP_BASE;
	     nr++) {
		call(nr, 0, 0x2);
		returned(MINIVMM_ENOSYS);
	}
}

Test(hypercall, read_cr0_returns_cr0)
{
	regs = (struct kvm_regs){.rip = 0x1000, .rbx = 0xb0b};
	sregs = (struct kvm_sregs){.cr0 = 0x80050033};
	hc = (struct vmm_hc){.nr = MINIVMM_HC_READ_CR0,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem};
	vmm_hypercall(&hc);
	returned(0x80050033);
	cr_assert(!hc.sregs_dirty);
}

Test(hypercall, null_does_nothing)
{
	call(MINIVMM_HC_NULL, 0, 0x202);
	returned(0);
	cr_assert_eq(regs.rflags, 0x202);
	cr_assert(!hc.sregs_dirty && !hc.halt && !hc.flush_tlb);
}

Test(hypercall, save_fl_returns_rflags)
{
	call(MINIVMM_HC_SAVE_FL, 0, 0x246);
	returned(0x246);
	call(MINIVMM_HC_SAVE_FL, 0, 0x46);
	returned(0x46);
}

Test(hypercall, irq_disable_and_enable_move_only_if)
{
	call(MINIVMM_HC_IRQ_DISABLE, 0, 0x2c7);
	returned(0);
	cr_assert_eq(regs.rflags, 0x0c7);
	call(MINIVMM_HC_IRQ_ENABLE, 0, 0x0c7);
	returned(0);
	cr_assert_eq(regs.rflags, 0x2c7);
}

Test(hypercall, restore_fl_sets_if_from_the_argument)
{
	call(MINIVMM_HC_RESTORE_FL, 0x202, 0x2);
	returned(0);
	cr_assert_eq(regs.rflags, 0x202);
	call(MINIVMM_HC_RESTORE_FL, 0x2 | 0x1, 0x202); /* CF is not ours */
	returned(0);
	cr_assert_eq(regs.rflags, 0x2);
}

Test(hypercall, restore_fl_refuses_reserved_bits)
{
	call(MINIVMM_HC_RESTORE_FL, 1ull << 40 | IF, 0x2);
	returned(MINIVMM_EINVAL);
	cr_assert(hc.refused);
	cr_assert_eq(regs.rflags, 0x2, "flags changed on a refusal");
}

Test(hypercall, safe_halt_enables_and_halts)
{
	call(MINIVMM_HC_SAFE_HALT, 0, 0x2);
	returned(0);
	cr_assert(hc.halt);
	cr_assert_eq(regs.rflags, 0x202);
}

Test(hypercall, read_cr2_and_cr3)
{
	call(MINIVMM_HC_READ_CR2, 0, 0x2);
	returned(0xdead000);
	call(MINIVMM_HC_READ_CR3, 0, 0x2);
	returned(0x5000);
	cr_assert(!hc.sregs_dirty);
}

Test(hypercall, write_cr3_inside_memory)
{
	call(MINIVMM_HC_WRITE_CR3, 0x7000, 0x2);
	returned(0);
	cr_assert(hc.sregs_dirty);
	cr_assert_eq(sregs.cr3, 0x7000);
	call(MINIVMM_HC_WRITE_CR3, 0x7000 | 0x18, 0x2); /* PWT|PCD */
	returned(0);
	cr_assert_eq(sregs.cr3, 0x7018);
	call(MINIVMM_HC_WRITE_CR3, sizeof(backing) - 4096, 0x2);
	returned(0);
}

Test(hypercall, write_cr3_refuses_bad_roots)
{
	static const uint64_t bad[] = {
	    sizeof(backing), /* the root page is past the end */
	    sizeof(backing) + 4096,
	    0x000ffffffffff000ull, /* far beyond memory */
	    0x7001,		   /* a PCID while PCIDE is off */
	    1ull << 63,		   /* no-flush bit */
	    1ull << 52,		   /* reserved */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call(MINIVMM_HC_WRITE_CR3, bad[i], 0x2);
		returned(MINIVMM_EINVAL);
		cr_assert(hc.refused);
		cr_assert(!hc.sregs_dirty);
		cr_assert_eq(sregs.cr3, 0x5000);
	}
}

Test(hypercall, flush_tlb_one_canonical_only)
{
	call(MINIVMM_HC_FLUSH_TLB_ONE, 0x7fffffffffffull, 0x2);
	returned(0);
	cr_assert(hc.flush_tlb);
	call(MINIVMM_HC_FLUSH_TLB_ONE, 0xffff800000000000ull, 0x2);
	returned(0);
	call(MINIVMM_HC_FLUSH_TLB_ONE, 0x800000000000ull, 0x2);
	returned(MINIVMM_EINVAL);
	cr_assert(!hc.flush_tlb);
	call(MINIVMM_HC_FLUSH_TLB_ONE, 0x0000800000001000ull, 0x2);
	returned(MINIVMM_EINVAL);
}

/* Nothing to write back (no device assigned): 0 in rax, and nothing else
 * about the vCPU touched, no halt, no flush, no refusal. */
Test(hypercall, wbinvd_returns_and_changes_nothing_else)
{
	/* call()'s vCPU state, with the result in rax */
	const struct kvm_regs want = {
	    .rdi = 0, .rflags = 0x2, .rip = 0x1000, .rax = 0, .rbx = 0xb0b};
	const struct kvm_sregs swant = {.cr2 = 0xdead000, .cr3 = 0x5000};

	call(MINIVMM_HC_WBINVD, 0, 0x2);
	returned(0);
	cr_assert_eq(memcmp(&regs, &want, sizeof(regs)), 0,
		     "a register besides rax changed");
	cr_assert_eq(memcmp(&sregs, &swant, sizeof(sregs)), 0,
		     "a system register changed");
	cr_assert(!hc.sregs_dirty && !hc.halt && !hc.flush_tlb && !hc.refused &&
		  !hc.why[0]);
}

/* ---- calls that touch guest memory ---- */

Test(hypercall, console_write_copies_the_guest_bytes_out)
{
	struct vmm_serial con;
	int fds[2];
	char got[16] = {0};

	cr_assert_eq(pipe(fds), 0);
	vmm_serial_init(&con, fds[1], NULL);
	memcpy(backing + 0x2000, "hello\n", 6);
	regs = (struct kvm_regs){
	    .rdi = 0x2000, .rsi = 6, .rbx = 0xb0b, .rip = 0x1000};
	hc = (struct vmm_hc){.nr = MINIVMM_HC_CONSOLE_WRITE,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem,
			     .console = &con};
	vmm_hypercall(&hc);
	returned(6);
	cr_assert_eq(read(fds[0], got, sizeof(got) - 1), 6);
	cr_assert_str_eq(got, "hello\n");
	close(fds[0]);
	close(fds[1]);
}

Test(hypercall, console_write_refuses_hostile_ranges)
{
	static const uint64_t bad[][2] = {
	    {sizeof(backing) - 4, 8},	       /* runs past the end */
	    {sizeof(backing), 1},	       /* starts at the end */
	    {UINT64_MAX - 2, 8},	       /* wraps around */
	    {0x2000, UINT64_MAX},	       /* overflowing length */
	    {0x2000, MINIVMM_CONSOLE_MAX + 1}, /* too long */
	    {0, 16},			       /* NULL page */
	    {MINIVMM_GUARD_BYTES - 1, 2},      /* touches page 0 */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call2(MINIVMM_HC_CONSOLE_WRITE, bad[i][0], bad[i][1], 0x2);
		returned(MINIVMM_EINVAL);
		cr_assert(hc.refused, "case %u", i);
	}
	call2(MINIVMM_HC_CONSOLE_WRITE, sizeof(backing) - 8, 8, 0x2);
	returned(8);
	call2(MINIVMM_HC_CONSOLE_WRITE, 0, 0, 0x2); /* nothing to copy */
	returned(0);
}

Test(hypercall, get_info_writes_the_struct)
{
	struct minivmm_info info;

	memset(backing + 0x3000, 0xee, 64);
	call2(MINIVMM_HC_GET_INFO, 0x3000, sizeof(info), 0x2);
	returned(sizeof(info));
	memcpy(&info, backing + 0x3000, sizeof(info));
	cr_assert_eq(info.abi_version, MINIVMM_ABI_VERSION);
	cr_assert_eq(info.tsc_khz, 1234);
	cr_assert_eq(info.mem_bytes, sizeof(backing));
	cr_assert_eq(backing[0x3000 + sizeof(info)], 0xee, "wrote too much");
}

Test(hypercall, get_info_refuses_hostile_ranges)
{
	static const uint64_t bad[][2] = {
	    {0x3000, sizeof(struct minivmm_info) - 1}, /* no room */
	    {sizeof(backing) - 8, 64},
	    {UINT64_MAX - 4, 64},
	    {0x10, 64}, /* NULL page */
	};

	memset(backing, 0, sizeof(backing));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call2(MINIVMM_HC_GET_INFO, bad[i][0], bad[i][1], 0x2);
		returned(MINIVMM_EINVAL);
	}
	for (size_t i = 0; i < sizeof(backing); i++)
		cr_assert_eq(backing[i], 0, "refused call wrote byte %zu", i);
}

/* With --sandbox-probe, and no sandbox in this process: it works. */
Test(hypercall, sandbox_probe_without_a_sandbox_succeeds)
{
	call2(MINIVMM_HC_SANDBOX_PROBE, MINIVMM_PROBE_OPEN, 0, 0x2);
	cr_assert_eq(regs.rax, MINIVMM_ENOSYS,
		     "the probe ran without the "
		     "option");
	cr_assert_eq(hc.why[0], '\0', "an ordinary guest made a report");
	regs = (struct kvm_regs){
	    .rdi = MINIVMM_PROBE_OPEN, .rip = 0x1000, .rbx = 0xb0b};
	hc = (struct vmm_hc){.nr = MINIVMM_HC_SANDBOX_PROBE,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem,
			     .sandbox_probe = true};
	vmm_hypercall(&hc);
	returned(0);
	regs.rdi = 7;
	vmm_hypercall(&hc);
	returned(MINIVMM_EINVAL);
}

static uint64_t entry_at(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, backing + gpa, sizeof(v));
	return v;
}

/* A present entry mapping a page of memory, and a non-present entry
 * whatever its other bits (no frame to check). */
Test(hypercall, set_pte_writes_the_entry)
{
	const uint64_t last = sizeof(backing) - 4096;

	call2(MINIVMM_HC_SET_PTE, 0x3008, 0x5000 | 0x3, 0x2);
	returned(0);
	cr_assert_eq(entry_at(0x3008), 0x5003);
	call2(MINIVMM_HC_SET_PTE, 0x3010, last | 0x7ull << 52 | 0x63, 0x2);
	returned(0);
	cr_assert_eq(entry_at(0x3010), last | 0x7ull << 52 | 0x63);
	call2(MINIVMM_HC_SET_PTE, sizeof(backing) - 8, 0xfff0000000000002ull,
	      0x2);
	returned(0);
	cr_assert_eq(entry_at(sizeof(backing) - 8), 0xfff0000000000002ull);
	cr_assert(!hc.refused && !hc.sregs_dirty && !hc.flush_tlb);
}

Test(hypercall, set_pte_refuses_bad_entries_and_frames)
{
	static const struct {
		uint64_t gpa, pte;
		const char *why;
	} bad[] = {
	    {0x3004, 0x5003, "a misaligned entry"},
	    {0x0ff8, 0x5003, "an entry in page 0"},
	    {sizeof(backing), 0x5003, "an entry past the end"},
	    {sizeof(backing) - 4, 0x5003, "an entry across the end"},
	    {UINT64_MAX - 7, 0x5003, "an entry at the top of the range"},
	    {0x3008, sizeof(backing) | 0x1, "a frame past the end"},
	    {0x3008, 0x000ffffffffff001ull, "a frame far beyond memory"},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(backing + 0x3000, 0xa5, 4096);
		call2(MINIVMM_HC_SET_PTE, bad[i].gpa, bad[i].pte, 0x2);
		returned(MINIVMM_EINVAL);
		cr_assert(hc.refused, "%s", bad[i].why);
		cr_assert_eq(entry_at(0x3008), 0xa5a5a5a5a5a5a5a5ull,
			     "%s: written", bad[i].why);
	}
}
