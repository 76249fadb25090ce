// SPDX-License-Identifier: MIT
/*
 * kvm.c: open /dev/kvm, create the VM, give it its memory, create its
 * vCPUs (--cpus; the guest starts the APs) and map their kvm_run areas. Host
 * failures end minivmm with a message that names the ioctl; nothing here
 * depends on the guest.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

/* Where KVM may put the real-mode TSS: out of the way, below 4 GiB. */
#define VMM_TSS_GPA 0xfffbd000ul

static int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		if (errno == ENOENT)
			errx(VMM_STATUS_NOKVM,
			     "/dev/kvm does not exist: KVM is not available "
			     "on this host (load kvm_intel, kvm_amd or "
			     "kvm_pvm)");
		err(VMM_STATUS_NOKVM, "cannot open /dev/kvm");
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version < 0)
		err(VMM_STATUS_NOKVM,
		    "/dev/kvm is not a KVM device (ioctl GET_API_VERSION)");
	if (version != KVM_API_VERSION)
		errx(VMM_STATUS_NOKVM, "KVM API version %d, expected %d",
		     version, KVM_API_VERSION);
	return fd;
}

/*
 * What minivmm tells the guest in CPUID 0x40000001.eax. kvm_pvm (a KVM
 * for machines that are themselves guests) ends the run with
 * KVM_EXIT_INTERNAL_ERROR on a guest's CPL0 int3, where kvm_intel and
 * kvm_amd deliver #BP (docs/live-patching.md: the trap byte).
 */
static uint32_t host_features(void)
{
	uint32_t f = MINIVMM_FEATURE_HYPERCALL;

	if (access("/sys/module/kvm_pvm", F_OK) != 0)
		f |= MINIVMM_FEATURE_INT3;
	return f;
}

static void vcpu_create(struct vmm_vm *vm, unsigned id)
{
	struct vmm_vcpu *vcpu = &vm->vcpus[id];
	int size, sync;

	/* Every field from zero: run.c waits for an AP thread's tid to turn
	 * non-zero before the sandbox goes on (a stale one let the filter in
	 * before the thread's own start-up syscalls: SIGSYS, status 159). */
	*vcpu = (struct vmm_vcpu){.id = id};
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (CREATE_VCPU) failed");
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_VCPU_MMAP_SIZE) failed");
	vcpu->run_size = (size_t)size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		err(VMM_STATUS_HOST, "KVM: mmap of kvm_run failed");

	/* With sync regs every exit hands us the registers and special
	 * registers without an ioctl, and takes changes back the same way. */
	sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	vcpu->sync_regs = sync > 0 && (sync & KVM_SYNC_X86_REGS) &&
			  (sync & KVM_SYNC_X86_SREGS);
	if (vcpu->sync_regs)
		vcpu->run->kvm_valid_regs =
		    KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	vmm_cpu_set_cpuid(vm->kvm_fd, vcpu, vm->features);
}

/*
 * The LAPIC in the kernel, so the LAPIC timer, interrupt injection and hlt
 * never leave it; no PIC or IOAPIC, which minivmm has no use for (split
 * irqchip). Measured here: a full KVM_CREATE_IRQCHIP made process exit
 * 10 ms slower, tearing down the PIC and IOAPIC. Older kernels without
 * the split model get the full irqchip. Before any vCPU exists, and after
 * the memory slot (the other order made SET_USER_MEMORY_REGION 5-10 ms).
 */
static void create_irqchip(struct vmm_vm *vm)
{
	struct kvm_enable_cap split = {
	    .cap = KVM_CAP_SPLIT_IRQCHIP, .args = {0}, /* no IOAPIC routes */
	};

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) > 0) {
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &split) < 0)
			err(VMM_STATUS_HOST,
			    "KVM: ioctl (ENABLE_CAP SPLIT_IRQCHIP) failed");
	} else if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err(VMM_STATUS_HOST, "KVM: ioctl (CREATE_IRQCHIP) failed");
	}
}

/* (ncpus) against what this KVM allows, and what it recommends. */
static void check_cpus(const struct vmm_vm *vm, unsigned ncpus)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int nr = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);

	if (nr <= 0)
		nr = 4; /* the KVM API's default when it does not say */
	if (max <= 0)
		max = nr;
	if (ncpus > (unsigned)max)
		errx(VMM_STATUS_USAGE,
		     "--cpus %u: this KVM allows at most %d vCPUs "
		     "(KVM_CAP_MAX_VCPUS)",
		     ncpus, max);
	if (ncpus > (unsigned)nr)
		warnx("--cpus %u is more than the %d vCPUs this KVM "
		      "recommends (KVM_CAP_NR_VCPUS): expect them slow",
		      ncpus, nr);
}

void vmm_vm_create(struct vmm_vm *vm, const struct vmm_mem *mem, unsigned ncpus)
{
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = mem->size,
	    .userspace_addr = (uintptr_t)mem->host,
	};

	vm->kvm_fd = kvm_open();
	vm->features = host_features();
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (CREATE_VM) failed");
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, VMM_TSS_GPA) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_TSS_ADDR) failed");
	vm->mem = *mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		err(VMM_STATUS_HOST,
		    "KVM: ioctl (SET_USER_MEMORY_REGION) failed");
	create_irqchip(vm);
	check_cpus(vm, ncpus);
	vm->ncpus = ncpus;
	for (unsigned id = 0; id < ncpus; id++)
		vcpu_create(vm, id);
}
