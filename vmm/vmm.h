/* SPDX-License-Identifier: MIT */
/*
 * vmm.h: minivmm's internal interfaces, one section per file. Prototypes
 * state their contract and ordering rules; everything the guest hands us is
 * a guest-physical address (uint64_t) that must go through vmm_mem_ptr().
 */
#ifndef VMM_H
#define VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "gdb.h"
#include "minivmm_abi.h"

/* Exit statuses of minivmm (docs/running.md lists them with examples). */
enum vmm_status {
	VMM_STATUS_USAGE = 64,	      /* bad command line */
	VMM_STATUS_IMAGE = 65,	      /* the guest ELF is malformed */
	VMM_STATUS_NOINPUT = 66,      /* the guest file cannot be read */
	VMM_STATUS_NOKVM = 69,	      /* /dev/kvm missing or unusable */
	VMM_STATUS_HOST = 71,	      /* a host call (ioctl, mmap) failed */
	VMM_STATUS_OUTPUT = 74,	      /* the console could not be written */
	VMM_STATUS_GUEST_IO = 80,     /* access to a port nobody handles */
	VMM_STATUS_GUEST_MMIO = 81,   /* access to unbacked guest memory */
	VMM_STATUS_SHUTDOWN = 82,     /* triple fault */
	VMM_STATUS_INTERNAL = 83,     /* KVM_EXIT_INTERNAL_ERROR */
	VMM_STATUS_FAIL_ENTRY = 84,   /* KVM_EXIT_FAIL_ENTRY */
	VMM_STATUS_UNKNOWN_EXIT = 85, /* an exit reason minivmm does not know */
	VMM_STATUS_HYPERCALL = 86,    /* a hypercall with a bad argument */
	VMM_STATUS_KILLED = 87,	      /* gdb killed the guest (--gdb) */
	VMM_STATUS_SANDBOX = 88,      /* a syscall the sandbox forbids */
	VMM_STATUS_TIMEOUT = 124,     /* --timeout expired */
};

/* Guest-physical layout minivmm reserves below 1 MiB (docs/boot.md). */
#define VMM_START_INFO_GPA  0x1000ull	/* start_info, then the memory map */
#define VMM_CMDLINE_GPA	    0x2000ull	/* command line, NUL-terminated */
#define VMM_CMDLINE_MAX	    4096u	/* bytes, including the NUL */
#define VMM_LOAD_MIN_GPA    0x100000ull /* PT_LOAD segments start at 1 MiB */
#define VMM_LEGACY_HOLE_GPA 0xa0000ull	/* VGA/BIOS hole up to 1 MiB */

#define VMM_ACPI_GPA 0x3000ull /* RSDP, XSDT, MADT: the CPUs */

#define VMM_MAX_CPUS 64 /* --cpus; KVM's own limit is checked too */

#define VMM_MEM_MIN	(2ull << 20) /* smallest --mem */
#define VMM_MEM_MAX	(3ull << 30) /* below the 32-bit MMIO hole */
#define VMM_MEM_DEFAULT (64ull << 20)

/* ---- options.c: the command line ---- */

struct vmm_opts {
	const char *guest_path; /* GUEST.elf */
	const char *cmdline;	/* guest command line, "" if none */
	unsigned cpus;		/* vCPUs, 1..VMM_MAX_CPUS */
	uint64_t mem_size;	/* bytes, VMM_MEM_MIN..VMM_MEM_MAX */
	double timeout;		/* seconds, 0 = none */
	bool stats;		/* --stats: print exit counts at exit */
	bool no_sandbox;	/* --no-sandbox: no seccomp filter */
	bool sandbox_probe;	/* --sandbox-probe: the test-only hypercall */
	bool gdb_on;		/* --gdb given */
	struct gdb_addr gdb;	/* --gdb ADDR */
};

/*
 * Parse argv into (opts). Returns -1 to go on and run the guest, or the
 * exit status to stop with: 0 after --help/--version, VMM_STATUS_USAGE
 * after an error (already reported on stderr).
 */
int vmm_parse_args(int argc, char **argv, struct vmm_opts *opts);

/* Parse "64M"-style sizes (K, M, G suffixes). Returns false on garbage. */
bool vmm_parse_size(const char *s, uint64_t *out);

/* ---- guestmem.c: the one bounds check for guest-physical accesses ---- */

struct vmm_mem {
	uint8_t *host; /* host mapping of guest-physical 0 */
	uint64_t size; /* bytes */
};

/*
 * Host pointer for guest-physical [gpa, gpa + len), or NULL if any byte of
 * it lies outside guest memory (overflow-safe: gpa + len may wrap).
 */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/*
 * Copy guest-physical [gpa, gpa + len) out of guest memory into (dst), or
 * (src) into it, for a hypercall: the range must pass vmm_mem_ptr() and
 * stay clear of page 0 (MINIVMM_GUARD_BYTES). Copying first means the
 * guest cannot change what minivmm checked. Returns false, touching
 * nothing, if the range is refused.
 */
bool vmm_guest_read(const struct vmm_mem *mem, uint64_t gpa, uint64_t len,
		    void *dst);
bool vmm_guest_write(const struct vmm_mem *mem, uint64_t gpa, const void *src,
		     uint64_t len);
/*
 * Store (value) at guest-physical (gpa) as one atomic 8-byte store, for a
 * page-table entry the vCPUs may be walking: the same checks, and (gpa)
 * must be 8-byte aligned. Returns false, touching nothing, if refused.
 */
bool vmm_guest_write_u64(const struct vmm_mem *mem, uint64_t gpa,
			 uint64_t value);

/*
 * Map (size) bytes of zeroed guest memory. Pages are only touched, and
 * counted in RSS, when the loader or the guest writes them. Exits with
 * VMM_STATUS_HOST if the mapping fails.
 */
void vmm_mem_alloc(struct vmm_mem *mem, uint64_t size);

/* ---- image_file.c: the guest image file ---- */

#define VMM_IMAGE_MAX (1ull << 30) /* largest guest image file, bytes */

struct vmm_image_file {
	uint8_t *data; /* the whole file, owned (malloc) */
	size_t len;
};

/*
 * Read the regular file (path) into (f) without blocking on it and without
 * mapping it. Returns 0, or the exit status to stop with (NOINPUT for a
 * path that is missing, unreadable, not a regular file, or changed size
 * while read; IMAGE for an empty or oversized file) with a one-line reason
 * in (err). vmm_image_free() releases (f).
 */
int vmm_image_read(const char *path, struct vmm_image_file *f, char *err,
		   size_t errlen);
void vmm_image_free(struct vmm_image_file *f);

/* ---- guest_insn.c: the instruction a vCPU exited on ---- */

/*
 * Translate the linear address (lin) through the page tables the vCPU's
 * (sregs) select: none, 32-bit, PAE or 4-level. False if an entry is not
 * present or lies outside guest memory (5-level paging: always false).
 */
bool vmm_gva_to_gpa(const struct vmm_mem *mem, const struct kvm_sregs *sregs,
		    uint64_t lin, uint64_t *gpa);

/* A port I/O instruction, as vmm_insn_decode_io() read it. */
struct vmm_io_insn {
	bool string;   /* ins or outs (any prefixes), else in or out */
	bool out;      /* out or outs */
	unsigned size; /* bytes a transfer: 1, 2 or 4 */
	int port;      /* the immediate port, or -1: the port is in dx */
	unsigned len;  /* bytes of the instruction, prefixes included */
};

/*
 * Decode the instruction at (rip) (cs from sregs) as port I/O: 1 it is
 * in, out, ins or outs, with any prefixes ((io) filled), 0 it is another
 * instruction, -1 it cannot be read.
 */
int vmm_insn_decode_io(const struct vmm_mem *mem, const struct kvm_sregs *sregs,
		       uint64_t rip, struct vmm_io_insn *io);

/* A port I/O exit as KVM reported it. */
struct vmm_io_exit {
	bool out;
	unsigned size, count;
	uint16_t port;
};

/*
 * Why the port I/O exit (exit), with (data) and the vCPU's registers (r,
 * sr), is not a plain in/out that the hypercall and debug-exit ports
 * require, or NULL if it is. KVM reports ins and outs like in and out.
 * Where KVM takes an out on its fast path, rip is still on it; where it
 * emulates the instruction (an outs on AMD, every out on kvm_pvm), rip is
 * already past it. So a plain in/out of this direction, size and port,
 * with the exit's data in an out's accumulator, must start at rip or end
 * there, and no string instruction may be at rip.
 */
const char *vmm_io_not_plain(const struct vmm_mem *mem,
			     const struct kvm_regs *r,
			     const struct kvm_sregs *sr,
			     const struct vmm_io_exit *exit,
			     const uint8_t *data);

/* ---- loader_pvh.c: ELF + PVH loading (pure, host-testable) ---- */

struct pvh_image {
	uint32_t entry;	  /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t load_lo; /* lowest loaded guest-physical address */
	uint64_t load_hi; /* one past the highest (memsz included) */
	unsigned nsegs;	  /* PT_LOAD segments loaded */
	unsigned bits;	  /* 64 (ELFCLASS64, x86-64) or 32 (ELFCLASS32, i386) */
};

/*
 * Validate the ELF image (file, len), ELF64 or ELF32, and copy its PT_LOAD
 * segments into (mem), zero-filling memsz beyond filesz. On failure returns -1
 * and writes a one-line reason to (err, errlen); (mem) may then be partly
 * written.
 */
int pvh_load_elf(const uint8_t *file, size_t len, struct vmm_mem *mem,
		 struct pvh_image *img, char *err, size_t errlen);

/* ---- start_info.c: the hvm_start_info block ---- */

/*
 * Write hvm_start_info, the memory map and (cmdline) into their reserved
 * places (VMM_START_INFO_GPA, VMM_CMDLINE_GPA). Returns the start_info
 * guest-physical address, or 0 with a reason in (err) if the command line
 * is too long or memory too small. Call after pvh_load_elf().
 */
uint64_t pvh_write_start_info(struct vmm_mem *mem, const char *cmdline,
			      char *err, size_t errlen);

/* ---- acpi.c: the CPUs, for the guest ---- */

/*
 * Write an RSDP, XSDT and MADT listing (ncpus) local APICs (IDs 0..n-1)
 * at VMM_ACPI_GPA, and point start_info's rsdp_paddr at them. False with
 * a reason in (err) if they do not fit. Call after pvh_write_start_info().
 */
bool vmm_acpi_write(struct vmm_mem *mem, uint64_t start_info, unsigned ncpus,
		    char *err, size_t errlen);

/* ---- serial.c: a 16550-compatible UART at 0x3f8 ---- */

struct vmm_serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	int out_fd; /* where THR bytes go */
	int error;  /* errno of the write that failed: output was lost */
	const volatile sig_atomic_t *cancel; /* stop waiting when set */
	size_t len;			     /* bytes in buf */
	char buf[256]; /* pending output, flushed per line */
};

/*
 * Output goes to (out_fd). A write that would block waits for the fd; one
 * interrupted by a signal is retried unless *cancel (may be NULL) is set,
 * and then it fails with EINTR.
 */
void vmm_serial_init(struct vmm_serial *s, int out_fd,
		     const volatile sig_atomic_t *cancel);
/* Handle an access to port (port) in [MINIVMM_SERIAL_PORT, +8). */
void vmm_serial_out(struct vmm_serial *s, uint16_t port, uint8_t val);
uint8_t vmm_serial_in(struct vmm_serial *s, uint16_t port);
/*
 * Write out whatever is buffered (at exit, on a newline, when full).
 * Returns false once a write has failed (s->error says why): the run must
 * end with VMM_STATUS_OUTPUT, since output was lost.
 */
bool vmm_serial_flush(struct vmm_serial *s);
/* Send (n) bytes to the console, after what is buffered. */
void vmm_serial_write(struct vmm_serial *s, const char *buf, size_t n);

/* ---- kvm.c: /dev/kvm, the VM and its vCPU ---- */

struct vmm_vcpu {
	int fd;
	unsigned id;	     /* vCPU and APIC ID; 0 is the BSP */
	struct kvm_run *run; /* shared with KVM, run_size bytes */
	size_t run_size;
	bool sync_regs; /* KVM_CAP_SYNC_REGS: regs and sregs in run->s.regs */
	int tid;	/* the thread that runs it (run.c) */
};

struct vmm_vm {
	int kvm_fd;
	int vm_fd;
	uint32_t features; /* CPUID 0x40000001.eax: MINIVMM_FEATURE_* */
	struct vmm_mem mem;
	unsigned ncpus;
	struct vmm_vcpu vcpus[VMM_MAX_CPUS];
};

/*
 * Open /dev/kvm, check the API version, create the VM with (mem) at
 * guest-physical 0, an in-kernel LAPIC per vCPU (split irqchip: no PIC or
 * IOAPIC; hlt, the LAPIC timer, IPIs and INIT/SIPI stay in the kernel) and
 * (ncpus) vCPUs with minivmm's CPUID, each with its own APIC ID. (ncpus)
 * is checked against KVM_CAP_MAX_VCPUS (VMM_STATUS_USAGE, and a note past
 * the KVM_CAP_NR_VCPUS it recommends). Exits with VMM_STATUS_NOKVM /
 * VMM_STATUS_HOST on failure, naming the call that failed.
 */
void vmm_vm_create(struct vmm_vm *vm, const struct vmm_mem *mem,
		   unsigned ncpus);

/* ---- cpuid.c: the CPUID the guest sees ---- */

/*
 * Filter KVM's supported CPUID (e, n) in place for the guest and append
 * minivmm's two leaves, its features word (features: MINIVMM_FEATURE_*)
 * in the second; (room) is the array's capacity. Returns the new count,
 * or 0 if there is no room.
 */
unsigned vmm_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, unsigned room,
			  uint32_t features);

/* ---- cpu_x86_64.c: vCPU register state ---- */

/* Give (vcpu) minivmm's CPUID: KVM's supported leaves, filtered, with
 * its own APIC ID in leaves 1, 0xb and 0x1f, and (features). */
void vmm_cpu_set_cpuid(int kvm_fd, struct vmm_vcpu *vcpu, uint32_t features);

/*
 * Put (vcpu) in the PVH entry state: 32-bit protected mode, flat segments,
 * paging off, rip = entry, ebx = start_info. Call after loading.
 */
void vmm_cpu_reset_pvh(struct vmm_vcpu *vcpu, uint32_t entry,
		       uint32_t start_info);

/* Print rip, the general registers and the control registers to stderr. */
void vmm_cpu_dump(struct vmm_vcpu *vcpu);

/*
 * Make KVM drop every translation it caches for (vcpu), whose current
 * special registers are (sregs): a superset of one invlpg. Costs two
 * KVM_SET_SREGS (docs/abi.md says why).
 */
void vmm_cpu_flush_tlb(struct vmm_vcpu *vcpu, const struct kvm_sregs *sregs);

/* Put (vcpu) to sleep until an interrupt arrives (KVM_SET_MP_STATE). */
void vmm_cpu_halt(struct vmm_vcpu *vcpu);

/* True if (vcpu) sleeps in hlt with RFLAGS.IF clear: it cannot wake. */
bool vmm_cpu_halted_for_good(struct vmm_vcpu *vcpu);

/* The vCPU's TSC frequency in kHz (KVM_GET_TSC_KHZ), or 0. */
uint32_t vmm_cpu_tsc_khz(struct vmm_vcpu *vcpu);

/* ---- hypercall.c: the port-I/O hypercall handlers ---- */

/*
 * One hypercall: the vCPU's registers in, the effects out. The handlers
 * only read and write these structures (so the tests can drive them);
 * run.c hands them the vCPU's state and carries the effects out.
 */
struct vmm_hc {
	uint32_t nr;		 /* the value the guest wrote: untrusted */
	struct kvm_regs *regs;	 /* in/out; the result goes to rax */
	struct kvm_sregs *sregs; /* in/out */
	const struct vmm_mem *mem;
	struct vmm_serial *console; /* where console_write goes */
	uint32_t tsc_khz;	    /* for get_info */
	bool sandbox_probe;	    /* MINIVMM_HC_SANDBOX_PROBE allowed */
	bool regs_dirty;	    /* regs changed: write them back */
	bool sregs_dirty;	    /* sregs changed: write them back */
	bool halt;		    /* sleep until an interrupt arrives */
	bool flush_tlb;		    /* drop the vCPU's cached translations */
	uint64_t result;	    /* the call's result: rax, or an entry's */
	uint32_t mc_run;	    /* MULTICALL: the entries it ran */
	uint64_t *mc_counts; /* MULTICALL: entries run, by number; or NULL */
	bool refused;	     /* an argument was refused (EINVAL) */
	bool stop;	     /* the run ends, with (status) */
	int status;
	char why[160]; /* with stop on a guest error: the reason */
};

/*
 * Dispatch (hc->nr) with the arguments in hc->regs (rdi, rsi). Numbers and
 * arguments come straight from the guest: checked here, never trusted.
 * Calls that return put the result, or MINIVMM_EINVAL/ENOSYS, in rax.
 */
void vmm_hypercall(struct vmm_hc *hc);

/* The name of hypercall (nr) for messages and --stats, or NULL. */
const char *vmm_hypercall_name(uint32_t nr);

/* ---- sandbox.c: the seccomp filter ---- */

/* What the sandbox lets through besides the run loop's own: --gdb's. */
struct vmm_sandbox_io {
	int read_fds[4], write_fds[4]; /* read(2) and write(2) on these */
	unsigned nread, nwrite;
	bool debug_ioctls; /* the stub's vCPU ioctls (guest debug, FPU...) */
};

/*
 * Allow from now on only what the run loop needs (docs/security.md), and
 * what (io) adds (may be NULL). Call after every other setup step, timer
 * and debugger included, before vmm_run().
 */
void vmm_sandbox_install(const struct vmm_vm *vm,
			 const struct vmm_sandbox_io *io);

/* ---- stats.c: --stats ---- */

#define VMM_HIST_NS	 10    /* histogram bucket width */
#define VMM_HIST_BUCKETS 10000 /* up to 100 us; the last bucket holds more */

struct vmm_stats {
	uint64_t exits[64]; /* by KVM_EXIT_* reason (clamped) */
	uint64_t hypercalls[MINIVMM_HC_COUNT];
	uint64_t unknown_hypercalls; /* numbers past the table */
	uint64_t refused_hypercalls; /* arguments refused with EINVAL */
	uint64_t multicalls;	     /* MULTICALL exits that ran entries */
	uint64_t mc_entries[MINIVMM_HC_COUNT]; /* their entries, by number */
	/*
	 * With --stats: how long minivmm held each hypercall, from KVM_RUN
	 * returning to the next KVM_RUN, in VMM_HIST_NS buckets. NULL: off.
	 * console_write is left out: it writes to stdout by design.
	 */
	uint32_t *hc_hist;
	uint64_t hc_timed, hc_max_ns;
	uint32_t hc_last; /* the last hypercall's number: what to time */
	uint32_t tsc_khz; /* the vCPU's TSC rate, 0 if unknown */
};

/* The --stats histogram: VMM_HIST_BUCKETS zeroed counters, static. */
uint32_t *vmm_stats_histogram(void);

/* Count one hypercall that took (ns) to handle. */
void vmm_stats_time_hypercall(struct vmm_stats *stats, uint64_t ns);

/* Print (stats) to stderr in the --stats format. */
void vmm_stats_print(const struct vmm_stats *stats);

/* ---- run.c: the exit loops ---- */

/*
 * Start one thread per AP vCPU, each waiting for vmm_run(); the BSP runs
 * on the calling thread. Before the sandbox: it covers them all. (opts):
 * --timeout for messages, --sandbox-probe for the hypercalls; (stats),
 * shared, counted under the exit lock. The run keeps all three.
 */
void vmm_run_prepare(struct vmm_vm *vm, const struct vmm_opts *opts,
		     struct vmm_stats *stats);

/* After vmm_run_prepare(): arm the --timeout alarm for every vCPU,
 * (seconds) from now, 0 for none. */
void vmm_timeout_arm(double seconds);

/*
 * Run every vCPU of the prepared VM until the guest exits or fails, on
 * any vCPU: the first status reached ends them all. Returns minivmm's
 * exit status.
 */
int vmm_run(void);

/* End the run with (status), unless it has ended: every vCPU stops. */
void vmm_run_stop(int status);

/* True once the run is ending: a status was reached, or --timeout. */
bool vmm_run_ending(void);

/* ---- gdb_stub.c: the GDB remote stub (--gdb; gdb.h has its parts) ---- */

/*
 * Probe what this host's KVM delivers (gdb_probe.c), listen on (addr)
 * and wait for gdb's one connection, then start the stub's thread with
 * every vCPU held before its first instruction. Call after
 * vmm_run_prepare() and before the sandbox.
 */
void vmm_gdb_start(struct vmm_vm *vm, const struct gdb_addr *addr);

/* True while a debugger is attached: the vCPU loops call the two below. */
bool vmm_gdb_active(void);

/* At the top of (vcpu)'s loop: wait while the debugger holds it. */
void vmm_gdb_park(struct vmm_vcpu *vcpu);

/*
 * (vcpu) exited with KVM_EXIT_DEBUG: a stop for gdb (the VM stops and
 * this returns when gdb resumes it) or an int3 or #DB of the guest's
 * own, handed back to it. Call without the exit lock.
 */
void vmm_gdb_debug_exit(struct vmm_vcpu *vcpu);

/*
 * (vcpu) exited with port I/O: true if it was an `out dx, al` breakpoint
 * (the stub's Z0 where int3 does not exit: gdb_stub.c), which is then a
 * stop for gdb, as above; false for the guest's own I/O. Call without
 * the exit lock.
 */
bool vmm_gdb_io_exit(struct vmm_vcpu *vcpu);
/*
 * After minivmm handled an out exit: a vCPU single-stepped over an out
 * that KVM emulated (rip was past it already) gets no single-step trap
 * from KVM, so this stops it there as the step's end.
 */
void vmm_gdb_after_io(struct vmm_vcpu *vcpu);

/* The run ended with (status): tell gdb ("W"), end the session. */
void vmm_gdb_finish(int status);

/* Add the stub's file descriptors and ioctls to (io), for the sandbox. */
void vmm_gdb_sandbox_io(struct vmm_sandbox_io *io);

#endif /* VMM_H */
