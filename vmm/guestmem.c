// SPDX-License-Identifier: MIT
/*
 * guestmem.c: the single bounds check every guest-physical access goes
 * through. It trusts nothing about (gpa, len): both come from the guest or
 * from a guest image. Also maps the guest memory itself.
 */
#include <err.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm.h"

void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	/* Written so that no sum can wrap: gpa <= size, then len <= rest. */
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->host + gpa;
}

/* The range as a host pointer, or NULL: bounds, then the guard page. */
static void *guest_range(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len && gpa < MINIVMM_GUARD_BYTES)
		return NULL;
	return vmm_mem_ptr(mem, gpa, len);
}

bool vmm_guest_read(const struct vmm_mem *mem, uint64_t gpa, uint64_t len,
		    void *dst)
{
	const void *p = guest_range(mem, gpa, len);

	if (!p)
		return false;
	memcpy(dst, p, len);
	return true;
}

bool vmm_guest_write(const struct vmm_mem *mem, uint64_t gpa, const void *src,
		     uint64_t len)
{
	void *p = guest_range(mem, gpa, len);

	if (!p)
		return false;
	memcpy(p, src, len);
	return true;
}

bool vmm_guest_write_u64(const struct vmm_mem *mem, uint64_t gpa,
			 uint64_t value)
{
	void *p = guest_range(mem, gpa, sizeof(value));

	if (!p || gpa % sizeof(value))
		return false;
	/* One aligned 8-byte store: another vCPU's page walk or load sees the
	 * old value or the new one, never a mix. */
	__atomic_store_n((uint64_t *)p, value, __ATOMIC_RELEASE);
	return true;
}

void vmm_mem_alloc(struct vmm_mem *mem, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		err(VMM_STATUS_HOST, "mmap of %llu bytes of guest memory",
		    (unsigned long long)size);
	mem->host = p;
	mem->size = size;
}
