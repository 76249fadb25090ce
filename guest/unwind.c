// SPDX-License-Identifier: MIT
/*
 * unwind.c: the guest's unwinder. It walks the caller chain with the table
 * pvcheck built from this image (include/pv_unwind.h, linked last as
 * .pv_unwind): binary search for the row of an address, then one rule per
 * frame. It needs no frame pointers, and it is right at every instruction
 * of every patch site, where the compiler's CFI knows nothing of what the
 * engine wrote (the PV_UW_SITE rows), and in the out-of-line copies live
 * patching runs (through the alias it registers, as Linux's ORC finds an
 * ftrace trampoline's rules). Every frame is checked to lie on the boot
 * stack before it is read. docs/unwind.md.
 */
#include "guest.h"
#include "pv_unwind.h"

#define MAX_FRAMES 32

/* Code that runs copies of image text (live patching's out-of-line
 * copies) maps their rips back into the image (unwind_set_alias). */
static unwind_alias_fn *volatile alias;

void unwind_set_alias(unwind_alias_fn *fn)
{
	alias = fn;
}

/* The image address whose rule holds for (rip): itself, or what the
 * alias maps a copy's rip to. */
static uint64_t rule_ip(uint64_t rip)
{
	unwind_alias_fn *fn = alias;
	uint64_t at;

	return fn && fn(rip, &at) ? at : rip;
}

extern const char __pv_unwind_start[], __pv_unwind_end[]; /* guest.ld */
extern char __stack_start[], __stack_end[];

static const struct pv_unwind_header *table(void)
{
	const struct pv_unwind_header *h = (const void *)__pv_unwind_start;
	size_t len = (size_t)(__pv_unwind_end - __pv_unwind_start);

	if (len < sizeof(*h) || h->magic != PV_UNWIND_MAGIC ||
	    h->version != PV_UNWIND_VERSION ||
	    (uint64_t)h->strtab + h->strsize > len)
		return NULL;
	return h;
}

static const struct pv_unwind_row *rows(const struct pv_unwind_header *h)
{
	return (const void *)((const char *)h + h->rows);
}

/*
 * The row for (ip). A return address is looked up at ip - 1 (the call,
 * which may be a function's last instruction) and never in a site's own
 * rows: pvcheck proved that every call in a site is at the site's depth,
 * and the rows inside a site hold only for a context stopped there.
 */
static const struct pv_unwind_row *row_for(const struct pv_unwind_header *h,
					   uint64_t ip, bool exact)
{
	const struct pv_unwind_row *r = rows(h);
	uint32_t lo = 0, hi = h->nrows;
	uint64_t off;

	if (!exact)
		ip--;
	if (ip < h->text_base || ip - h->text_base > UINT32_MAX)
		return NULL;
	off = ip - h->text_base;
	while (lo < hi) { /* the last row at or before off */
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].ip <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo && !exact && (r[lo - 1].flags & PV_UW_SITE))
		lo--;
	return lo ? &r[lo - 1] : NULL;
}

/* (addr, len) lies on the boot stack, 8-byte aligned. */
static bool on_stack(uint64_t addr, uint64_t len)
{
	return !(addr & 7) && addr >= (uintptr_t)__stack_start &&
	       addr <= (uintptr_t)__stack_end &&
	       len <= (uintptr_t)__stack_end - addr;
}

enum unwind_stop unwind_step(struct unwind_frame *f)
{
	const struct pv_unwind_header *h = table();
	const struct pv_unwind_row *r =
	    h ? row_for(h, rule_ip(f->rip), f->exact) : NULL;
	uint64_t base, cfa;

	if (!r || r->type == PV_UW_UNDEF)
		return UNWIND_NO_INFO;
	if (r->type == PV_UW_END)
		return UNWIND_END;
	base = r->reg == PV_UW_RSP ? f->rsp : f->rbp;
	cfa = base + (uint64_t)(int64_t)r->cfa_off;
	if (r->type == PV_UW_IRET) { /* rip, cs, rflags, rsp, ss */
		const uint64_t *fr = (const void *)(uintptr_t)cfa;

		if (!on_stack(cfa, 5 * 8) || fr[3] <= f->rsp)
			return UNWIND_BAD_FRAME;
		if (r->flags & PV_UW_RBP_SAVED) {
			uint64_t at = cfa + (uint64_t)(int64_t)r->rbp_off;

			if (!on_stack(at, 8))
				return UNWIND_BAD_FRAME;
			f->rbp = *(const uint64_t *)(uintptr_t)at;
		}
		*f = (struct unwind_frame){
		    .rip = fr[0], .rsp = fr[3], .rbp = f->rbp, .exact = true};
		return UNWIND_MORE;
	}
	if (r->type == PV_UW_REGS) {
		const struct trap_frame *tf = (const void *)(uintptr_t)cfa;

		if (!on_stack(cfa, sizeof(*tf)) || tf->rsp <= f->rsp)
			return UNWIND_BAD_FRAME;
		*f = (struct unwind_frame){.rip = tf->rip,
					   .rsp = tf->rsp,
					   .rbp = tf->rbp,
					   .exact = true};
		return UNWIND_MORE;
	}
	if (cfa <= f->rsp || !on_stack(cfa - 8, 8))
		return UNWIND_BAD_FRAME; /* a frame must be above the last */
	if (r->flags & PV_UW_RBP_SAVED) {
		uint64_t at = cfa + (uint64_t)(int64_t)r->rbp_off;

		if (!on_stack(at, 8))
			return UNWIND_BAD_FRAME;
		f->rbp = *(const uint64_t *)(uintptr_t)at;
	}
	f->rip = *(const uint64_t *)(uintptr_t)(cfa - 8);
	f->rsp = cfa;
	f->exact = false;
	return UNWIND_MORE;
}

const char *unwind_symbol(uint64_t ip, uint64_t *start)
{
	const struct pv_unwind_header *h = table();
	const struct pv_unwind_func *fn;
	uint32_t lo = 0, hi;
	uint64_t off;

	if (!h || ip < h->text_base || ip - h->text_base > UINT32_MAX)
		return NULL;
	fn = (const void *)((const char *)h + h->funcs);
	hi = h->nfuncs;
	off = ip - h->text_base;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (fn[mid].ip <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off - fn[lo - 1].ip >= fn[lo - 1].size ||
	    fn[lo - 1].name >= h->strsize)
		return NULL;
	*start = h->text_base + fn[lo - 1].ip;
	return (const char *)h + h->strtab + fn[lo - 1].name;
}

static const char *stop_reason(enum unwind_stop s)
{
	switch (s) {
	case UNWIND_END:
		return "end of stack";
	case UNWIND_NO_INFO:
		return "no unwind information here";
	case UNWIND_BAD_FRAME:
		return "a frame off the stack: stopped";
	default:
		return "too deep: stopped";
	}
}

void unwind_print(const struct unwind_frame *from)
{
	struct unwind_frame f = *from;
	enum unwind_stop s = UNWIND_MORE;
	unsigned n;

	if (!table()) {
		printf("backtrace: this image has no unwind table\n");
		return;
	}
	printf("backtrace:\n");
	for (n = 0; n < MAX_FRAMES && s == UNWIND_MORE; n++) {
		uint64_t start, at = rule_ip(f.rip);
		const char *name = unwind_symbol(at, &start);

		if (name)
			printf("  #%-2u %#llx %s+%#llx%s%s\n", n,
			       (unsigned long long)f.rip, name,
			       (unsigned long long)(at - start),
			       at != f.rip ? " (out of line)" : "",
			       f.exact && n ? " (interrupted)" : "");
		else
			printf("  #%-2u %#llx\n", n, (unsigned long long)f.rip);
		s = unwind_step(&f);
	}
	printf("  (%s)\n", stop_reason(s));
}

__attribute__((noinline)) void unwind_here(struct unwind_frame *f)
{
	/* Built with frame pointers (GUEST_CFLAGS): rbp is this frame's. */
	const uint64_t *fp = __builtin_frame_address(0);

	*f = (struct unwind_frame){.rip = fp[1],
				   .rsp = (uintptr_t)(fp + 2),
				   .rbp = fp[0],
				   .exact = false};
}
