// SPDX-License-Identifier: MIT
/*
 * test_sandbox.c: the seccomp filter without KVM. A helper process installs
 * it as minivmm does (tests/helpers/sandbox_breach.c) and then breaks it; it
 * must end with status 88 and a line naming the syscall, even when every free()
 * would munmap (glibc's mmap threshold 0, as
 * GLIBC_TUNABLES=glibc.malloc.mmap_threshold=0 sets): that used to kill minivmm
 * with SIGSYS inside the SIGSYS handler, silent.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"
#include "vmm.h"

static struct spawn_result r;

/*
 * Run the helper (a fresh process, like minivmm: in a long-lived one the
 * allocator reuses free chunks and never maps or unmaps) with glibc told
 * to give every allocation its own mapping.
 */
static void breach(char *what)
{
	char *argv[] = {BUILD_DIR "/tests/sandbox-breach", what, NULL};

	setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=0", 1);
	spawn_run(argv, &r);
}

Test(sandbox, a_violation_ends_with_88_and_names_the_syscall)
{
	breach("socket");
	cr_assert_eq(r.status, VMM_STATUS_SANDBOX, "status %d: %s", r.status,
		     r.out);
	cr_assert_not_null(
	    strstr(r.out, "sandbox: forbidden syscall socket (41): stopped"),
	    "%s", r.out);
}

Test(sandbox, what_the_run_loop_needs_is_allowed)
{
	breach("write");
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.out);
	cr_assert_str_eq(r.out, "written\n");
}

/* The filter is on every thread: minivmm's vCPU threads start before it. */
Test(sandbox, a_thread_started_before_the_filter_is_covered)
{
	breach("thread-socket");
	cr_assert_eq(r.status, VMM_STATUS_SANDBOX, "status %d: %s", r.status,
		     r.out);
	cr_assert_not_null(
	    strstr(r.out, "sandbox: forbidden syscall socket (41): stopped"),
	    "%s", r.out);
}
