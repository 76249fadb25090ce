// SPDX-License-Identifier: MIT
/*
 * sandbox.c: the seccomp filter (libseccomp) minivmm installs once the VM
 * is set up, before the first KVM_RUN. From then on it may only run the
 * vCPU and read or write its registers (ioctl on the vCPU fd, with the
 * request checked), write to stdout and stderr, read the clock, return
 * from a signal and exit. openat fails with EPERM (so a probe can see the
 * sandbox and report it); any other syscall is a violation: SIGSYS, a
 * message naming the syscall, exit status VMM_STATUS_SANDBOX.
 */
#include <err.h>
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

/* The vCPU ioctls of the run loop, the hypercalls and the error paths. */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN,	   KVM_GET_REGS,     KVM_SET_REGS,     KVM_GET_SREGS,
    KVM_SET_SREGS, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
};

/* Async-signal-safe: write() and _exit() only (both allowed). */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[160];
	const char *name;
	int n;

	(void)sig;
	(void)uctx;
	name =
	    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	n = snprintf(msg, sizeof(msg),
		     "minivmm: sandbox: forbidden syscall %s (%d): stopped\n",
		     name ? name : "?", si->si_syscall);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(VMM_STATUS_SANDBOX);
	_exit(VMM_STATUS_SANDBOX);
}

static void allow(scmp_filter_ctx ctx, int nr, unsigned count,
		  const struct scmp_arg_cmp *args)
{
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, count, args);

	if (r < 0)
		errx(VMM_STATUS_HOST, "seccomp: rule for syscall %d: %s", nr,
		     strerror(-r));
}

void vmm_sandbox_install(const struct vmm_vm *vm)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
			       .sa_flags = SA_SIGINFO};
	/* Sanitizer runtimes need syscalls of their own to report: there,
	 * only the probe's syscalls are refused, the rest is allowed. */
#if defined(__SANITIZE_ADDRESS__) || defined(VMM_SANITIZED)
	uint32_t other = SCMP_ACT_ALLOW;
#else
	uint32_t other = SCMP_ACT_TRAP;
#endif
	scmp_filter_ctx ctx = seccomp_init(other);
	int r;

	if (!ctx)
		errx(VMM_STATUS_HOST, "seccomp: seccomp_init failed");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		err(VMM_STATUS_HOST, "sigaction (SIGSYS)");

	/* (libseccomp refuses rules that repeat the default action.) */
	for (unsigned i = 0; other != SCMP_ACT_ALLOW &&
			     i < sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]);
	     i++) {
		struct scmp_arg_cmp a[] = {
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)vm->vcpu.fd),
		    SCMP_A1(SCMP_CMP_EQ, vcpu_ioctls[i]),
		};

		allow(ctx, SCMP_SYS(ioctl), 2, a);
	}
	for (int fd = 1; other != SCMP_ACT_ALLOW && fd <= 2; fd++) {
		struct scmp_arg_cmp a[] = {SCMP_A0(SCMP_CMP_EQ, fd)};

		allow(ctx, SCMP_SYS(write), 1, a);
	}
	if (other != SCMP_ACT_ALLOW) {
		allow(ctx, SCMP_SYS(clock_gettime), 0, NULL);
		allow(ctx, SCMP_SYS(rt_sigreturn), 0, NULL);
		allow(ctx, SCMP_SYS(exit_group), 0, NULL);
		allow(ctx, SCMP_SYS(exit), 0, NULL);
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);
	if (r == 0 && other == SCMP_ACT_ALLOW)
		r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(socket), 0);
	if (r < 0)
		errx(VMM_STATUS_HOST, "seccomp: rule: %s", strerror(-r));
	r = seccomp_load(ctx);
	if (r < 0)
		errx(VMM_STATUS_HOST, "seccomp: seccomp_load: %s",
		     strerror(-r));
	seccomp_release(ctx);
}
