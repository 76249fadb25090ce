// SPDX-License-Identifier: MIT
/*
 * fuzz_loader.c: libFuzzer harness for the PVH ELF loader and start_info:
 * any input must be refused with a reason or loaded within guest memory,
 * with the entry inside what was loaded, never read or written out of
 * bounds (ASan) or hit undefined behaviour (UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define FUZZ_MEM (4u << 20)

static uint8_t guest[FUZZ_MEM];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_mem mem = {.host = guest, .size = FUZZ_MEM};
	struct pvh_image img;
	char why[256];

	if (pvh_load_elf(data, size, &mem, &img, why, sizeof(why)) < 0) {
		if (!why[0])
			abort(); /* a refusal must say why */
		return 0;
	}
	if (img.nsegs == 0 || img.load_lo < VMM_LOAD_MIN_GPA ||
	    img.load_hi > FUZZ_MEM || img.entry < img.load_lo ||
	    img.entry >= img.load_hi)
		abort();
	if (!pvh_write_start_info(&mem, "fuzz", why, sizeof(why)))
		abort();
	return 0;
}
