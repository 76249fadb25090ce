// SPDX-License-Identifier: MIT
/*
 * test_exits.c: minivmm's exit loop against tiny NASM guests (one per
 * file in tests/guests/) and against bad input: each guest misbehaves in
 * one way and minivmm must stop with that way's status and message.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"
#include "vmm.h"

#define MINIVMM	   BUILD_DIR "/minivmm"
#define TINY(name) BUILD_DIR "/tests/guests/" name ".elf"

static struct spawn_result r;

static void run_guest(char *path)
{
	char *argv[] = {MINIVMM, "--timeout", "30", path, NULL};

	spawn_run(argv, &r);
}

static void expect(int status, const char *msg)
{
	cr_assert_eq(r.status, status, "status %d, want %d:\n%s", r.status,
		     status, r.out);
	if (msg)
		cr_assert_not_null(strstr(r.out, msg), "no \"%s\" in:\n%s", msg,
				   r.out);
}

TestSuite(exits, .timeout = 60);

Test(exits, debug_exit_port_follows_qemu)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("debug_exit"));
	expect((5 << 1) | 1, NULL);
}

Test(exits, unknown_port)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("bad_port"));
	expect(VMM_STATUS_GUEST_IO, "out to port 0x80 (1-byte value 0x12)");
	cr_assert_not_null(strstr(r.out, "  rip "), "no register dump");
}

Test(exits, unbacked_mmio)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("mmio"));
	expect(VMM_STATUS_GUEST_MMIO,
	       "guest-physical 0xd0000000 (value 0x1234)");
}

Test(exits, triple_fault)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("triple_fault"));
	expect(VMM_STATUS_SHUTDOWN, "triple-faulted");
}

Test(exits, halt_forever_is_diagnosed_at_the_timeout)
{
	char *argv[] = {MINIVMM, "--timeout", "2", TINY("halt"), NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	expect(VMM_STATUS_TIMEOUT, "halted with interrupts disabled");
}

Test(exits, exit_hypercall_out_of_range)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("hc_exit_range"));
	expect(VMM_STATUS_HYPERCALL, "status 64 is out of range");
}

Test(exits, unknown_hypercall_returns_enosys_and_keeps_registers)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("hc_unknown"));
	expect(0, NULL);
}

Test(exits, string_io_to_the_hypercall_port_is_refused)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("rep_outs"));
	expect(VMM_STATUS_GUEST_IO, "string port I/O (ins/outs) to port 0xb00");
	run_guest(TINY("rep_outs_debug_exit"));
	expect(VMM_STATUS_GUEST_IO, "string port I/O (ins/outs) to port 0xf4");
	run_guest(TINY("outs_then_out"));
	expect(VMM_STATUS_GUEST_IO, "string port I/O (ins/outs) to port 0xb00");
}

/* --help and --version must say so when their text cannot be written. */
Test(exits, help_to_a_full_stdout_fails)
{
	char *help[] = {"/bin/sh", "-c", MINIVMM " --help >/dev/full", NULL};
	char *version[] = {"/bin/sh", "-c", MINIVMM " -V >/dev/full", NULL};

	spawn_run(help, &r);
	expect(VMM_STATUS_OUTPUT, "minivmm: cannot write to standard output");
	spawn_run(version, &r);
	expect(VMM_STATUS_OUTPUT, "minivmm: cannot write to standard output");
}

/* The console to a full device: the run fails, it does not pass. */
Test(exits, console_to_a_full_stdout_fails)
{
	char *argv[] = {
	    "/bin/sh", "-c",
	    MINIVMM " --timeout 30 " BUILD_DIR "/guest.elf >/dev/full", NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	expect(VMM_STATUS_OUTPUT, "console output lost: writing to standard "
				  "output failed: No space left on device");
}

Test(exits, missing_guest_file)
{
	run_guest(BUILD_DIR "/no-such-guest.elf");
	expect(VMM_STATUS_NOINPUT, "cannot open guest");
}

Test(exits, guest_is_a_directory)
{
	run_guest(BUILD_DIR);
	expect(VMM_STATUS_NOINPUT, "not a regular file");
}

Test(exits, guest_is_a_fifo, .timeout = 10)
{
	char dir[] = "/tmp/minivmm-fifo-XXXXXX", path[64];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	run_guest(path); /* it used to block in open() for ever */
	unlink(path);
	rmdir(dir);
	expect(VMM_STATUS_NOINPUT, "not a regular file");
}

/* Write the first (len) bytes of the real guest to a temporary file. */
static void truncated_guest(char *path, size_t len)
{
	char buf[4096];
	int in = open(BUILD_DIR "/guest.elf", O_RDONLY);
	int out = mkstemp(path);

	cr_assert(in >= 0 && out >= 0);
	cr_assert_leq(len, sizeof(buf));
	cr_assert_eq(read(in, buf, len), (ssize_t)len);
	cr_assert_eq(write(out, buf, len), (ssize_t)len);
	close(in);
	close(out);
}

Test(exits, truncated_guest_is_refused_before_kvm)
{
	char path[] = "/tmp/minivmm-truncated-XXXXXX";

	truncated_guest(path, 100);
	run_guest(path);
	unlink(path);
	expect(VMM_STATUS_IMAGE, "program headers");
}

Test(exits, empty_guest_is_refused)
{
	char path[] = "/tmp/minivmm-empty-XXXXXX";

	truncated_guest(path, 0);
	run_guest(path);
	unlink(path);
	expect(VMM_STATUS_IMAGE, "empty file");
}

Test(exits, not_an_elf)
{
	run_guest("Makefile");
	expect(VMM_STATUS_IMAGE, "not an ELF");
}

Test(exits, bad_option_is_a_usage_error)
{
	char *argv[] = {MINIVMM, "--mem", "1K", BUILD_DIR "/guest.elf", NULL};

	spawn_run(argv, &r);
	expect(VMM_STATUS_USAGE, "--mem 1K");
}

Test(exits, help_and_version)
{
	char *help[] = {MINIVMM, "--help", NULL};
	char *version[] = {MINIVMM, "--version", NULL};

	spawn_run(help, &r);
	expect(0, "usage: ");
	spawn_run(version, &r);
	expect(0, "minivmm ");
}

Test(exits, memory_too_small_for_the_guest)
{
	char *small[] = {MINIVMM, "--mem", "2M", TINY("big_bss"), NULL};
	char *enough[] = {MINIVMM, TINY("big_bss"), NULL};

	spawn_run(small, &r);
	expect(VMM_STATUS_IMAGE, "outside guest memory");
	SKIP_WITHOUT_KVM();
	spawn_run(enough, &r);
	expect(0, NULL);
}

/* ---- the seccomp sandbox ---- */

/* The probe guests, with the test-only probe hypercall allowed. */
static void run_with(char *flag, char *path)
{
	char *argv[] = {MINIVMM, "--timeout", "30", "--sandbox-probe",
			flag,	 path,	      NULL};
	char *plain[] = {MINIVMM,	    "--timeout", "30",
			 "--sandbox-probe", path,	 NULL};

	spawn_run(flag ? argv : plain, &r);
}

Test(exits, an_ordinary_guest_cannot_reach_the_probe)
{
	SKIP_WITHOUT_KVM();
	run_guest(TINY("sandbox_open"));
	expect(2, NULL); /* ENOSYS: neither refused nor allowed */
	cr_assert_null(strstr(r.out, "sandbox"), "%s", r.out);
}

Test(exits, sandbox_refuses_and_reports_a_forbidden_open)
{
	SKIP_WITHOUT_KVM();
	run_with(NULL, TINY("sandbox_open"));
	expect(0, "sandbox: the guest's probe was refused: Operation not "
		  "permitted");
}

Test(exits, sandbox_violation_stops_minivmm)
{
	SKIP_WITHOUT_KVM();
	run_with(NULL, TINY("sandbox_socket"));
	expect(VMM_STATUS_SANDBOX, "sandbox: forbidden syscall socket");
}

Test(exits, no_sandbox_lets_the_probes_through)
{
	SKIP_WITHOUT_KVM();
	run_with("--no-sandbox", TINY("sandbox_open"));
	expect(1, NULL);
	run_with("--no-sandbox", TINY("sandbox_socket"));
	expect(0, NULL);
}

/* ---- no usable /dev/kvm (a private mount namespace hides the real one) */

static void without_kvm(const char *setup)
{
	char script[256];
	char *argv[] = {
	    "/usr/bin/unshare", "--mount", "/bin/sh", "-c", script, NULL};

	snprintf(script, sizeof(script),
		 "mount -t tmpfs tmpfs /dev && %s && exec %s --timeout 10 %s",
		 setup, MINIVMM, BUILD_DIR "/guest.elf");
	spawn_run(argv, &r);
	if (strstr(r.out, "unshare failed") || strstr(r.out, "mount: "))
		cr_skip_test("SKIPPED: no mount namespace here: %s", r.out);
}

Test(exits, missing_dev_kvm)
{
	without_kvm("true");
	expect(VMM_STATUS_NOKVM, "/dev/kvm does not exist");
}

Test(exits, dev_kvm_that_is_not_kvm)
{
	without_kvm("touch /dev/kvm");
	expect(VMM_STATUS_NOKVM, "/dev/kvm is not a KVM device");
}
