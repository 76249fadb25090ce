// SPDX-License-Identifier: MIT
/*
 * run.c: the exit loops, one per vCPU, each on its own thread (the BSP's
 * on the main thread). Run the vCPU, switch on the exit reason, hand port
 * I/O to the serial port, the debug console, the debug-exit port or the
 * hypercall handlers, and turn everything else into a one-line error, a
 * register dump and a distinct exit status. One lock serialises exit
 * handling (the console, the counters); KVM_RUN itself runs unlocked, and
 * IPIs between vCPUs never leave the kernel. The first status any vCPU
 * reaches ends the VM: the others are kicked out of KVM_RUN (immediate_exit
 * and a signal to their thread). A --timeout stops every vCPU.
 */
#include <err.h>
#include <errno.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

/* What an exit handler decided: go on running, or stop with a status. */
#define VMM_CONTINUE (-1)

/* setitimer rounds to microseconds: a tick this early is still ours. */
#define VMM_TIMER_SLACK_NS 1000000u

/* Guest-triggered reports (hc.why) printed per run; then one last note. */
#define VMM_REPORTS_MAX 8

/*
 * The run: all its state, handed down to every handler. One per process:
 * the signal handlers and the AP threads find it as the_run.
 */
struct vmm_run {
	struct vmm_vm *vm;
	const struct vmm_opts *opts;
	struct vmm_stats *stats;
	struct vmm_serial console; /* the one UART, behind exit_lock */
	pthread_mutex_t exit_lock; /* serialises exit handling */
	int final_status;	   /* atomic: the first one wins */
	int started;		   /* atomic: the APs may run */
	int pid;
	volatile sig_atomic_t timed_out;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC, 0: no --timeout */
	unsigned reports;     /* guest-triggered reports printed */
};

static struct vmm_run the_run = {
    .exit_lock = PTHREAD_MUTEX_INITIALIZER,
    .final_status = VMM_CONTINUE,
};

/* What the port I/O exit of (vcpu) asked, as the handlers see it. */
struct vmm_io {
	struct kvm_run *run;
	struct vmm_io_exit exit; /* for vmm_io_not_plain() */
	uint16_t port;
	unsigned size;
	bool out;
	uint8_t *data;
	/* the vCPU's registers, for the ports that take plain I/O only */
	struct kvm_regs *regs;
	struct kvm_sregs *sregs;
};

/*
 * Get every vCPU out of KVM_RUN: immediate_exit for one about to enter,
 * a signal (SIGUSR1, a handler that does nothing) for one inside.
 * Async-signal-safe: the --timeout handler calls it.
 */
static void kick_all(struct vmm_run *r)
{
	for (unsigned i = 0; r->vm && i < r->vm->ncpus; i++) {
		struct vmm_vcpu *v = &r->vm->vcpus[i];

		v->run->immediate_exit = 1;
		if (v->tid)
			syscall(SYS_tgkill, r->pid, v->tid, SIGUSR1);
	}
}

static void on_kick(int sig)
{
	(void)sig;
}

/* End the run with (status) unless another vCPU already did. */
static void stop(struct vmm_run *r, int status)
{
	int expected = VMM_CONTINUE;

	if (__atomic_compare_exchange_n(&r->final_status, &expected, status,
					false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		kick_all(r);
}

static bool stopped(struct vmm_run *r)
{
	return __atomic_load_n(&r->final_status, __ATOMIC_ACQUIRE) !=
	       VMM_CONTINUE;
}

void vmm_run_stop(int status)
{
	stop(&the_run, status);
}

bool vmm_run_ending(void)
{
	return stopped(&the_run) || the_run.timed_out;
}

/* A monotonic clock in ns; the vDSO answers it, so no syscall. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Only our own timer counts: a SIGALRM someone else sends is ignored. */
static void on_alarm(int sig)
{
	struct vmm_run *r = &the_run;

	(void)sig;
	if (!r->deadline_ns || now_ns() + VMM_TIMER_SLACK_NS < r->deadline_ns)
		return;
	r->timed_out = 1;
	kick_all(r); /* also covers "not in KVM_RUN yet" */
}

void vmm_timeout_arm(double seconds)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {0};

	if (seconds <= 0)
		return;
	the_run.deadline_ns = now_ns() + (uint64_t)(seconds * 1e9);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		err(VMM_STATUS_HOST, "sigaction (SIGALRM)");
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec =
	    (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		err(VMM_STATUS_HOST, "setitimer");
}

/* Stop with (status) after a guest error: message already printed. */
static int guest_error(struct vmm_run *r, struct vmm_vcpu *vcpu, int status)
{
	if (r->vm && r->vm->ncpus > 1)
		fprintf(stderr, "vCPU %u:\n", vcpu->id);
	vmm_cpu_dump(vcpu);
	return status;
}

static uint64_t io_value(const uint8_t *data, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, data, size);
	return v;
}

/*
 * Print a guest-triggered report, at most VMM_REPORTS_MAX of them a run:
 * a guest must not be able to flood minivmm's stderr.
 */
static void report(struct vmm_run *r, const char *why)
{
	if (r->reports < VMM_REPORTS_MAX)
		warnx("%s", why);
	else if (r->reports == VMM_REPORTS_MAX)
		warnx("further reports of this run are not printed");
	if (r->reports <= VMM_REPORTS_MAX)
		r->reports++;
}

static int handle_hypercall(struct vmm_run *r, struct vmm_vcpu *vcpu,
			    uint32_t nr, struct kvm_regs *regs,
			    struct kvm_sregs *sregs)
{
	struct vmm_stats *stats = r->stats;
	struct vmm_hc hc = {.nr = nr,
			    .regs = regs,
			    .sregs = sregs,
			    .mem = &r->vm->mem,
			    .console = &r->console,
			    .tsc_khz = r->stats->tsc_khz,
			    .sandbox_probe = r->opts->sandbox_probe,
			    .mc_counts = stats->mc_entries};

	stats->hc_last = nr;
	if (vmm_hypercall_name(nr))
		stats->hypercalls[nr]++;
	else
		stats->unknown_hypercalls++; /* past the table, or in its gap */
	vmm_hypercall(&hc);
	if (hc.refused)
		stats->refused_hypercalls++;
	if (hc.mc_run)
		stats->multicalls++;
	if (hc.stop) { /* the reason, if any, is printed once: the run ends */
		if (hc.why[0])
			warnx("%s", hc.why);
		return hc.status;
	}
	if (hc.why[0]) /* a report, like the probe's */
		report(r, hc.why);
	if (vcpu->sync_regs) {
		vcpu->run->kvm_dirty_regs |=
		    (hc.regs_dirty ? KVM_SYNC_X86_REGS : 0) |
		    (hc.sregs_dirty ? KVM_SYNC_X86_SREGS : 0);
	} else {
		if (hc.regs_dirty && ioctl(vcpu->fd, KVM_SET_REGS, hc.regs) < 0)
			err(VMM_STATUS_HOST, "KVM: ioctl (SET_REGS) failed");
		if (hc.sregs_dirty &&
		    ioctl(vcpu->fd, KVM_SET_SREGS, hc.sregs) < 0)
			err(VMM_STATUS_HOST, "KVM: ioctl (SET_SREGS) failed");
	}
	if (hc.flush_tlb)
		vmm_cpu_flush_tlb(vcpu, hc.sregs);
	if (hc.halt)
		vmm_cpu_halt(vcpu);
	return VMM_CONTINUE;
}

static uint64_t exit_rip(struct vmm_vcpu *vcpu)
{
	struct kvm_regs regs;

	if (vcpu->sync_regs)
		return vcpu->run->s.regs.regs.rip;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS) failed");
	return regs.rip;
}

static int unhandled_io(struct vmm_run *r, struct vmm_vcpu *vcpu,
			const struct vmm_io *io)
{
	uint64_t rip = exit_rip(vcpu);

	vmm_serial_flush(&r->console);
	if (io->out)
		warnx("unhandled port I/O: out to port %#x (%u-byte value "
		      "%#llx) at rip %#llx",
		      io->port, io->size,
		      (unsigned long long)io_value(io->data, io->size),
		      (unsigned long long)rip);
	else
		warnx("unhandled port I/O: in from port %#x (%u bytes) at rip "
		      "%#llx",
		      io->port, io->size, (unsigned long long)rip);
	return guest_error(r, vcpu, VMM_STATUS_GUEST_IO);
}

/* (vcpu)'s registers: kvm_run's copies with sync regs, else read into
 * (*regs) and (*sregs). */
static void vcpu_regs(struct vmm_vcpu *vcpu, struct kvm_regs **regs,
		      struct kvm_sregs **sregs)
{
	if (vcpu->sync_regs) {
		*regs = &vcpu->run->s.regs.regs;
		*sregs = &vcpu->run->s.regs.sregs;
	} else if (ioctl(vcpu->fd, KVM_GET_REGS, *regs) < 0 ||
		   ioctl(vcpu->fd, KVM_GET_SREGS, *sregs) < 0) {
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS/GET_SREGS) failed");
	}
}

static int refuse_string_io(struct vmm_run *r, struct vmm_vcpu *vcpu,
			    uint16_t port, const char *why)
{
	vmm_serial_flush(&r->console);
	warnx("string port I/O (ins/outs) to port %#x is refused (the "
	      "hypercall and debug-exit ports take one plain in/out at a "
	      "time): %s at rip %#llx",
	      port, why, (unsigned long long)exit_rip(vcpu));
	return guest_error(r, vcpu, VMM_STATUS_GUEST_IO);
}

/* The 16550 (COM1): one byte at a time, rep included. */
static int io_serial(struct vmm_run *r, struct vmm_vcpu *vcpu,
		     const struct vmm_io *io)
{
	if (io->size != 1)
		return unhandled_io(r, vcpu, io);
	for (uint32_t i = 0; i < io->run->io.count; i++) {
		if (io->out)
			vmm_serial_out(&r->console, io->port, io->data[i]);
		else
			io->data[i] = vmm_serial_in(&r->console, io->port);
	}
	return VMM_CONTINUE;
}

/* Port 0xe9 (Bochs's and QEMU's debug console): bytes to the console;
 * reads give the port number, as QEMU's does. */
static int io_debugcon(struct vmm_run *r, struct vmm_vcpu *vcpu,
		       const struct vmm_io *io)
{
	if (io->size != 1)
		return unhandled_io(r, vcpu, io);
	if (io->out)
		vmm_serial_write(&r->console, (const char *)io->data,
				 io->run->io.count);
	else
		memset(io->data, MINIVMM_DEBUGCON_PORT, io->run->io.count);
	return VMM_CONTINUE;
}

/* isa-debug-exit: an out ends the run with (value << 1) | 1, as QEMU's. */
static int io_debug_exit(struct vmm_run *r, struct vmm_vcpu *vcpu,
			 const struct vmm_io *io)
{
	(void)r;
	(void)vcpu;
	if (!io->out) {
		memset(io->data, 0, io->size);
		return VMM_CONTINUE;
	}
	return (int)(((io_value(io->data, io->size) << 1) | 1) & 0xff);
}

/* The hypercall port: a 4-byte out of the number (docs/abi.md). */
static int io_hypercall(struct vmm_run *r, struct vmm_vcpu *vcpu,
			const struct vmm_io *io)
{
	if (!io->out || io->size != 4)
		return unhandled_io(r, vcpu, io);
	return handle_hypercall(r, vcpu, (uint32_t)io_value(io->data, 4),
				io->regs, io->sregs);
}

/*
 * minivmm's ports: a handler per range, like the hypercall table. A
 * (plain) port takes one plain in/out at a time, checked before its
 * handler runs (vmm_io_not_plain), with the registers read once for both.
 */
static const struct vmm_port_range {
	uint16_t first, count;
	bool plain;
	int (*handle)(struct vmm_run *r, struct vmm_vcpu *vcpu,
		      const struct vmm_io *io);
} ports[] = {
    {MINIVMM_SERIAL_PORT, 8, false, io_serial},
    {MINIVMM_DEBUGCON_PORT, 1, false, io_debugcon},
    {MINIVMM_DEBUG_EXIT_PORT, 1, true, io_debug_exit},
    {MINIVMM_HYPERCALL_PORT, 1, true, io_hypercall},
};

/* Port range (p)'s handler, after its plain-I/O check if it has one. */
static int dispatch_io(struct vmm_run *r, struct vmm_vcpu *vcpu,
		       const struct vmm_port_range *p, struct vmm_io *io)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	const char *why;

	if (p->plain) {
		io->regs = &regs;
		io->sregs = &sregs;
		vcpu_regs(vcpu, &io->regs, &io->sregs);
		why = vmm_io_not_plain(&r->vm->mem, io->regs, io->sregs,
				       &io->exit, io->data);
		if (why)
			return refuse_string_io(r, vcpu, io->port, why);
	}
	return p->handle(r, vcpu, io);
}

static int handle_io(struct vmm_run *r, struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vmm_io io = {
	    .run = run,
	    .exit = {.out = run->io.direction == KVM_EXIT_IO_OUT,
		     .size = run->io.size,
		     .port = run->io.port,
		     .count = run->io.count},
	    .port = run->io.port,
	    .size = run->io.size,
	    .out = run->io.direction == KVM_EXIT_IO_OUT,
	    .data = (uint8_t *)run + run->io.data_offset,
	};

	if (run->io.data_offset > vcpu->run_size ||
	    (uint64_t)io.size * run->io.count >
		vcpu->run_size - run->io.data_offset)
		errx(VMM_STATUS_HOST, "KVM: port I/O data outside kvm_run");
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (io.port >= ports[i].first &&
		    io.port - ports[i].first < ports[i].count)
			return dispatch_io(r, vcpu, &ports[i], &io);
	return unhandled_io(r, vcpu, &io);
}

/* Everything but port I/O: each is the end of the run. */
static int handle_other(struct vmm_run *r, struct vmm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		warnx("unhandled MMIO: %s %u bytes at guest-physical %#llx "
		      "(value %#llx) at rip %#llx",
		      run->mmio.is_write ? "write of" : "read of",
		      run->mmio.len, (unsigned long long)run->mmio.phys_addr,
		      run->mmio.is_write
			  ? (unsigned long long)io_value(
				run->mmio.data,
				run->mmio.len > 8 ? 8 : run->mmio.len)
			  : 0ull,
		      (unsigned long long)rip);
		return guest_error(r, vcpu, VMM_STATUS_GUEST_MMIO);
	case KVM_EXIT_SHUTDOWN:
		warnx("guest triple-faulted (KVM_EXIT_SHUTDOWN) at rip %#llx",
		      (unsigned long long)rip);
		return guest_error(r, vcpu, VMM_STATUS_SHUTDOWN);
	case KVM_EXIT_INTERNAL_ERROR:
		warnx("KVM_EXIT_INTERNAL_ERROR, suberror %u (%u data words, "
		      "first %#llx) at rip %#llx",
		      run->internal.suberror, run->internal.ndata,
		      run->internal.ndata
			  ? (unsigned long long)run->internal.data[0]
			  : 0ull,
		      (unsigned long long)rip);
		return guest_error(r, vcpu, VMM_STATUS_INTERNAL);
	case KVM_EXIT_FAIL_ENTRY:
		warnx("KVM_EXIT_FAIL_ENTRY, hardware reason %#llx at rip %#llx",
		      (unsigned long long)
			  run->fail_entry.hardware_entry_failure_reason,
		      (unsigned long long)rip);
		return guest_error(r, vcpu, VMM_STATUS_FAIL_ENTRY);
	default:
		warnx("unknown KVM exit reason %u at rip %#llx",
		      run->exit_reason, (unsigned long long)rip);
		return guest_error(r, vcpu, VMM_STATUS_UNKNOWN_EXIT);
	}
}

/* The guest ran past --timeout: say so, dump, stop. */
static int timeout_expired(struct vmm_run *r, struct vmm_vcpu *vcpu)
{
	double timeout = r->opts->timeout;

	warnx("guest still running after --timeout %g s: stopped%s", timeout,
	      vmm_cpu_halted_for_good(vcpu)
		  ? " (it halted with interrupts disabled: nothing can wake "
		    "it)"
		  : "");
	(void)guest_error(r, vcpu, VMM_STATUS_TIMEOUT);
	/* And every other vCPU: a hang among several shows in where each
	 * one is. The timeout kicked them all out of KVM_RUN, so their
	 * registers can be read (an ioctl waits for its vCPU to leave). */
	for (unsigned i = 0; i < r->vm->ncpus; i++)
		if (&r->vm->vcpus[i] != vcpu)
			(void)guest_error(r, &r->vm->vcpus[i],
					  VMM_STATUS_TIMEOUT);
	return VMM_STATUS_TIMEOUT;
}

/* Console output was lost: that ends the run, whatever the guest said. */
static int output_failed(const struct vmm_serial *serial)
{
	warnx("console output lost: writing to standard output failed: %s",
	      strerror(serial->error));
	return VMM_STATUS_OUTPUT;
}

/* One exit of (vcpu), handled under the lock: a status, or go on. */
static int handle_exit(struct vmm_run *r, struct vmm_vcpu *vcpu)
{
	struct vmm_stats *stats = r->stats;
	uint64_t t_exit = stats->hc_hist ? now_ns() : 0;
	int status;

	if (r->console.error) /* EINTR when --timeout cancelled a write */
		return r->timed_out ? timeout_expired(r, vcpu)
				    : output_failed(&r->console);
	vcpu->run->kvm_dirty_regs = 0;
	stats->exits[vcpu->run->exit_reason < 64 ? vcpu->run->exit_reason
						 : 63]++;
	if (vcpu->run->exit_reason != KVM_EXIT_IO) {
		vmm_serial_flush(&r->console);
		return handle_other(r, vcpu, exit_rip(vcpu));
	}
	status = handle_io(r, vcpu);
	/* Time hypercalls up to the point of re-entering. */
	if (stats->hc_hist && status == VMM_CONTINUE &&
	    vcpu->run->io.port == MINIVMM_HYPERCALL_PORT &&
	    stats->hc_last != MINIVMM_HC_CONSOLE_WRITE)
		vmm_stats_time_hypercall(stats, now_ns() - t_exit);
	return status;
}

/* An exit that is the debugger's (--gdb): a debug exit, or a breakpoint
 * that is an I/O exit. Counted, handed to the stub; true if it was. */
static bool gdb_exit(struct vmm_run *r, struct vmm_vcpu *vcpu)
{
	uint32_t reason = vcpu->run->exit_reason;

	if (reason == KVM_EXIT_DEBUG)
		vmm_gdb_debug_exit(vcpu);
	else if (reason != KVM_EXIT_IO || !vmm_gdb_io_exit(vcpu))
		return false;
	pthread_mutex_lock(&r->exit_lock);
	r->stats->exits[reason]++;
	pthread_mutex_unlock(&r->exit_lock);
	return true;
}

/* Run (vcpu) until some vCPU ends the run. */
static void vcpu_loop(struct vmm_run *r, struct vmm_vcpu *vcpu)
{
	while (!stopped(r)) {
		int status;

		if (vmm_gdb_active())
			vmm_gdb_park(vcpu);
		/* EAGAIN: an AP's first KVM_RUN after INIT, on this host. */
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN)
				err(VMM_STATUS_HOST, "KVM: ioctl (RUN) failed");
			if (r->timed_out && !stopped(r)) {
				pthread_mutex_lock(&r->exit_lock);
				if (!stopped(r)) {
					vmm_serial_flush(&r->console);
					stop(r, timeout_expired(r, vcpu));
				}
				pthread_mutex_unlock(&r->exit_lock);
			}
			continue;
		}
		if (vmm_gdb_active() && gdb_exit(r, vcpu))
			continue;
		pthread_mutex_lock(&r->exit_lock);
		status = stopped(r) ? VMM_CONTINUE : handle_exit(r, vcpu);
		if (status != VMM_CONTINUE)
			stop(r, status);
		pthread_mutex_unlock(&r->exit_lock);
		if (status == VMM_CONTINUE && vmm_gdb_active())
			vmm_gdb_after_io(vcpu);
	}
}

/* An AP's thread: wait for the start, run, then wait for the end. */
static void *ap_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	static int never;

	vcpu->tid = (int)syscall(SYS_gettid);
	while (!__atomic_load_n(&the_run.started, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	vcpu_loop(&the_run, vcpu);
	for (;;) /* the main thread ends the process */
		syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL,
			0);
	return NULL;
}

void vmm_run_prepare(struct vmm_vm *vm, const struct vmm_opts *opts,
		     struct vmm_stats *stats)
{
	struct sigaction sa = {.sa_handler = on_kick};
	struct vmm_run *r = &the_run;

	r->vm = vm;
	r->opts = opts;
	r->stats = stats;
	r->pid = getpid();
	vmm_serial_init(&r->console, 1, &r->timed_out);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) /* no SA_RESTART: EINTR */
		err(VMM_STATUS_HOST, "sigaction (SIGUSR1)");
	vm->vcpus[0].tid = (int)syscall(SYS_gettid);
	for (unsigned i = 1; i < vm->ncpus; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, ap_thread, &vm->vcpus[i]);

		if (e) {
			errno = e;
			err(VMM_STATUS_HOST, "pthread_create (vCPU %u)", i);
		}
		pthread_detach(t);
		while (!__atomic_load_n(&vm->vcpus[i].tid, __ATOMIC_ACQUIRE))
			__builtin_ia32_pause();
	}
}

int vmm_run(void)
{
	struct vmm_run *r = &the_run;
	int status;

	__atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
	vcpu_loop(r, &r->vm->vcpus[0]);
	pthread_mutex_lock(&r->exit_lock);
	status = __atomic_load_n(&r->final_status, __ATOMIC_ACQUIRE);
	if (!vmm_serial_flush(&r->console) && r->console.error != EINTR &&
	    status != VMM_STATUS_TIMEOUT)
		status = output_failed(&r->console);
	pthread_mutex_unlock(&r->exit_lock);
	vmm_gdb_finish(status);
	return status;
}
