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

static volatile sig_atomic_t timed_out;
static uint64_t deadline_ns; /* CLOCK_MONOTONIC, 0: no --timeout */

/* The run, shared by the vCPU threads. */
static struct vmm_vm *the_vm;
static const struct vmm_opts *the_opts;
static struct vmm_stats *the_stats;
static struct vmm_serial console; /* the one UART, behind exit_lock */
static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
static int final_status = VMM_CONTINUE; /* atomic: the first one wins */
static int started;			/* atomic: the APs may run */
static int pid;

/*
 * Get every vCPU out of KVM_RUN: immediate_exit for one about to enter,
 * a signal (SIGUSR1, a handler that does nothing) for one inside.
 * Async-signal-safe: the --timeout handler calls it.
 */
static void kick_all(void)
{
	for (unsigned i = 0; the_vm && i < the_vm->ncpus; i++) {
		struct vmm_vcpu *v = &the_vm->vcpus[i];

		v->run->immediate_exit = 1;
		if (v->tid)
			syscall(SYS_tgkill, pid, v->tid, SIGUSR1);
	}
}

static void on_kick(int sig)
{
	(void)sig;
}

/* End the run with (status) unless another vCPU already did. */
static void stop(int status)
{
	int expected = VMM_CONTINUE;

	if (__atomic_compare_exchange_n(&final_status, &expected, status, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		kick_all();
}

static bool stopped(void)
{
	return __atomic_load_n(&final_status, __ATOMIC_ACQUIRE) != VMM_CONTINUE;
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
	(void)sig;
	if (!deadline_ns || now_ns() + VMM_TIMER_SLACK_NS < deadline_ns)
		return;
	timed_out = 1;
	kick_all(); /* also covers "not in KVM_RUN yet" */
}

void vmm_timeout_arm(struct vmm_vm *vm, double seconds)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {0};

	the_vm = vm;
	if (seconds <= 0)
		return;
	deadline_ns = now_ns() + (uint64_t)(seconds * 1e9);
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
static int guest_error(struct vmm_vcpu *vcpu, int status)
{
	if (the_vm && the_vm->ncpus > 1)
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
static void report(const char *why)
{
	static unsigned reports;

	if (reports < VMM_REPORTS_MAX)
		warnx("%s", why);
	else if (reports == VMM_REPORTS_MAX)
		warnx("further reports of this run are not printed");
	if (reports <= VMM_REPORTS_MAX)
		reports++;
}

static int handle_hypercall(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
			    const struct vmm_opts *opts,
			    struct vmm_serial *serial, struct vmm_stats *stats,
			    uint32_t nr)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct vmm_hc hc = {.nr = nr,
			    .regs = &regs,
			    .sregs = &sregs,
			    .mem = &vm->mem,
			    .console = serial,
			    .tsc_khz = stats->tsc_khz,
			    .sandbox_probe = opts->sandbox_probe};

	/* With sync regs KVM already copied both into kvm_run: no ioctl. */
	if (vcpu->sync_regs) {
		hc.regs = &vcpu->run->s.regs.regs;
		hc.sregs = &vcpu->run->s.regs.sregs;
	} else if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		   ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS/GET_SREGS) failed");
	}
	stats->hc_last = nr;
	if (vmm_hypercall_name(nr))
		stats->hypercalls[nr]++;
	else
		stats->unknown_hypercalls++; /* past the table, or in its gap */
	vmm_hypercall(&hc);
	if (hc.refused)
		stats->refused_hypercalls++;
	if (hc.stop) { /* the reason, if any, is printed once: the run ends */
		if (hc.why[0])
			warnx("%s", hc.why);
		return hc.status;
	}
	if (hc.why[0]) /* a report, like the probe's */
		report(hc.why);
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

static int unhandled_io(struct vmm_vcpu *vcpu, const struct kvm_run *run,
			const uint8_t *data)
{
	uint64_t rip = exit_rip(vcpu);

	if (run->io.direction == KVM_EXIT_IO_OUT)
		warnx("unhandled port I/O: out to port %#x (%u-byte value "
		      "%#llx) at rip %#llx",
		      run->io.port, run->io.size,
		      (unsigned long long)io_value(data, run->io.size),
		      (unsigned long long)rip);
	else
		warnx("unhandled port I/O: in from port %#x (%u bytes) at rip "
		      "%#llx",
		      run->io.port, run->io.size, (unsigned long long)rip);
	return guest_error(vcpu, VMM_STATUS_GUEST_IO);
}

/*
 * Why a port I/O exit is not the plain in/out at rip that it must be for
 * the hypercall and debug-exit ports, or NULL if it is. KVM reports ins
 * and outs like in and out, and where it emulates them (AMD) a single
 * outs exits with rip already past it: so the instruction at rip must be
 * an in/out of this direction, size and port, and an out's data must be
 * its accumulator. Anything else is string I/O, or an exit whose
 * instruction cannot be told, and both are refused.
 */
static const char *not_plain_io(struct vmm_vcpu *vcpu, const struct vmm_mem *mem,
				const uint8_t *data)
{
	const struct kvm_run *run = vcpu->run;
	struct kvm_regs regs, *r = &regs;
	struct kvm_sregs sregs, *sr = &sregs;
	struct vmm_io_insn io;
	uint64_t acc = 0;

	if (run->io.count != 1)
		return "more than one transfer (rep ins/outs)";
	if (vcpu->sync_regs) {
		r = &vcpu->run->s.regs.regs;
		sr = &vcpu->run->s.regs.sregs;
	} else if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		   ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS/GET_SREGS) failed");
	}
	switch (vmm_insn_decode_io(mem, sr, r->rip, &io)) {
	case -1:
		return "an instruction that cannot be read";
	case 0:
		return "no in/out, so an outs that KVM emulated ends";
	default:
		break;
	}
	if (io.string)
		return "a string instruction (ins/outs)";
	if (io.out != (run->io.direction == KVM_EXIT_IO_OUT) ||
	    io.size != run->io.size ||
	    (io.port >= 0 ? (unsigned)io.port : (r->rdx & 0xffff)) !=
		run->io.port)
		return "another in/out, so an outs that KVM emulated ends";
	memcpy(&acc, &r->rax, io.size);
	if (io.out && memcmp(&acc, data, io.size) != 0)
		return "an out of other data, so an outs that KVM emulated "
		       "ends";
	return NULL;
}

static int refuse_string_io(struct vmm_vcpu *vcpu, uint16_t port,
			    const char *why)
{
	warnx("string port I/O (ins/outs) to port %#x is refused (the "
	      "hypercall and debug-exit ports take one plain in/out at a "
	      "time): %s at rip %#llx",
	      port, why, (unsigned long long)exit_rip(vcpu));
	return guest_error(vcpu, VMM_STATUS_GUEST_IO);
}

static int handle_io(struct vmm_vm *vm, struct vmm_vcpu *vcpu,
		     const struct vmm_opts *opts, struct vmm_serial *serial,
		     struct vmm_stats *stats)
{
	struct kvm_run *run = vcpu->run;
	uint16_t port = run->io.port;
	unsigned size = run->io.size;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (run->io.data_offset > vcpu->run_size ||
	    (uint64_t)size * run->io.count >
		vcpu->run_size - run->io.data_offset)
		errx(VMM_STATUS_HOST, "KVM: port I/O data outside kvm_run");

	if (port >= MINIVMM_SERIAL_PORT && port < MINIVMM_SERIAL_PORT + 8 &&
	    size == 1) {
		for (uint32_t i = 0; i < run->io.count; i++) {
			if (out)
				vmm_serial_out(serial, port, data[i]);
			else
				data[i] = vmm_serial_in(serial, port);
		}
		return VMM_CONTINUE;
	}
	if (port == MINIVMM_DEBUGCON_PORT && size == 1) {
		if (out)
			vmm_serial_write(serial, (const char *)data,
					 run->io.count);
		else
			memset(data, MINIVMM_DEBUGCON_PORT, run->io.count);
		return VMM_CONTINUE;
	}
	if (port == MINIVMM_DEBUG_EXIT_PORT || port == MINIVMM_HYPERCALL_PORT) {
		const char *why = not_plain_io(vcpu, &vm->mem, data);

		if (why) {
			vmm_serial_flush(serial);
			return refuse_string_io(vcpu, port, why);
		}
	}
	if (port == MINIVMM_DEBUG_EXIT_PORT && run->io.count == 1) {
		if (!out) {
			memset(data, 0, size);
			return VMM_CONTINUE;
		}
		return (int)(((io_value(data, size) << 1) | 1) & 0xff);
	}
	if (port == MINIVMM_HYPERCALL_PORT && out && size == 4 &&
	    run->io.count == 1)
		return handle_hypercall(vm, vcpu, opts, serial, stats,
					(uint32_t)io_value(data, 4));
	vmm_serial_flush(serial);
	return unhandled_io(vcpu, run, data);
}

/* Everything but port I/O: each is the end of the run. */
static int handle_other(struct vmm_vcpu *vcpu, uint64_t rip)
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
		return guest_error(vcpu, VMM_STATUS_GUEST_MMIO);
	case KVM_EXIT_SHUTDOWN:
		warnx("guest triple-faulted (KVM_EXIT_SHUTDOWN) at rip %#llx",
		      (unsigned long long)rip);
		return guest_error(vcpu, VMM_STATUS_SHUTDOWN);
	case KVM_EXIT_INTERNAL_ERROR:
		warnx("KVM_EXIT_INTERNAL_ERROR, suberror %u (%u data words, "
		      "first %#llx) at rip %#llx",
		      run->internal.suberror, run->internal.ndata,
		      run->internal.ndata
			  ? (unsigned long long)run->internal.data[0]
			  : 0ull,
		      (unsigned long long)rip);
		return guest_error(vcpu, VMM_STATUS_INTERNAL);
	case KVM_EXIT_FAIL_ENTRY:
		warnx("KVM_EXIT_FAIL_ENTRY, hardware reason %#llx at rip %#llx",
		      (unsigned long long)
			  run->fail_entry.hardware_entry_failure_reason,
		      (unsigned long long)rip);
		return guest_error(vcpu, VMM_STATUS_FAIL_ENTRY);
	default:
		warnx("unknown KVM exit reason %u at rip %#llx",
		      run->exit_reason, (unsigned long long)rip);
		return guest_error(vcpu, VMM_STATUS_UNKNOWN_EXIT);
	}
}

/* The guest ran past --timeout: say so, dump, stop. */
static int timeout_expired(struct vmm_vcpu *vcpu, double timeout)
{
	warnx("guest still running after --timeout %g s: stopped%s", timeout,
	      vmm_cpu_halted_for_good(vcpu)
		  ? " (it halted with interrupts disabled: nothing can wake "
		    "it)"
		  : "");
	(void)guest_error(vcpu, VMM_STATUS_TIMEOUT);
	/* And every other vCPU: a hang among several shows in where each
	 * one is. The timeout kicked them all out of KVM_RUN, so their
	 * registers can be read (an ioctl waits for its vCPU to leave). */
	for (unsigned i = 0; the_vm && i < the_vm->ncpus; i++)
		if (&the_vm->vcpus[i] != vcpu)
			(void)guest_error(&the_vm->vcpus[i], VMM_STATUS_TIMEOUT);
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
static int handle_exit(struct vmm_vm *vm, struct vmm_vcpu *vcpu)
{
	struct vmm_stats *stats = the_stats;
	uint64_t t_exit = stats->hc_hist ? now_ns() : 0;
	int status;

	if (console.error) /* EINTR when --timeout cancelled a write */
		return timed_out ? timeout_expired(vcpu, the_opts->timeout)
				 : output_failed(&console);
	vcpu->run->kvm_dirty_regs = 0;
	stats->exits[vcpu->run->exit_reason < 64 ? vcpu->run->exit_reason
						 : 63]++;
	if (vcpu->run->exit_reason != KVM_EXIT_IO) {
		vmm_serial_flush(&console);
		return handle_other(vcpu, exit_rip(vcpu));
	}
	status = handle_io(vm, vcpu, the_opts, &console, stats);
	/* Time hypercalls up to the point of re-entering. */
	if (stats->hc_hist && status == VMM_CONTINUE &&
	    vcpu->run->io.port == MINIVMM_HYPERCALL_PORT &&
	    stats->hc_last != MINIVMM_HC_CONSOLE_WRITE)
		vmm_stats_time_hypercall(stats, now_ns() - t_exit);
	return status;
}

/* Run (vcpu) until some vCPU ends the run. */
static void vcpu_loop(struct vmm_vm *vm, struct vmm_vcpu *vcpu)
{
	while (!stopped()) {
		int status;

		/* EAGAIN: an AP's first KVM_RUN after INIT, on this host. */
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN)
				err(VMM_STATUS_HOST, "KVM: ioctl (RUN) failed");
			if (timed_out && !stopped()) {
				pthread_mutex_lock(&exit_lock);
				if (!stopped()) {
					vmm_serial_flush(&console);
					stop(timeout_expired(
					    vcpu, the_opts->timeout));
				}
				pthread_mutex_unlock(&exit_lock);
			}
			continue;
		}
		pthread_mutex_lock(&exit_lock);
		status = stopped() ? VMM_CONTINUE : handle_exit(vm, vcpu);
		if (status != VMM_CONTINUE)
			stop(status);
		pthread_mutex_unlock(&exit_lock);
	}
}

/* An AP's thread: wait for the start, run, then wait for the end. */
static void *ap_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	static int never;

	vcpu->tid = (int)syscall(SYS_gettid);
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	vcpu_loop(the_vm, vcpu);
	for (;;) /* the main thread ends the process */
		syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL,
			0);
	return NULL;
}

void vmm_run_prepare(struct vmm_vm *vm, const struct vmm_opts *opts,
		     struct vmm_stats *stats)
{
	struct sigaction sa = {.sa_handler = on_kick};

	the_vm = vm;
	the_opts = opts;
	the_stats = stats;
	pid = getpid();
	vmm_serial_init(&console, 1, &timed_out);
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

int vmm_run(struct vmm_vm *vm)
{
	int status;

	__atomic_store_n(&started, 1, __ATOMIC_RELEASE);
	vcpu_loop(vm, &vm->vcpus[0]);
	pthread_mutex_lock(&exit_lock);
	status = __atomic_load_n(&final_status, __ATOMIC_ACQUIRE);
	if (!vmm_serial_flush(&console) && console.error != EINTR &&
	    status != VMM_STATUS_TIMEOUT)
		status = output_failed(&console);
	pthread_mutex_unlock(&exit_lock);
	return status;
}
