// SPDX-License-Identifier: MIT
/*
 * fuzz_hypercall.c: libFuzzer harness for the hypercall dispatcher over an
 * in-memory guest: the input is the hypercall number and the vCPU's
 * registers and special registers. Every call must end the run or return
 * something in rax; a refusal returns EINVAL and changes nothing else;
 * guest memory is only ever touched inside its bounds (ASan).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define FUZZ_MEM (1u << 20)

static uint8_t guest[FUZZ_MEM];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm_serial console;
	static int devnull = -1;
	struct vmm_mem mem = {.host = guest, .size = FUZZ_MEM};
	struct kvm_regs regs = {0}, before;
	struct kvm_sregs sregs = {0}, sbefore;
	struct vmm_hc hc;
	uint32_t nr = 0;

	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY);
		vmm_serial_init(&console, devnull, NULL);
	}
	if (size < sizeof(nr))
		return 0;
	memcpy(&nr, data, sizeof(nr));
	data += sizeof(nr);
	size -= sizeof(nr);
	if (nr == MINIVMM_HC_SANDBOX_PROBE)
		return 0; /* it makes real syscalls: not for fuzzing */
	memcpy(&regs, data, size < sizeof(regs) ? size : sizeof(regs));
	if (size > sizeof(regs))
		memcpy(&sregs, data + sizeof(regs),
		       size - sizeof(regs) < sizeof(sregs) ? size - sizeof(regs)
							   : sizeof(sregs));
	before = regs;
	sbefore = sregs;
	hc = (struct vmm_hc){.nr = nr,
			     .regs = &regs,
			     .sregs = &sregs,
			     .mem = &mem,
			     .console = &console,
			     .tsc_khz = 1};
	vmm_hypercall(&hc);
	if (hc.stop)
		return 0;
	if (!hc.regs_dirty)
		abort(); /* every call that returns sets rax */
	if (hc.refused) {
		before.rax = MINIVMM_EINVAL;
		if (memcmp(&regs, &before, sizeof(regs)) ||
		    memcmp(&sregs, &sbefore, sizeof(sregs)) || hc.halt ||
		    hc.flush_tlb || hc.sregs_dirty)
			abort(); /* a refusal changes nothing but rax */
	}
	if (nr >= MINIVMM_HC_COUNT && regs.rax != MINIVMM_ENOSYS)
		abort();
	vmm_serial_flush(&console);
	return 0;
}
