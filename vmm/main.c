// SPDX-License-Identifier: MIT
/*
 * main.c: minivmm's start-up order: options, guest memory, the PVH image,
 * start_info and the ACPI tables, then KVM, the BSP's entry state, the
 * vCPU threads, the debugger (--gdb), the timeout, the seccomp sandbox,
 * and the exit loops. The guest
 * image is validated before /dev/kvm is even opened; nothing is set up after
 * the sandbox.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"

int main(int argc, char **argv)
{
	struct vmm_opts opts;
	struct vmm_mem mem;
	struct pvh_image img;
	struct vmm_vm vm = {0};
	struct vmm_stats stats = {0};
	struct vmm_image_file file;
	uint64_t start_info;
	char why[256];
	int status = vmm_parse_args(argc, argv, &opts);

	if (status >= 0)
		return status;
	/* A console reader that goes away must not kill the guest. */
	signal(SIGPIPE, SIG_IGN);
	status = vmm_image_read(opts.guest_path, &file, why, sizeof(why));
	if (status)
		errx(status, "%s", why);
	vmm_mem_alloc(&mem, opts.mem_size);
	if (pvh_load_elf(file.data, file.len, &mem, &img, why, sizeof(why)) < 0)
		errx(VMM_STATUS_IMAGE, "guest %s: %s", opts.guest_path, why);
	vmm_image_free(&file);
	start_info = pvh_write_start_info(&mem, opts.cmdline, why, sizeof(why));
	if (!start_info ||
	    !vmm_acpi_write(&mem, start_info, opts.cpus, why, sizeof(why)))
		errx(VMM_STATUS_USAGE, "%s", why);

	vmm_vm_create(&vm, &mem, opts.cpus);
	vmm_cpu_reset_pvh(&vm.vcpus[0], img.entry, (uint32_t)start_info);
	stats.tsc_khz = vmm_cpu_tsc_khz(&vm.vcpus[0]);
	if (opts.stats)
		stats.hc_hist = vmm_stats_histogram();
	vmm_run_prepare(&vm, &opts, &stats);
	if (opts.gdb_on)
		vmm_gdb_start(&vm, &opts.gdb);
	vmm_timeout_arm(opts.timeout);
	if (!opts.no_sandbox) {
		struct vmm_sandbox_io io = {0};

		vmm_gdb_sandbox_io(&io);
		vmm_sandbox_install(&vm, &io);
	}
	status = vmm_run();
	if (opts.stats)
		vmm_stats_print(&stats);
	return status;
}
