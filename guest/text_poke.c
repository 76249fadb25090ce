// SPDX-License-Identifier: MIT
/*
 * text_poke.c: the kernel's text is read-only, and text_poke() is the one
 * way to change it (docs/live-patching.md, "Text stays read-only").
 *
 * text_protect() splits the 2 MiB pages of entry.S's identity map that
 * hold the kernel image into 4 KiB pages with the rights of each part
 * (guest.ld marks the boundaries): text read-only and executable; the
 * read-only data and the unwind table read-only, the data, BSS and
 * stacks writable, none of them executable; the out-of-line copies of
 * live patching read-only and executable. Memory outside the image keeps
 * what entry.S gave it. Its entries go through the set_pte op (before
 * boot patching: the native store, reached through pv_ops). CR0.WP is on
 * (entry.S), so a
 * write to text faults even at CPL 0; traps.c says so in its report
 * (text_fault_why).
 *
 * text_poke() writes through a one-page alias after Linux's poking
 * mapping: a PTE in a slot of its own (PML4 entry 511) is made to map the
 * target's frame writable and not executable, the bytes go through it,
 * and the PTE is cleared again, each step followed by an invlpg of the
 * alias on this CPU. The alias is mapped only for the length of one
 * write. Linux keeps it in a separate mm that no other CPU can have
 * loaded; here it is in the shared tables, and the rule that makes that
 * safe is that only one CPU pokes at a time (the boot CPU at boot, the
 * holder of pv_switch's lock later) and no other CPU ever touches the
 * alias, so no other TLB can hold it.
 */
#include "guest.h"
#include "patch.h"
#include "pv_ops.h"
#include "x86.h"

#define PAGE	 4096ull
#define LARGE	 (2ull << 20)
#define PTE_P	 (1ull << 0)
#define PTE_W	 (1ull << 1)
#define PTE_PS	 (1ull << 7)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
/* The alias: PML4 entry 511, the first page of its range. */
#define POKE_VA	  0xffffff8000000000ull
#define POKE_PML4 511
/* The kernel's 2 MiB pages that can be split: 8 MiB of image. */
#define KERNEL_LARGE_MAX 4

extern char __kernel_start[], __text_end[], __rodata_end[], __pv_ool_start[],
    __pv_ool_end[], __pv_unwind_start[], __kernel_end[];

static uint64_t kernel_pt[KERNEL_LARGE_MAX][512] __attribute__((aligned(4096)));
static uint64_t poke_pdpt[512] __attribute__((aligned(4096)));
static uint64_t poke_pd[512] __attribute__((aligned(4096)));
static uint64_t poke_pt[512] __attribute__((aligned(4096)));
static bool protected;

/* The two privileged instructions, out of line for pvcheck's audit
 * (guest/privileged.allow): the poke must not run through a pv-op site,
 * and flush_tlb_one is one. */
__attribute__((noinline)) static void text_invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

__attribute__((noinline)) static void text_reload_cr3(void)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(hw_read_cr3()) : "memory");
}

static bool in(uintptr_t a, const char *lo, const char *hi)
{
	return a >= (uintptr_t)lo && a < (uintptr_t)hi;
}

/* Code: the text and the out-of-line copies, which text_poke writes. */
static bool is_code(uintptr_t a)
{
	return in(a, __kernel_start, __text_end) ||
	       in(a, __pv_ool_start, __pv_ool_end);
}

/* The rights of the 4 KiB page at (a): by which part of the image holds
 * it; outside the image, what the 2 MiB page had. */
static uint64_t page_rights(uintptr_t a)
{
	if (is_code(a))
		return PTE_P;
	if (in(a, __text_end, __rodata_end) ||
	    in(a, __pv_unwind_start, __kernel_end))
		return PTE_P | PTE_NX;
	if (in(a, __rodata_end, __pv_ool_start))
		return PTE_P | PTE_W | PTE_NX;
	return PTE_P | PTE_W;
}

/* The page directory entry of the 2 MiB page at (a), in the root we run on. */
static uint64_t *pd_entry(uintptr_t a)
{
	uint64_t *pml4 = (uint64_t *)(hw_read_cr3() & PTE_ADDR);
	uint64_t *pdpt = (uint64_t *)(pml4[(a >> 39) & 511] & PTE_ADDR);
	uint64_t *pd = (uint64_t *)(pdpt[(a >> 30) & 511] & PTE_ADDR);

	return &pd[(a >> 21) & 511];
}

void text_protect(void)
{
	uintptr_t first = (uintptr_t)__kernel_start & ~(LARGE - 1);
	uintptr_t end = ((uintptr_t)__kernel_end + LARGE - 1) & ~(LARGE - 1);
	uint64_t *pml4 = (uint64_t *)(hw_read_cr3() & PTE_ADDR);
	unsigned k = 0;

	if ((end - first) / LARGE > KERNEL_LARGE_MAX)
		guest_fail("text_protect: the image spans more than %u MiB",
			   (unsigned)(KERNEL_LARGE_MAX * LARGE >> 20));
	for (uintptr_t big = first; big < end; big += LARGE, k++) {
		uint64_t *pde = pd_entry(big);

		if (!(*pde & PTE_PS))
			guest_fail("text_protect: %#llx is not one 2 MiB page",
				   (unsigned long long)big);
		for (unsigned i = 0; i < 512; i++) {
			uintptr_t a = big + i * PAGE;

			pv_set_pte((uintptr_t)&kernel_pt[k][i],
				   a | page_rights(a));
		}
		pv_set_pte((uintptr_t)pde,
			   (uintptr_t)kernel_pt[k] | PTE_P | PTE_W);
	}
	pv_set_pte((uintptr_t)&poke_pd[0], (uintptr_t)poke_pt | PTE_P | PTE_W);
	pv_set_pte((uintptr_t)&poke_pdpt[0],
		   (uintptr_t)poke_pd | PTE_P | PTE_W);
	pv_set_pte((uintptr_t)&pml4[POKE_PML4],
		   (uintptr_t)poke_pdpt | PTE_P | PTE_W);
	text_reload_cr3();
	protected = true;
}

bool text_is_protected(uintptr_t a)
{
	return protected && in(a, __kernel_start, __kernel_end) &&
	       !(page_rights(a) & PTE_W);
}

void text_poke(void *dst, const void *src, size_t len)
{
	uintptr_t a = (uintptr_t)dst;
	const uint8_t *s = src;

	if (!len)
		return;
	if (!is_code(a))
		guest_fail("text_poke: %#llx is not kernel text",
			   (unsigned long long)a);
	if (!protected) {
		pv_code_store(dst, s, len);
		return;
	}
	while (len) {
		size_t off = a & (PAGE - 1);
		size_t n = len < PAGE - off ? len : PAGE - off;

		/* The identity map: the frame is the address. */
		__atomic_store_n(&poke_pt[0],
				 (a & ~(PAGE - 1)) | PTE_P | PTE_W | PTE_NX,
				 __ATOMIC_RELEASE);
		text_invlpg(POKE_VA);
		pv_code_store((void *)(uintptr_t)(POKE_VA + off), s, n);
		__atomic_store_n(&poke_pt[0], 0, __ATOMIC_RELEASE);
		text_invlpg(POKE_VA);
		a += n;
		s += n;
		len -= n;
	}
}

const char *text_fault_why(uint64_t error, uint64_t cr2)
{
	if (!(error & 2)) /* not a write */
		return NULL;
	if (text_is_protected(cr2))
		return "a write to read-only kernel text or data: text "
		       "changes only through text_poke";
	if (cr2 >= POKE_VA) /* PML4 entry 511: the alias's alone */
		return "a write to the text-poking alias outside text_poke";
	return NULL;
}

uintptr_t text_poke_alias(void)
{
	return POKE_VA;
}
