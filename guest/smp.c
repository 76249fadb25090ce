// SPDX-License-Identifier: MIT
/*
 * smp.c: the other CPUs. At boot the BSP reads the CPUs from the ACPI
 * MADT (acpi.c), copies the trampoline (ap_boot.S) below 1 MiB and starts
 * each AP in turn with INIT and SIPI; an AP sets up its per-CPU data (GS
 * base), the IDT and its APIC, says it is online and waits for work. Then:
 * running a function on an AP (smp_run_on), and the rendezvous: every
 * other CPU stopped in an IPI handler with interrupts off, each recording
 * where it was interrupted (every frame, through the unwinder), while one
 * CPU works; each executes a serialising instruction before it goes on.
 * docs/smp.md.
 */
#include "guest.h"
#include "pv_ops.h"
#include "pvh.h"
#include "x86.h"

#define AP_START_CYCLES 2000000000ull /* wait for an AP: ~1 s of TSC */
#define INIT_SIPI_DELAY 10000000ull   /* TSC cycles between INIT and SIPI */
#define RIP_MAX		64	      /* frames recorded per rendezvous */

struct ap_tramp_params {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t pad;
	uint32_t cr3, entry;
} __attribute__((packed));

extern const char ap_tramp_start[], ap_tramp_end[], ap_start64[];
extern struct ap_tramp_params ap_tramp_params;
extern uint64_t ap_boot_stack;
extern uint32_t ap_boot_cpu;
extern char ap_stacks[];
extern const struct {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed)) gdt_ptr;

/*
 * The rendezvous in progress (one at a time: only the BSP starts one).
 * (gen) numbers them: it advances once everything else is set up, and a
 * CPU answers each number once. An IPI that finds no new number is
 * spurious and only acknowledged: under nested KVM an interrupt was seen
 * delivered twice, and the second copy, counted as an arrival just
 * before the next rendezvous reset its counters, deadlocked it.
 */
static struct {
	volatile unsigned arrived, left;
	volatile bool release;
	uintptr_t *rips;
	unsigned max;
	volatile unsigned nrips;
	volatile uint64_t gen;
	uint64_t answered[SMP_MAX_CPUS]; /* the last gen each CPU answered */
	volatile uint64_t spurious;
	volatile uint64_t stacks, cut; /* all rendezvous: recorded, cut */
	struct unwind_frame first_cut; /* where the first cut stack stopped */
	enum unwind_stop first_why;
} rv;

static bool smp_ipi(struct trap_frame *f);
static bool kicked(struct trap_frame *f);

uint64_t smp_rendezvous_count(void)
{
	return __atomic_load_n(&rv.gen, __ATOMIC_ACQUIRE);
}

void smp_stacks_recorded(uint64_t *recorded, uint64_t *incomplete)
{
	*recorded = rv.stacks;
	*incomplete = rv.cut;
}

/*
 * The most of its stack CPU (cpu) ever used: the stacks start zero (a
 * NOLOAD section) and grow down, so the lowest byte that is not zero
 * marks the deepest point reached. AP n's stack is the n-th of
 * ap_stacks; CPU 0's is entry.S's boot stack, the other part of the
 * .stack section (before or after them, as the link put it).
 */
size_t smp_stack_high_water(unsigned cpu)
{
	extern char __stack_start[];
	const char *boot = &ap_stacks[0] == &__stack_start[0]
			       ? ap_stacks + (SMP_MAX_CPUS - 1) * SMP_STACK_SIZE
			       : __stack_start;
	const char *lo =
	    cpu ? ap_stacks + (size_t)(cpu - 1) * SMP_STACK_SIZE : boot;
	size_t i = 0;

	if (cpu >= SMP_MAX_CPUS)
		return 0;
	while (i < SMP_STACK_SIZE && !lo[i])
		i++;
	return SMP_STACK_SIZE - i;
}

void smp_first_cut(struct unwind_frame *at, int *why)
{
	*at = rv.first_cut;
	*why = (int)rv.first_why;
}

uint64_t smp_spurious_ipis(void)
{
	return rv.spurious;
}

/* [a, a + n) and [b, b + m) share a byte. */
static bool overlap(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* The trampoline page must be RAM nobody else uses: not start_info, its
 * memory map, the command line or the RSDP. */
static void check_trampoline_page(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *map =
	    (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t t = SMP_TRAMPOLINE, n = SMP_TRAMPOLINE_SIZE;
	bool ram = false;

	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM &&
		    map[i].addr <= t && t + n <= map[i].addr + map[i].size)
			ram = true;
	if (!ram || overlap(t, n, (uintptr_t)si, sizeof(*si)) ||
	    overlap(t, n, si->memmap_paddr,
		    si->memmap_entries * sizeof(*map)) ||
	    overlap(t, n, si->cmdline_paddr, 4096) ||
	    overlap(t, n, si->rsdp_paddr, 64))
		guest_fail("smp: the trampoline page %#llx is not free RAM",
			   (unsigned long long)t);
}

static bool wait_online(unsigned cpu, uint64_t cycles)
{
	uint64_t t0 = rdtsc();

	while (!__atomic_load_n(&percpu_slot(cpu)->online, __ATOMIC_ACQUIRE))
		if (rdtsc() - t0 > cycles)
			return false;
		else
			cpu_relax();
	return true;
}

static void start_ap(unsigned cpu, uint32_t id)
{
	uint64_t t0;

	percpu_slot(cpu)->apic_id = id;
	ap_boot_cpu = cpu;
	ap_boot_stack = (uintptr_t)ap_stacks + cpu * SMP_STACK_SIZE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send(id, APIC_ICR_INIT);
	for (t0 = rdtsc(); rdtsc() - t0 < INIT_SIPI_DELAY;)
		cpu_relax();
	for (unsigned sipi = 0; sipi < 2; sipi++) {
		apic_send(id, APIC_ICR_SIPI | (SMP_TRAMPOLINE >> 12));
		if (wait_online(cpu, AP_START_CYCLES))
			return;
	}
	guest_fail("smp: CPU %u (APIC ID %u) did not start", cpu, id);
}

void smp_init(const struct hvm_start_info *si)
{
	uint32_t ids[SMP_MAX_CPUS];
	struct ap_tramp_params *p;
	unsigned n = acpi_cpus(si->rsdp_paddr, ids, SMP_MAX_CPUS);
	uint32_t self = apic_id();
	unsigned online = 1;

	percpu_init(0);
	percpu_slot(0)->apic_id = self;
	percpu_slot(0)->online = true;
	trap_set_handler(SMP_IPI_VECTOR, smp_ipi);
	trap_set_handler(SMP_KICK_VECTOR, kicked);
	if (n <= 1 || cmdline_has("nosmp"))
		return;
	check_trampoline_page(si);
	if (ap_tramp_end - ap_tramp_start >
	    SMP_TRAMPOLINE_SIZE - SMP_TRAMPOLINE_STACK)
		guest_fail("smp: the trampoline leaves no room for its stack");
	memcpy((void *)(uintptr_t)SMP_TRAMPOLINE, ap_tramp_start,
	       (size_t)(ap_tramp_end - ap_tramp_start));
	p = (void *)(uintptr_t)(SMP_TRAMPOLINE +
				((const char *)&ap_tramp_params -
				 ap_tramp_start));
	p->gdt_limit = gdt_ptr.limit;
	p->gdt_base = gdt_ptr.base;
	p->cr3 = (uint32_t)pv_read_cr3();
	p->entry = (uint32_t)(uintptr_t)ap_start64;
	for (unsigned i = 0; i < n; i++) {
		if (ids[i] == self)
			continue;
		start_ap(online, ids[i]);
		percpu_set_online(++online);
	}
	printf("smp: %u CPUs online (APIC IDs", online);
	for (unsigned i = 0; i < online; i++)
		printf(" %u", smp_percpu(i)->apic_id);
	printf(")\n");
}

NORETURN void ap_main(unsigned cpu);

NORETURN void ap_main(unsigned cpu)
{
	struct percpu *self = percpu_slot(cpu);

	percpu_init(cpu);
	traps_init_ap();
	apic_init_ap();
	__atomic_store_n(&self->online, true, __ATOMIC_RELEASE);
	for (;;) {
		void (*fn)(void *) =
		    __atomic_load_n(&self->work, __ATOMIC_ACQUIRE);

		if (fn) {
			fn(self->work_arg);
			__atomic_store_n(&self->work, NULL, __ATOMIC_RELEASE);
			continue;
		}
		/* Idle until a kick: interrupts on for the hlt only. */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

void smp_run_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct percpu *c = smp_percpu(cpu);

	if (!c || cpu == 0)
		guest_fail("smp: no CPU %u to run on", cpu);
	while (__atomic_load_n(&c->work, __ATOMIC_ACQUIRE))
		cpu_relax(); /* the last work is still running */
	c->work_arg = arg;
	__atomic_store_n(&c->work, fn, __ATOMIC_RELEASE);
	apic_send(c->apic_id, APIC_ICR_FIXED | SMP_KICK_VECTOR);
}

bool smp_wait_for(unsigned cpu, uint64_t cycles)
{
	struct percpu *c = smp_percpu(cpu);
	uint64_t t0 = rdtsc();

	while (c && __atomic_load_n(&c->work, __ATOMIC_ACQUIRE))
		if (rdtsc() - t0 > cycles)
			return false;
		else
			cpu_relax();
	return true;
}

/* ---- the rendezvous ---- */

static void note_rip(uintptr_t rip)
{
	unsigned i = __atomic_fetch_add(&rv.nrips, 1, __ATOMIC_RELAXED);

	if (i < rv.max)
		rv.rips[i] = rip;
}

/*
 * Every rip this CPU will return to: the interrupted context's, then each
 * caller's, and through trap frames (REGS rows) the contexts those
 * interrupted in turn. True if the chain reached the bottom of the stack;
 * a chain cut short (no rule, a bad frame, too deep) may hide a rip inside
 * a site, and the rendezvous then says it is incomplete.
 */
static bool note_frames(struct unwind_frame u, struct unwind_frame *stop,
			enum unwind_stop *why)
{
	for (unsigned n = 0; n < RIP_MAX; n++) {
		struct unwind_frame at = u;

		note_rip(u.rip);
		*why = unwind_step(&u);
		*stop = at;
		if (*why != UNWIND_MORE)
			return *why == UNWIND_END;
	}
	return false;
}

/* One CPU's stack recorded, and counted: complete or cut short. */
static void note_stack(struct unwind_frame from)
{
	struct unwind_frame stop;
	enum unwind_stop why;

	__atomic_fetch_add(&rv.stacks, 1, __ATOMIC_RELAXED);
	if (!note_frames(from, &stop, &why)) {
		if (__atomic_fetch_add(&rv.cut, 1, __ATOMIC_ACQ_REL) == 0) {
			rv.first_cut = stop;
			rv.first_why = why;
		}
	}
}

/* The kick woke the CPU from hlt: that was all it had to do. */
static bool kicked(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
	return true;
}

static bool smp_ipi(struct trap_frame *f)
{
	uint64_t gen = __atomic_load_n(&rv.gen, __ATOMIC_ACQUIRE);
	unsigned self = smp_cpu();

	if (gen == rv.answered[self]) { /* no rendezvous new to this CPU */
		__atomic_fetch_add(&rv.spurious, 1, __ATOMIC_RELAXED);
		apic_eoi();
		return true;
	}
	rv.answered[self] = gen;
	note_stack((struct unwind_frame){
	    .rip = f->rip, .rsp = f->rsp, .rbp = f->rbp, .exact = true});
	smp_percpu(self)->parked = true;
	__atomic_fetch_add(&rv.arrived, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&rv.release, __ATOMIC_ACQUIRE))
		cpu_relax();
	smp_percpu(self)->parked = false;
	cpu_sync_core(); /* code written meanwhile is fetched anew */
	apic_eoi();
	__atomic_fetch_add(&rv.left, 1, __ATOMIC_ACQ_REL);
	return true;
}

void smp_rendezvous(uintptr_t *rips, unsigned max,
		    void (*parked)(void *arg, const uintptr_t *rips, unsigned n,
				   bool complete),
		    void *arg)
{
	unsigned others = smp_ncpus() - 1, n;
	unsigned long flags = hw_irq_save();
	struct unwind_frame self;
	uint64_t cut;

	rv.arrived = rv.left = 0;
	rv.release = false;
	rv.rips = rips;
	rv.max = max;
	rv.nrips = 0;
	cut = rv.cut; /* more at parking time: a stack was cut short */
	/* This CPU's own stack too: the switch may have been asked for
	 * from code that a site called. */
	unwind_here(&self);
	note_stack(self);
	__atomic_fetch_add(&rv.gen, 1, __ATOMIC_SEQ_CST); /* now open */
	if (others)
		apic_send(0, APIC_ICR_FIXED | APIC_ICR_ALL_BUT_SELF |
				 SMP_IPI_VECTOR);
	while (__atomic_load_n(&rv.arrived, __ATOMIC_ACQUIRE) < others)
		cpu_relax();
	n = rv.nrips < max ? rv.nrips : max;
	if (parked)
		parked(arg, rips, n, rv.nrips <= max && rv.cut == cut);
	__atomic_store_n(&rv.release, true, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rv.left, __ATOMIC_ACQUIRE) < others)
		cpu_relax();
	cpu_sync_core();
	hw_irq_restore(flags);
}
