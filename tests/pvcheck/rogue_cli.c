// SPDX-License-Identifier: MIT
/*
 * rogue_cli.c: a pvcheck audit fixture in C: one function disables
 * interrupts with a bare cli, where it should call pv_irq_disable(); one
 * enables them with a bare sti that its allowlist entry covers.
 */
void start(void);
void rogue(void);
void allowed_sti(void);

__attribute__((noinline)) void rogue(void)
{
	__asm__ volatile("cli" : : : "memory");
}

__attribute__((noinline)) void allowed_sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

void start(void)
{
	rogue();
	allowed_sti();
}
