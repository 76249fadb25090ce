/* SPDX-License-Identifier: MIT */
/*
 * spawn.h: run minivmm or QEMU as a child process and capture what it
 * prints, and judge a guest run, for the integration tests. Paths are relative
 * to the build directory the Makefile passes in BUILD_DIR.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_result {
	int status;	   /* exit status, or 128 + signal number */
	char out[1 << 20]; /* stdout and stderr interleaved, NUL-terminated */
	size_t len;
};

/* Run argv[0] (a path) with argv; fills (r). Fails the test on errors. */
void spawn_run(char *const argv[], struct spawn_result *r);

/* The same, sending signal (sig) once the output shows (when). */
void spawn_run_signal(char *const argv[], struct spawn_result *r,
		      const char *when, int sig);

/* Count the lines of (r) that start with (prefix). */
unsigned spawn_count_lines(const struct spawn_result *r, const char *prefix);

/* Boot build/guest.elf in minivmm (--timeout 60) with (cmdline). */
void boot_minivmm(struct spawn_result *r, char *cmdline);
/* Boot it in QEMU microvm (scripts/run-qemu.sh) with (accel). */
void boot_qemu(struct spawn_result *r, char *accel, char *cmdline);
/* Boot (image) in QEMU microvm with (accel) and (mem), e.g. "64M". */
void boot_qemu_image(struct spawn_result *r, char *accel, char *mem,
		     char *image, char *cmdline);
/* Boot it with (cpus) CPUs: QEMU microvm -smp, or minivmm --cpus. */
void boot_qemu_smp(struct spawn_result *r, char *accel, char *cpus,
		   char *cmdline);
void boot_minivmm_cpus(struct spawn_result *r, char *cpus, char *cmdline);
/* The run passed: status 0, one RESULT line, the banner names (hv). */
void assert_guest_pass(const struct spawn_result *r, const char *hv);
/* The run failed: status 1, one RESULT line, (reason) in the output. */
void assert_guest_fail(const struct spawn_result *r, const char *reason);

/* True if /dev/kvm can be opened; otherwise says loudly why not. */
bool spawn_have_kvm(void);

/* Skip the calling test, loudly, if KVM is absent. */
#define SKIP_WITHOUT_KVM()                                                     \
	do {                                                                   \
		if (!spawn_have_kvm())                                         \
			cr_skip_test("SKIPPED: /dev/kvm is not usable here");  \
	} while (0)

#endif /* SPAWN_H */
