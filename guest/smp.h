/* SPDX-License-Identifier: MIT */
/*
 * smp.h: the guest's SMP limits and vectors, shared by C (guest.h includes
 * it) and NASM (build/include/smp.inc, by scripts/h2inc.sh).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#define SMP_MAX_CPUS	8      /* CPUs the guest brings up, at most */
#define SMP_STACK_SIZE	16384  /* bytes of stack per CPU (entry.S) */
#define SMP_IPI_VECTOR	0x41   /* the rendezvous IPI */
#define SMP_KICK_VECTOR 0x42   /* wakes an idle CPU: new work */
#define SMP_PING_VECTOR 0x43   /* answered at once: the IPI benchmark */
#define SMP_TRAMPOLINE	0x8000 /* where APs start, in real mode */
#define SMP_TRAMPOLINE_SIZE 4096 /* its page: code and data from the bottom,
				    the stack its far returns use at the top */
#define SMP_TRAMPOLINE_STACK 64 /* bytes kept free for that stack */

#endif /* GUEST_SMP_H */
