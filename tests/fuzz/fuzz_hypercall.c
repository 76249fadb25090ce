// SPDX-License-Identifier: MIT
/*
 * fuzz_hypercall.c: libFuzzer harness for the hypercall dispatcher over an
 * in-memory guest: the input is the hypercall number, the vCPU's
 * registers and special registers, and then the bytes of guest memory
 * from FUZZ_DATA on (a MULTICALL's entries, at rdi = FUZZ_DATA). Every
 * call must end the run or return something in rax; a refusal of a
 * single call returns EINVAL and changes nothing else; a MULTICALL either
 * is refused whole (E2BIG, EINVAL: nothing changed) or returns how many
 * entries it did, each of them no longer pending, and the one it stopped
 * at holding an errno; guest memory is only ever touched inside its
 * bounds (ASan).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define FUZZ_MEM      (1u << 20)
#define FUZZ_DATA     0x1000u /* past the guard page */
#define FUZZ_DATA_MAX 0x4000u

static uint8_t guest[FUZZ_MEM], snapshot[FUZZ_MEM];

/* The MULTICALL's rules (minivmm_abi.h) after the call. */
static void check_multicall(const struct kvm_regs *regs,
			    const struct kvm_regs *before)
{
	const uint64_t size = sizeof(struct minivmm_mc_entry);
	uint64_t done = regs->rax, count = before->rsi, gpa = before->rdi;

	if (done == MINIVMM_E2BIG || done == MINIVMM_EINVAL) {
		if (memcmp(guest, snapshot, FUZZ_MEM))
			abort(); /* refused whole, yet memory changed */
		return;
	}
	if (done > count || count > MINIVMM_MC_MAX)
		abort();
	for (uint64_t i = 0; i < done; i++) {
		struct minivmm_mc_entry e;

		memcpy(&e, guest + gpa + i * size, size);
		if (e.result == MINIVMM_MC_PENDING)
			abort(); /* counted as done, still pending */
	}
	if (done < count) {
		struct minivmm_mc_entry e;

		memcpy(&e, guest + gpa + done * size, size);
		if (e.result < (uint64_t)-4095) /* the one it stopped at */
			abort();
	}
}

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
	memset(guest, 0, FUZZ_MEM); /* set_pte and MULTICALL write it */
	if (size > sizeof(regs) + sizeof(sregs)) {
		size_t n = size - sizeof(regs) - sizeof(sregs);

		memcpy(guest + FUZZ_DATA, data + sizeof(regs) + sizeof(sregs),
		       n < FUZZ_DATA_MAX ? n : FUZZ_DATA_MAX);
	}
	memcpy(snapshot, guest, FUZZ_MEM);
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
	if (nr == MINIVMM_HC_MULTICALL) {
		check_multicall(&regs, &before);
	} else if (hc.refused) {
		before.rax = MINIVMM_EINVAL;
		if (memcmp(&regs, &before, sizeof(regs)) ||
		    memcmp(&sregs, &sbefore, sizeof(sregs)) || hc.halt ||
		    hc.flush_tlb || hc.sregs_dirty ||
		    memcmp(guest, snapshot, FUZZ_MEM))
			abort(); /* a refusal changes nothing but rax */
	}
	if (nr >= MINIVMM_HC_COUNT && regs.rax != MINIVMM_ENOSYS)
		abort();
	vmm_serial_flush(&console);
	return 0;
}
