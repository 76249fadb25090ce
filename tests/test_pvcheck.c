// SPDX-License-Identifier: MIT
/*
 * test_pvcheck.c: pvcheck (tools/pvcheck) on the real guest, which it must
 * prove, and on its fixtures (the NASM files in tests/pvcheck/), each of
 * which it must refuse for its own reason, or (ok_*) accept.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define PVCHECK BUILD_DIR "/tools/pvcheck"

static struct spawn_result r;

static void pvcheck(char *what, char *path)
{
	char *argv[] = {PVCHECK, what, path, NULL};
	char *plain[] = {PVCHECK, path, NULL};

	spawn_run(what ? argv : plain, &r);
}

/* Fixture (name) is refused (status 1) with (why) in the message. */
static void refused(char *name, const char *why)
{
	char path[128];

	snprintf(path, sizeof(path), BUILD_DIR "/tests/pvcheck/%s.elf", name);
	pvcheck(NULL, path);
	cr_assert_eq(r.status, 1, "%s: status %d:\n%s", name, r.status, r.out);
	cr_assert_not_null(strstr(r.out, why), "%s: no \"%s\" in:\n%s", name,
			   why, r.out);
}

TestSuite(pvcheck, .timeout = 60);

Test(pvcheck, the_guest_is_proven)
{
	pvcheck(NULL, BUILD_DIR "/guest.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "every alternative keeps one stack "
					 "layout"),
			   "%s", r.out);
}

/* --list shows each stream with rsp per instruction: save_fl's pushfq. */
Test(pvcheck, list_shows_every_stream_with_its_stack_depth)
{
	pvcheck("--list", BUILD_DIR "/guest.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, " op save_fl\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  native:\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  direct call (hypercall):\n"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "rsp-8   58"), "pop rax at rsp-8:\n%s",
			   r.out);
}

Test(pvcheck, the_allowed_example_is_accepted)
{
	pvcheck(NULL, BUILD_DIR "/tests/pvcheck/ok_pushf_pop.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
}

Test(pvcheck, a_shared_boundary_with_two_depths_is_refused)
{
	refused("conflict", "stack layout conflict in alternatives at +7: "
			    "'original' has rsp+0, 'feature present' has "
			    "rsp-8");
}

Test(pvcheck, overlapping_records_are_refused)
{
	refused("overlap", "records overlap: the site at site_a+0");
}

Test(pvcheck, a_replacement_longer_than_its_site_is_refused)
{
	refused("oversize", "replacement of 8 bytes is longer than the "
			    "6-byte site");
}

/* The engine relocates by decoding: a RIP-relative load is fine... */
Test(pvcheck, a_relocatable_rip_relative_operand_is_accepted)
{
	pvcheck(NULL, BUILD_DIR "/tests/pvcheck/ok_rip_relative.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
}

/* ...unless its decoder cannot take the instruction (VEX)... */
Test(pvcheck, an_unrelocatable_rip_relative_operand_is_refused)
{
	refused("rip_unrelocatable",
		"patchlet repl_vex: vmovdqu ymm0, ymmword ptr [rip");
	cr_assert_not_null(strstr(r.out, "the engine's decoder cannot take "
					 "it"),
			   "%s", r.out);
}

/* ...or a rel8 branch leaves the patchlet. */
Test(pvcheck, a_rel8_branch_out_of_a_patchlet_is_refused)
{
	refused("rel8_out", "patchlet repl_short: a rel8 branch at +0 leaves "
			    "the patchlet");
}

Test(pvcheck, a_length_cut_to_its_field_is_refused)
{
	refused("truncated", "patchlet repl_long: 260 bytes between its "
			     "labels, its descriptor says 4");
}

/* ---- the privileged-instruction audit ---- */

#define ROGUE BUILD_DIR "/tests/pvcheck/rogue_cli.elf"

/* Audit (image) against an allowlist holding (lines). */
static void audit(const char *lines, char *image)
{
	char path[] = "/tmp/minivmm-allow-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = {PVCHECK, "--audit", path, image, NULL};

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
	close(fd);
	spawn_run(argv, &r);
	unlink(path);
}

Test(pvcheck, the_guest_passes_its_audit)
{
	char *argv[] = {PVCHECK,
			"--list",
			"--audit",
			"guest/privileged.allow",
			BUILD_DIR "/guest.elf",
			NULL};

	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "audit: "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "pv_native_*_fn"), "%s", r.out);
}

Test(pvcheck, a_bare_cli_in_c_is_refused)
{
	audit("allowed_sti the fixture's allowed sti\n", ROGUE);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "privileged `cli` in rogue at"), "%s",
			   r.out);
	cr_assert_null(strstr(r.out, "in allowed_sti"), "%s", r.out);
}

Test(pvcheck, an_allowlisted_instruction_passes)
{
	audit("rogue the fixture's cli\nallowed_sti the fixture's sti\n",
	      ROGUE);
	cr_assert_eq(r.status, 0, "%s", r.out);
}

Test(pvcheck, a_stale_allowlist_entry_is_refused)
{
	audit("rogue the cli\nallowed_sti the sti\nstart nothing here\n",
	      ROGUE);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "allowlist entry start matches no "
					 "privileged instruction"),
			   "%s", r.out);
}

Test(pvcheck, an_entry_without_a_reason_is_refused)
{
	audit("rogue\n", ROGUE);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "with a reason"), "%s", r.out);
}

Test(pvcheck, a_file_that_is_not_elf_is_a_usage_error)
{
	pvcheck(NULL, "Makefile");
	cr_assert_eq(r.status, 2, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "not an ELF file"), "%s", r.out);
}

/* ---- the stack model (tools/pvcheck/frame.c) ---- */

Test(pvcheck, a_write_to_esp_is_refused)
{
	refused("esp_write", "stream 'feature present': sub esp, 8 changes "
			     "rsp in a way pvcheck cannot follow at +0");
}

Test(pvcheck, a_lea_into_esp_is_refused)
{
	refused("lea_esp", "stream 'feature present': lea esp, [rsp - 8] "
			   "changes rsp in a way pvcheck cannot follow at +0");
}

Test(pvcheck, a_two_byte_push_is_counted_as_two)
{
	refused("push_ax", "stream 'feature present' leaves rsp +6 at the "
			   "site's end");
	cr_assert_not_null(strstr(r.out, "at +2: 'original' has rsp-8, "
					 "'feature present' has rsp-2"),
			   "%s", r.out);
}

/* A rule of the unwind table: the streams agree, the frame does not. */
Test(pvcheck, a_new_frame_pointer_in_an_rbp_frame_is_refused)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/rbp_frame.elf");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "the site at framed+0x4 (0x"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "is in a frame whose CFA is rbp, and "
					 "a stream changes rbp at +4"),
			   "%s", r.out);
}

Test(pvcheck, an_undeclared_clobber_is_refused)
{
	refused("clobber_undeclared",
		"patchlet repl_clobber_undeclared: it leaves rax changed, "
		"which its clobbers (0) do not declare");
}

/* push/pop of a register is a save and restore; enter/leave a frame. */
Test(pvcheck, a_register_saved_and_restored_is_no_clobber)
{
	pvcheck(NULL, BUILD_DIR "/tests/pvcheck/ok_saved_restored.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
}

/* In an rsp frame, a stream may push rbp: the rows say where it is. */
Test(pvcheck, a_pushed_rbp_is_found_by_the_unwind_rows)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/ok_rbp_saved.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "rbp=[cfa-16] site"), "%s", r.out);
}

/* A 32-bit write to rbp ends an rbp-based rule as a 64-bit one does. */
Test(pvcheck, a_write_to_ebp_ends_the_frame_pointer_rule)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/ok_ebp_write.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "0x100005 call  cfa=rbp+16"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "0x10000b undef"), "%s", r.out);
}

/* ---- the unwind table's own rules (docs/unwind.md) ---- */

Test(pvcheck, a_call_below_the_site_depth_is_refused)
{
	refused("call_deep", "stream 'feature present' calls at +1 with "
			     "rsp-8: a return address into a site must be "
			     "at the site's depth");
}

/* A global label reached with a deeper stack needs an UNWIND_HINT. */
Test(pvcheck, code_only_a_branch_reaches_is_refused)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/branch_only.elf");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "unwind: the jump at stub+0x2 lands "
					 "on stub.slow+0, which has no unwind "
					 "rule"),
			   "%s", r.out);
	cr_assert_null(strstr(r.out, "unwind table:"), "%s", r.out);
}

Test(pvcheck, a_tail_jump_to_a_label_of_its_own_is_accepted)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/ok_tail_jump.elf");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "unwind table:"), "%s", r.out);
}

Test(pvcheck, a_label_the_unwinder_cannot_follow_is_refused)
{
	pvcheck("--list-unwind", BUILD_DIR "/tests/pvcheck/hint_needed.elf");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "global label inside (0x"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "not a function entry; add an "
					 "UNWIND_HINT"),
			   "%s", r.out);
	cr_assert_null(strstr(r.out, "unwind table:"), "%s", r.out);
}
