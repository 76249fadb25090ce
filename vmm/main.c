// SPDX-License-Identifier: MIT
/*
 * main.c: minivmm's start-up order: options, guest memory, the PVH image
 * and start_info, then KVM, the vCPU's entry state, the timeout, the
 * seccomp sandbox, and the exit loop. The guest image is validated before
 * /dev/kvm is even opened; nothing is set up after the sandbox.
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

/* Map the guest file read-only; (len) is its size. */
static void *map_guest(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		err(VMM_STATUS_NOINPUT, "cannot open guest %s", path);
	if (fstat(fd, &st) < 0)
		err(VMM_STATUS_NOINPUT, "cannot stat guest %s", path);
	if (!S_ISREG(st.st_mode))
		errx(VMM_STATUS_NOINPUT, "guest %s is not a regular file",
		     path);
	if (st.st_size == 0)
		errx(VMM_STATUS_IMAGE, "guest %s: empty file", path);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		err(VMM_STATUS_NOINPUT, "cannot map guest %s", path);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

int main(int argc, char **argv)
{
	struct vmm_opts opts;
	struct vmm_mem mem;
	struct pvh_image img;
	struct vmm_vm vm;
	struct vmm_stats stats = {0};
	void *file;
	size_t len;
	uint64_t start_info;
	char why[256];
	int status = vmm_parse_args(argc, argv, &opts);

	if (status >= 0)
		return status;
	/* A console reader that goes away must not kill the guest. */
	signal(SIGPIPE, SIG_IGN);
	file = map_guest(opts.guest_path, &len);
	vmm_mem_alloc(&mem, opts.mem_size);
	if (pvh_load_elf(file, len, &mem, &img, why, sizeof(why)) < 0)
		errx(VMM_STATUS_IMAGE, "guest %s: %s", opts.guest_path, why);
	munmap(file, len);
	start_info = pvh_write_start_info(&mem, opts.cmdline, why, sizeof(why));
	if (!start_info)
		errx(VMM_STATUS_USAGE, "%s", why);

	vmm_vm_create(&vm, &mem);
	vmm_cpu_reset_pvh(&vm.vcpu, img.entry, (uint32_t)start_info);
	stats.tsc_khz = vmm_cpu_tsc_khz(&vm.vcpu);
	if (opts.stats) {
		stats.hc_hist = calloc(VMM_HIST_BUCKETS, sizeof(uint32_t));
		if (!stats.hc_hist)
			err(VMM_STATUS_HOST, "calloc (hypercall histogram)");
	}
	vmm_timeout_arm(&vm.vcpu, opts.timeout);
	if (!opts.no_sandbox)
		vmm_sandbox_install(&vm);
	status = vmm_run(&vm, opts.timeout, &stats);
	if (opts.stats)
		vmm_stats_print(&stats);
	free(stats.hc_hist);
	return status;
}
