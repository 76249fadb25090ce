// SPDX-License-Identifier: MIT
/*
 * sandbox.c: the seccomp filter (libseccomp) minivmm installs once the VM
 * is set up, before the first KVM_RUN, on every thread (TSYNC). From then
 * on it may only run the vCPUs and read or write their registers (ioctl
 * on a vCPU fd, with the request checked), write to stdout and stderr
 * (with --gdb also read and write the debugger's connection and the
 * stub's wake-up pipe, and use the guest-debug ioctls), wait for them to take
 * more (poll), read the clock, take the exit lock (futex), kick another vCPU
 * thread (tgkill), return from a signal and exit. openat fails with EPERM (so a
 * probe can see the sandbox and report it); any other syscall is a violation:
 * SIGSYS, a message naming the syscall, exit status VMM_STATUS_SANDBOX.
 */
#include <err.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

/* The vCPU ioctls of the run loop, the hypercalls and the error paths. */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN,	   KVM_GET_REGS,     KVM_SET_REGS,     KVM_GET_SREGS,
    KVM_SET_SREGS, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
};

/* And with --gdb, the stub's: guest debugging, the FPU registers, and
 * handing an int3 or #DB back to the guest. */
static const unsigned long debug_ioctls[] = {
    KVM_SET_GUEST_DEBUG, KVM_GET_FPU,	    KVM_SET_FPU,
    KVM_GET_DEBUGREGS,	 KVM_SET_DEBUGREGS, KVM_GET_VCPU_EVENTS,
    KVM_SET_VCPU_EVENTS,
};

/*
 * Syscall names, resolved before the filter is loaded: the SIGSYS handler
 * must not call libseccomp, which allocates (and an allocation may need
 * mmap or munmap, which the filter forbids: SIGSYS inside SIGSYS kills
 * minivmm without a word).
 */
#define SANDBOX_NAMES 512 /* x86-64 syscall numbers stay below this */
static char name_pool[8192];
static uint16_t name_off[SANDBOX_NAMES]; /* 0: no name */

static void resolve_names(void)
{
	size_t used = 1; /* offset 0 means "unknown" */

	for (int nr = 0; nr < SANDBOX_NAMES; nr++) {
		char *name =
		    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		size_t len = name ? strlen(name) + 1 : 0;

		if (name && len <= sizeof(name_pool) - used) {
			memcpy(name_pool + used, name, len);
			name_off[nr] = (uint16_t)used;
			used += len;
		}
		free(name);
	}
}

/* Append (s) to (buf) at (*at), within (room); async-signal-safe. */
static void put_str(char *buf, size_t room, size_t *at, const char *s)
{
	while (*s && *at < room)
		buf[(*at)++] = *s++;
}

static void put_int(char *buf, size_t room, size_t *at, int v)
{
	char digits[12];
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	int n = 0;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0 && *at < room)
		buf[(*at)++] = '-';
	while (n > 0 && *at < room)
		buf[(*at)++] = digits[--n];
}

/* Async-signal-safe: no stdio, no allocation; write() and _exit() only. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[160];
	size_t at = 0;
	int nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	put_str(msg, sizeof(msg), &at, "minivmm: sandbox: forbidden syscall ");
	put_str(msg, sizeof(msg), &at,
		nr >= 0 && nr < SANDBOX_NAMES && name_off[nr]
		    ? name_pool + name_off[nr]
		    : "?");
	put_str(msg, sizeof(msg), &at, " (");
	put_int(msg, sizeof(msg), &at, nr);
	put_str(msg, sizeof(msg), &at, "): stopped\n");
	if (write(2, msg, at) < 0)
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

/*
 * The filter as BPF, exported before it is loaded. seccomp_load() frees
 * its own copy once the filter is live, and a free may munmap, which the
 * filter forbids: so minivmm loads the program itself, and nothing after
 * the load allocates or frees (docs/security.md).
 */
static struct sock_filter filter_insns[BPF_MAXINSNS];
static struct sock_fprog filter_prog;

static void export_filter(scmp_filter_ctx ctx)
{
	int fd = memfd_create("minivmm-seccomp", MFD_CLOEXEC);
	ssize_t n;
	int r;

	if (fd < 0)
		err(VMM_STATUS_HOST, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		errx(VMM_STATUS_HOST, "seccomp: seccomp_export_bpf: %s",
		     strerror(-r));
	n = pread(fd, filter_insns, sizeof(filter_insns), 0);
	if (n <= 0 || n % (ssize_t)sizeof(filter_insns[0]) != 0 ||
	    (size_t)n == sizeof(filter_insns))
		errx(VMM_STATUS_HOST, "seccomp: exported filter of %zd bytes",
		     n);
	close(fd);
	filter_prog.len = (unsigned short)((size_t)n / sizeof(filter_insns[0]));
	filter_prog.filter = filter_insns;
}

static void load_filter(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err(VMM_STATUS_HOST, "seccomp: prctl (NO_NEW_PRIVS)");
	/* TSYNC: on every thread of minivmm, the vCPU threads included. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &filter_prog) != 0)
		err(VMM_STATUS_HOST, "seccomp: load the filter");
}

static void allow_vcpu_ioctls(scmp_filter_ctx ctx, const struct vmm_vm *vm,
			      const unsigned long *reqs, size_t n)
{
	for (unsigned c = 0; c < vm->ncpus; c++)
		for (size_t i = 0; i < n; i++) {
			struct scmp_arg_cmp a[] = {
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)vm->vcpus[c].fd),
			    SCMP_A1(SCMP_CMP_EQ, reqs[i]),
			};

			allow(ctx, SCMP_SYS(ioctl), 2, a);
		}
}

/* read(2) or write(2) (nr) on each of (fds). */
static void allow_fds(scmp_filter_ctx ctx, int nr, const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct scmp_arg_cmp a[] = {SCMP_A0(SCMP_CMP_EQ, fds[i])};

		allow(ctx, nr, 1, a);
	}
}

void vmm_sandbox_install(const struct vmm_vm *vm,
			 const struct vmm_sandbox_io *io)
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
	if (other != SCMP_ACT_ALLOW) {
		allow_vcpu_ioctls(ctx, vm, vcpu_ioctls,
				  sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]));
		if (io && io->debug_ioctls)
			allow_vcpu_ioctls(ctx, vm, debug_ioctls,
					  sizeof(debug_ioctls) /
					      sizeof(debug_ioctls[0]));
		if (io) {
			allow_fds(ctx, SCMP_SYS(read), io->read_fds, io->nread);
			allow_fds(ctx, SCMP_SYS(write), io->write_fds,
				  io->nwrite);
		}
	}
	for (int fd = 1; other != SCMP_ACT_ALLOW && fd <= 2; fd++) {
		struct scmp_arg_cmp a[] = {SCMP_A0(SCMP_CMP_EQ, fd)};

		allow(ctx, SCMP_SYS(write), 1, a);
	}
	if (other != SCMP_ACT_ALLOW) {
		allow(ctx, SCMP_SYS(clock_gettime), 0, NULL);
		/* The console waits for a full stdout to drain. */
		allow(ctx, SCMP_SYS(poll), 0, NULL);
		allow(ctx, SCMP_SYS(ppoll), 0, NULL);
		allow(ctx, SCMP_SYS(rt_sigreturn), 0, NULL);
		allow(ctx, SCMP_SYS(exit_group), 0, NULL);
		allow(ctx, SCMP_SYS(exit), 0, NULL);
		/* vCPU threads: the exit lock, kicking each other out of
		 * KVM_RUN, and waiting for the end. */
		allow(ctx, SCMP_SYS(futex), 0, NULL);
		allow(ctx, SCMP_SYS(tgkill), 0, NULL);
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);
	if (r == 0 && other == SCMP_ACT_ALLOW)
		r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(socket), 0);
	if (r < 0)
		errx(VMM_STATUS_HOST, "seccomp: rule: %s", strerror(-r));
	resolve_names();
	export_filter(ctx);
	seccomp_release(ctx);
	load_filter();
}
