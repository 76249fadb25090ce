// SPDX-License-Identifier: MIT
/*
 * guest_insn.c: look at the instruction a vCPU exited on, for run.c to
 * tell a plain `out` from a string `outs`/`ins` (vmm_io_not_plain). KVM reports
 * both as one port I/O exit; some KVMs split `rep outs` into one exit per
 * element, and AMD's emulation of a single `outs` exits with rip already past
 * it. The guest's page tables and code are untrusted: every table entry and
 * code byte is read through vmm_mem_ptr(), and any failure is "unknown".
 */
#include <string.h>

#include "vmm.h"

#define CR0_PG	     (1ull << 31)
#define CR4_PSE	     (1ull << 4)
#define CR4_PAE	     (1ull << 5)
#define CR4_LA57     (1ull << 12)
#define EFER_LMA     (1ull << 10)
#define PTE_P	     (1ull << 0)
#define PTE_PS	     (1ull << 7)
#define PTE_ADDR     0x000ffffffffff000ull
#define X86_INSN_MAX 15

static bool read_entry(const struct vmm_mem *mem, uint64_t gpa, unsigned size,
		       uint64_t *v)
{
	const void *p = vmm_mem_ptr(mem, gpa, size);

	*v = 0;
	if (!p)
		return false;
	memcpy(v, p, size);
	return true;
}

/* One level: the entry for (index) in the table at (table), present. */
static bool walk(const struct vmm_mem *mem, uint64_t table, unsigned index,
		 unsigned size, uint64_t *e)
{
	return read_entry(mem, table + (uint64_t)index * size, size, e) &&
	       (*e & PTE_P);
}

/* The page directory and table levels, shared by PAE and 4-level. */
static bool walk_pd(const struct vmm_mem *mem, uint64_t pd, uint64_t lin,
		    uint64_t *gpa)
{
	uint64_t e;

	if (!walk(mem, pd, (lin >> 21) & 0x1ff, 8, &e))
		return false;
	if (e & PTE_PS) { /* 2 MiB page */
		*gpa = (e & PTE_ADDR & ~0x1fffffull) | (lin & 0x1fffff);
		return true;
	}
	if (!walk(mem, e & PTE_ADDR, (lin >> 12) & 0x1ff, 8, &e))
		return false;
	*gpa = (e & PTE_ADDR) | (lin & 0xfff);
	return true;
}

/* 4-level (long mode): the PD pointer level, then walk_pd(). */
static bool walk_pdpt(const struct vmm_mem *mem, uint64_t pdpt, uint64_t lin,
		      uint64_t *gpa)
{
	uint64_t e;

	if (!walk(mem, pdpt, (lin >> 30) & 0x1ff, 8, &e))
		return false;
	if (e & PTE_PS) { /* 1 GiB page */
		*gpa = (e & PTE_ADDR & ~0x3fffffffull) | (lin & 0x3fffffff);
		return true;
	}
	return walk_pd(mem, e & PTE_ADDR, lin, gpa);
}

bool vmm_gva_to_gpa(const struct vmm_mem *mem, const struct kvm_sregs *sregs,
		    uint64_t lin, uint64_t *gpa)
{
	uint64_t e;

	if (!(sregs->cr0 & CR0_PG)) {
		*gpa = lin & 0xffffffffull;
		return true;
	}
	if (sregs->efer & EFER_LMA) {
		if (sregs->cr4 & CR4_LA57)
			return false; /* 5-level paging: not supported */
		if (!walk(mem, sregs->cr3 & PTE_ADDR, (lin >> 39) & 0x1ff, 8,
			  &e))
			return false;
		return walk_pdpt(mem, e & PTE_ADDR, lin, gpa);
	}
	lin &= 0xffffffffull;
	if (sregs->cr4 & CR4_PAE) { /* four PDPTEs, 32-byte aligned */
		if (!walk(mem, sregs->cr3 & 0xffffffe0ull, lin >> 30, 8, &e))
			return false;
		return walk_pd(mem, e & PTE_ADDR, lin, gpa);
	}
	/* 32-bit paging: two levels of 4-byte entries. */
	if (!walk(mem, sregs->cr3 & 0xfffff000ull, lin >> 22, 4, &e))
		return false;
	if ((e & PTE_PS) && (sregs->cr4 & CR4_PSE)) {
		*gpa = (e & 0xffc00000ull) | (lin & 0x3fffff);
		return true;
	}
	if (!walk(mem, e & 0xfffff000ull, (lin >> 12) & 0x3ff, 4, &e))
		return false;
	*gpa = (e & 0xfffff000ull) | (lin & 0xfff);
	return true;
}

/* Up to (n) code bytes at linear (lin), page by page; how many were read. */
static unsigned fetch(const struct vmm_mem *mem, const struct kvm_sregs *sregs,
		      uint64_t lin, uint8_t *buf, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		uint64_t gpa, at = lin + got;
		unsigned chunk = 4096 - (unsigned)(at & 0xfff);
		const uint8_t *p;

		if (chunk > n - got)
			chunk = n - got;
		if (!vmm_gva_to_gpa(mem, sregs, at, &gpa))
			break;
		p = vmm_mem_ptr(mem, gpa, chunk);
		if (!p)
			break;
		memcpy(buf + got, p, chunk);
		got += chunk;
	}
	return got;
}

int vmm_insn_decode_io(const struct vmm_mem *mem, const struct kvm_sregs *sregs,
		       uint64_t rip, struct vmm_io_insn *io)
{
	bool long64 = (sregs->efer & EFER_LMA) && sregs->cs.l;
	uint64_t lin = long64 ? rip : sregs->cs.base + (rip & 0xffffffffull);
	uint8_t code[X86_INSN_MAX];
	unsigned n = fetch(mem, sregs, lin, code, sizeof(code));
	bool o16 = false;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = code[i];

		switch (b) {
		case 0x66:
			o16 = true;
			continue;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e: /* segments */
		case 0x64:
		case 0x65:
		case 0x67: /* fs gs a16 */
		case 0xf0:
		case 0xf2:
		case 0xf3: /* lock rep */
			continue;
		default:
			break;
		}
		if (long64 && (b & 0xf0) == 0x40)
			continue; /* REX: W does not widen in/out */
		if (!((b >= 0x6c && b <= 0x6f) || (b >= 0xe4 && b <= 0xe7) ||
		      (b >= 0xec && b <= 0xef)))
			return 0;
		if ((b & 0xfc) == 0xe4 && i + 1 >= n)
			return -1; /* its port byte cannot be read */
		/* 16-bit code (not long mode, CS.D clear) flips what 0x66
		 * means. */
		if (!long64 && !sregs->cs.db)
			o16 = !o16;
		io->string = b <= 0x6f;
		io->out = b & 2;
		io->size = !(b & 1) ? 1 : o16 ? 2 : 4;
		io->port = (b & 0xfc) == 0xe4 ? code[i + 1] : -1;
		io->len = i + 1 + ((b & 0xfc) == 0xe4);
		return 1;
	}
	return -1; /* unreadable, or prefixes only */
}

/* Whether (io) is an in or out of the exit's direction, size and port. */
static bool io_same_transfer(const struct vmm_io_insn *io,
			     const struct kvm_regs *r,
			     const struct vmm_io_exit *exit)
{
	return io->out == exit->out && io->size == exit->size &&
	       (io->port >= 0 ? (unsigned)io->port : (r->rdx & 0xffff)) ==
		   exit->port;
}

/* Whether (io) is the plain in/out the exit (exit, data) reports. */
static bool io_matches(const struct vmm_io_insn *io, const struct kvm_regs *r,
		       const struct vmm_io_exit *exit, const uint8_t *data)
{
	uint64_t acc = 0;

	if (io->string || !io_same_transfer(io, r, exit))
		return false;
	memcpy(&acc, &r->rax, io->size);
	return !io->out || memcmp(&acc, data, io->size) == 0;
}

/*
 * Whether a plain in/out that matches the exit ends exactly at rip: the
 * exit of one that KVM emulated (kvm_pvm emulates every out). Each start
 * up to 15 bytes back is tried, since prefixes are part of it. This never
 * takes an emulated string instruction for a plain one: the last byte of
 * an ins/outs is its opcode (0x6c-0x6f), where a plain in/out ends with
 * 0xec-0xef or its port byte, and no port the check guards is 0x6c-0x6f.
 */
static bool plain_io_ends_at(const struct vmm_mem *mem,
			     const struct kvm_regs *r,
			     const struct kvm_sregs *sr,
			     const struct vmm_io_exit *exit,
			     const uint8_t *data)
{
	struct vmm_io_insn io;

	for (unsigned back = 1; back <= X86_INSN_MAX && back <= r->rip; back++)
		if (vmm_insn_decode_io(mem, sr, r->rip - back, &io) == 1 &&
		    io.len == back && io_matches(&io, r, exit, data))
			return true;
	return false;
}

/*
 * Why a port I/O exit is not a plain in/out, for the hypercall and
 * debug-exit ports, or NULL if it is (vmm.h). The instruction at rip
 * decides first; if it is not the exit's, the one that ends at rip may
 * be (an emulated out), unless a string instruction is at rip: then the
 * exit may be that one's, part way through a rep. The reasons name what
 * was at rip.
 */
const char *vmm_io_not_plain(const struct vmm_mem *mem,
			     const struct kvm_regs *r,
			     const struct kvm_sregs *sr,
			     const struct vmm_io_exit *exit,
			     const uint8_t *data)
{
	struct vmm_io_insn io;
	int at;

	if (exit->count != 1)
		return "more than one transfer (rep ins/outs)";
	at = vmm_insn_decode_io(mem, sr, r->rip, &io);
	if (at == 1 && io_matches(&io, r, exit, data))
		return NULL;
	if (at == 1 && io.string)
		return "a string instruction (ins/outs)";
	if (plain_io_ends_at(mem, r, sr, exit, data))
		return NULL;
	switch (at) {
	case -1:
		return "an instruction that cannot be read";
	case 0:
		return "no in/out, so an outs that KVM emulated ends";
	default:
		break;
	}
	if (!io_same_transfer(&io, r, exit))
		return "another in/out, so an outs that KVM emulated ends";
	return "an out of other data, so an outs that KVM emulated ends";
}
