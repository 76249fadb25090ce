// SPDX-License-Identifier: MIT
/*
 * spawn.c: start a child with stdout and stderr on one pipe, read it all,
 * wait for it. Used by the tests that boot real guests.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

extern char **environ;

static void assert_no_empty_message(const char *path,
				    const struct spawn_result *r);

void spawn_run(char *const argv[], struct spawn_result *r)
{
	spawn_run_signal(argv, r, NULL, 0);
}

/* MINIVMM_TESTS=unit (make check-unit): no minivmm, no QEMU, no KVM. */
static bool unit_only(void)
{
	const char *v = getenv("MINIVMM_TESTS");

	return v && strcmp(v, "unit") == 0;
}

/* A program that boots a VM, or minivmm itself (which would, or refuses
 * its arguments only in the tests that check what it refuses). */
static bool boots_vms(const char *prog)
{
	const char *base = strrchr(prog, '/');

	base = base ? base + 1 : prog;
	return strcmp(base, "minivmm") == 0 ||
	       strcmp(base, "run-qemu.sh") == 0 ||
	       strncmp(base, "qemu-system", 11) == 0;
}

void spawn_run_signal(char *const argv[], struct spawn_result *r,
		      const char *when, int sig)
{
	posix_spawn_file_actions_t fa;
	int fds[2], wstatus;
	pid_t pid;
	ssize_t n;
	bool sent = !when;

	if (unit_only() && boots_vms(argv[0]))
		cr_skip_test("SKIPPED: MINIVMM_TESTS=unit runs no %s", argv[0]);

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0,
		     "cannot start %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);

	r->len = 0;
	while ((n = read(fds[0], r->out + r->len,
			 sizeof(r->out) - 1 - r->len)) > 0) {
		r->len += (size_t)n;
		r->out[r->len] = '\0';
		if (!sent && strstr(r->out, when)) {
			kill(pid, sig);
			sent = true;
		}
	}
	r->out[r->len] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	cr_assert_lt(r->len, sizeof(r->out) - 1,
		     "%s printed more than the test can hold", argv[0]);
	r->status =
	    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	assert_no_empty_message(argv[0], r);
}

/*
 * A program's messages start with its name and say something: a line that
 * is only "minivmm: " (the name, a colon, blanks) is a message without its
 * text, a defect whatever the test checks.
 */
static void assert_no_empty_message(const char *path,
				    const struct spawn_result *r)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t n = strlen(name);

	for (const char *p = r->out; *p;) {
		const char *end = strchrnul(p, '\n');
		const char *q = p + n;

		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 &&
		    *q == ':') {
			for (q++; q < end && (*q == ' ' || *q == '\t');)
				q++;
			cr_assert_neq(q, end,
				      "%s printed a message without text:\n%s",
				      name, r->out);
		}
		p = *end ? end + 1 : end;
	}
}

unsigned spawn_count_lines(const struct spawn_result *r, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned count = 0;

	for (const char *p = r->out; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, n) == 0)
			count++;
	}
	return count;
}

void boot_minivmm(struct spawn_result *r, char *cmdline)
{
	char *argv[] = {
	    BUILD_DIR "/minivmm",   "--timeout", "60", "--cmdline", cmdline,
	    BUILD_DIR "/guest.elf", NULL};

	spawn_run(argv, r);
}

void boot_qemu_image(struct spawn_result *r, char *accel, char *mem,
		     char *image, char *cmdline)
{
	char *argv[] = {"scripts/run-qemu.sh",
			"--accel",
			accel,
			"--timeout",
			"60",
			"--mem",
			mem,
			image,
			cmdline,
			NULL};

	spawn_run(argv, r);
}

void boot_qemu(struct spawn_result *r, char *accel, char *cmdline)
{
	boot_qemu_image(r, accel, "64M", BUILD_DIR "/guest.elf", cmdline);
}

void boot_qemu_smp(struct spawn_result *r, char *accel, char *cpus,
		   char *cmdline)
{
	char *argv[] = {"scripts/run-qemu.sh",
			"--accel",
			accel,
			"--timeout",
			"120",
			"--smp",
			cpus,
			BUILD_DIR "/guest.elf",
			cmdline,
			NULL};

	spawn_run(argv, r);
}

void boot_minivmm_cpus(struct spawn_result *r, char *cpus, char *cmdline)
{
	char *argv[] = {BUILD_DIR "/minivmm",
			"--timeout",
			"120",
			"--cpus",
			cpus,
			"--cmdline",
			cmdline,
			BUILD_DIR "/guest.elf",
			NULL};

	spawn_run(argv, r);
}

void assert_guest_pass(const struct spawn_result *r, const char *hv)
{
	char banner[64];

	snprintf(banner, sizeof(banner), "minivmm guest: hypervisor %s", hv);
	cr_assert_eq(r->status, 0, "status %d:\n%s", r->status, r->out);
	cr_assert_eq(spawn_count_lines(r, "RESULT: "), 1, "%s", r->out);
	cr_assert_eq(spawn_count_lines(r, "RESULT: pass"), 1, "%s", r->out);
	cr_assert_eq(spawn_count_lines(r, banner), 1, "%s", r->out);
}

void assert_guest_fail(const struct spawn_result *r, const char *reason)
{
	cr_assert_eq(r->status, 1, "status %d:\n%s", r->status, r->out);
	cr_assert_eq(spawn_count_lines(r, "RESULT: "), 1, "%s", r->out);
	cr_assert_eq(spawn_count_lines(r, "RESULT: fail"), 1, "%s", r->out);
	cr_assert_not_null(strstr(r->out, reason), "no \"%s\" in:\n%s", reason,
			   r->out);
}

bool spawn_have_kvm(void)
{
	int fd;

	if (unit_only())
		return false; /* quietly: the unit run says so once */
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"\n*** WARNING: /dev/kvm cannot be opened (%s): the "
			"KVM tests are SKIPPED on this machine ***\n\n",
			strerror(errno));
		return false;
	}
	close(fd);
	return true;
}
