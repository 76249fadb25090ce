// SPDX-License-Identifier: MIT
/*
 * gdb_regs.c: the registers gdb sees for a vCPU, in the order of the
 * target description below (gdb's own amd64 layout: the core and SSE
 * features, then fs_base and gs_base, then the control registers and EFER
 * in a system feature), and the copying between that layout and KVM's
 * structures. Segment selectors are shown but not written: a selector
 * without its descriptor would be a state no CPU can be in.
 */
#include <string.h>

#include "gdb.h"

#define GPR(name) "<reg name=\"" name "\" bitsize=\"64\" type=\"int64\"/>"
#define SEG(name) "<reg name=\"" name "\" bitsize=\"32\" type=\"int32\"/>"
#define ST(n)	  "<reg name=\"st" n "\" bitsize=\"80\" type=\"i387_ext\"/>"
#define FPC(name)                                                              \
	"<reg name=\"" name "\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
#define XMM(n) "<reg name=\"xmm" n "\" bitsize=\"128\" type=\"vec128\"/>"
#define SYS(name)                                                              \
	"<reg name=\"" name "\" bitsize=\"64\" type=\"int64\" "                \
	"group=\"system\"/>"

/* One register a line reads better than what clang-format makes of it. */
/* clang-format off */
const char gdb_target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target><architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    GPR("rax") GPR("rbx") GPR("rcx") GPR("rdx") GPR("rsi") GPR("rdi")
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    GPR("r8") GPR("r9") GPR("r10") GPR("r11") GPR("r12") GPR("r13")
    GPR("r14") GPR("r15")
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>"
    SEG("cs") SEG("ss") SEG("ds") SEG("es") SEG("fs") SEG("gs")
    ST("0") ST("1") ST("2") ST("3") ST("4") ST("5") ST("6") ST("7")
    FPC("fctrl") FPC("fstat") FPC("ftag") FPC("fiseg") FPC("fioff")
    FPC("foseg") FPC("fooff") FPC("fop")
    "</feature><feature name=\"org.gnu.gdb.i386.sse\">"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/></union>"
    XMM("0") XMM("1") XMM("2") XMM("3") XMM("4") XMM("5") XMM("6")
    XMM("7") XMM("8") XMM("9") XMM("10") XMM("11") XMM("12") XMM("13")
    XMM("14") XMM("15")
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>"
    "</feature><feature name=\"org.gnu.gdb.i386.segments\">"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
    "</feature><feature name=\"org.minivmm.x86.sys\">"
    SYS("cr0") SYS("cr2") SYS("cr3") SYS("cr4") SYS("cr8") SYS("efer")
    "</feature></target>";
/* clang-format on */

size_t gdb_target_xml_len(void)
{
	return sizeof(gdb_target_xml) - 1;
}

enum {
	REG_ST0 = 24,
	REG_FCTRL = 32,
	REG_XMM0 = 40,
	REG_MXCSR = 56,
	REG_FS_BASE = 57,
};

unsigned gdb_reg_size(unsigned n)
{
	if (n < GDB_REG_RIP + 1)
		return 8;
	if (n < REG_ST0)
		return 4; /* eflags, the selectors */
	if (n < REG_FCTRL)
		return 10;
	if (n < REG_XMM0)
		return 4;
	if (n < REG_MXCSR)
		return 16;
	if (n == REG_MXCSR)
		return 4;
	return n < GDB_REG_COUNT ? 8 : 0;
}

/* kvm_regs keeps rsp before rbp; gdb numbers rbp (6) before rsp (7). */
static uint64_t *gpr(struct kvm_regs *r, unsigned n)
{
	uint64_t *const order[] = {
	    (uint64_t *)&r->rax, (uint64_t *)&r->rbx, (uint64_t *)&r->rcx,
	    (uint64_t *)&r->rdx, (uint64_t *)&r->rsi, (uint64_t *)&r->rdi,
	    (uint64_t *)&r->rbp, (uint64_t *)&r->rsp, (uint64_t *)&r->r8,
	    (uint64_t *)&r->r9,	 (uint64_t *)&r->r10, (uint64_t *)&r->r11,
	    (uint64_t *)&r->r12, (uint64_t *)&r->r13, (uint64_t *)&r->r14,
	    (uint64_t *)&r->r15, (uint64_t *)&r->rip};

	return order[n];
}

static struct kvm_segment *seg(struct kvm_sregs *s, unsigned n)
{
	struct kvm_segment *const order[] = {&s->cs, &s->ss, &s->ds,
					     &s->es, &s->fs, &s->gs};

	return order[n - GDB_REG_CS];
}

static uint64_t *sysreg(struct kvm_sregs *s, unsigned n)
{
	uint64_t *const order[] = {
	    (uint64_t *)&s->fs.base, (uint64_t *)&s->gs.base,
	    (uint64_t *)&s->cr0,     (uint64_t *)&s->cr2,
	    (uint64_t *)&s->cr3,     (uint64_t *)&s->cr4,
	    (uint64_t *)&s->cr8,     (uint64_t *)&s->efer};

	return order[n - REG_FS_BASE];
}

/*
 * The x87 control words as 32-bit values: fctrl, fstat, ftag (the full
 * tag word, from fxsave's abridged one: a register is valid or empty),
 * fiseg, fioff, foseg, fooff, fop.
 */
static uint32_t fpu_word(const struct kvm_fpu *f, unsigned i)
{
	uint32_t tag = 0;

	switch (i) {
	case 0:
		return f->fcw;
	case 1:
		return f->fsw;
	case 2:
		for (unsigned r = 0; r < 8; r++)
			if (!(f->ftwx & (1u << r)))
				tag |= 3u << (2 * r);
		return tag;
	case 4:
		return (uint32_t)f->last_ip;
	case 6:
		return (uint32_t)f->last_dp;
	case 7:
		return f->last_opcode;
	default:
		return 0; /* the segments of the last instruction and operand */
	}
}

/*
 * Where register (n) is kept in (c) as gdb shows it, and the part of the
 * state it is in (1 regs, 2 sregs, 4 fpu); NULL for eflags, the
 * selectors and the x87 control words, which are converted.
 */
static void *reg_place(struct gdb_cpu *c, unsigned n, unsigned *part)
{
	*part = n <= GDB_REG_RIP ? 1 : n >= REG_FS_BASE ? 2 : 4;
	if (n <= GDB_REG_RIP)
		return gpr(&c->regs, n);
	if (n >= REG_ST0 && n < REG_FCTRL)
		return c->fpu.fpr[n - REG_ST0];
	if (n >= REG_XMM0 && n < REG_MXCSR)
		return c->fpu.xmm[n - REG_XMM0];
	if (n == REG_MXCSR)
		return &c->fpu.mxcsr;
	if (n >= REG_FS_BASE && n < GDB_REG_COUNT)
		return sysreg(&c->sregs, n);
	return NULL;
}

/* The 32-bit value of one of the converted registers. */
static uint32_t reg_word(const struct gdb_cpu *c, unsigned n)
{
	if (n == GDB_REG_EFLAGS)
		return (uint32_t)c->regs.rflags;
	if (n < REG_ST0) {
		struct kvm_sregs s = c->sregs;

		return seg(&s, n)->selector;
	}
	return fpu_word(&c->fpu, n - REG_FCTRL);
}

bool gdb_reg_get(const struct gdb_cpu *cpu, unsigned n, uint8_t *buf)
{
	struct gdb_cpu c = *cpu; /* reg_place hands out writable places */
	unsigned part;
	const void *p = reg_place(&c, n, &part);
	uint32_t v32;

	if (n >= GDB_REG_COUNT)
		return false;
	if (p) {
		memcpy(buf, p, gdb_reg_size(n));
	} else {
		v32 = reg_word(&c, n);
		memcpy(buf, &v32, 4);
	}
	return true;
}

bool gdb_reg_set(struct gdb_cpu *cpu, unsigned n, const uint8_t *buf,
		 unsigned *what)
{
	unsigned part;
	void *p = reg_place(cpu, n, &part);
	uint32_t v32;

	if (n >= GDB_REG_COUNT)
		return false;
	if (p) {
		memcpy(p, buf, gdb_reg_size(n));
		*what |= part;
		return true;
	}
	memcpy(&v32, buf, 4);
	if (n == GDB_REG_EFLAGS) {
		cpu->regs.rflags = v32 | 2; /* bit 1 is always set */
		*what |= 1;
	} else if (n == REG_FCTRL || n == REG_FCTRL + 1 || n == REG_FCTRL + 7) {
		if (n == REG_FCTRL)
			cpu->fpu.fcw = (uint16_t)v32;
		else if (n == REG_FCTRL + 1)
			cpu->fpu.fsw = (uint16_t)v32;
		else
			cpu->fpu.last_opcode = (uint16_t)v32;
		*what |= 4;
	} else {
		/* The selectors, and the x87 words that are derived or not
		 * kept: shown, not written; the same value is fine (G sends
		 * every register back). */
		return v32 == reg_word(cpu, n);
	}
	return true;
}
