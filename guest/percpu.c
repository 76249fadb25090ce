// SPDX-License-Identifier: MIT
/*
 * percpu.c: each CPU's own data (struct percpu), found through the GS
 * base, and how many CPUs are online. Below traps.c and smp.c, which
 * both ask which CPU they run on; smp.c brings CPUs online.
 */
#include "guest.h"
#include "x86.h"

static struct percpu cpus[SMP_MAX_CPUS];
static unsigned ncpus = 1;

unsigned smp_ncpus(void)
{
	return ncpus;
}

struct percpu *smp_percpu(unsigned cpu)
{
	return cpu < ncpus ? &cpus[cpu] : NULL;
}

unsigned smp_cpu(void)
{
	unsigned cpu;

	if (ncpus == 1)
		return 0; /* GS may not be set up yet: no AP runs */
	__asm__ volatile("movl %%gs:%c1, %0"
			 : "=r"(cpu)
			 : "i"(__builtin_offsetof(struct percpu, cpu)));
	return cpu;
}

struct percpu *percpu_slot(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? &cpus[cpu] : NULL;
}

void percpu_init(unsigned cpu)
{
	cpus[cpu].self = &cpus[cpu];
	cpus[cpu].cpu = cpu;
	wrmsr(MSR_GS_BASE, (uintptr_t)&cpus[cpu]);
}

void percpu_set_online(unsigned n)
{
	ncpus = n;
}
