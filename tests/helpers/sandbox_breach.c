// SPDX-License-Identifier: MIT
/*
 * sandbox_breach.c: a test helper (tests/test_sandbox.c): installs
 * minivmm's seccomp filter as minivmm does, in a fresh process, then makes
 * the syscall argv[1] names: "socket" (forbidden) or "write" (allowed);
 * "thread-socket": a thread started before the filter, as minivmm's vCPU
 * threads are, makes the forbidden one after it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm.h"

static struct vmm_vm vm;
static int go, up;

static void *late_socket(void *arg)
{
	(void)arg;
	__atomic_store_n(&up, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	(void)socket(AF_UNIX, SOCK_STREAM, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	bool threaded = argc == 2 && strcmp(argv[1], "thread-socket") == 0;

	vm.ncpus = 1;
	vm.vcpus[0].fd = open("/dev/null", O_RDWR);
	if (argc != 2 || vm.vcpus[0].fd < 0)
		return 2;
	if (threaded && pthread_create(&t, NULL, late_socket, NULL) != 0)
		return 2;
	/* As minivmm waits for its vCPU threads: until the thread runs its
	 * own code, glibc is still starting it (rseq, the signal mask) with
	 * every signal blocked, and a SIGSYS there kills the process
	 * silently (status 159, 1 run in 3 of make check once). */
	while (threaded && !__atomic_load_n(&up, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	vmm_sandbox_install(&vm, NULL);
	if (strcmp(argv[1], "socket") == 0) {
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
	} else if (threaded) {
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		for (;;) /* the thread's SIGSYS ends the process */
			__builtin_ia32_pause();
	} else if (write(1, "written\n", 8) != 8) {
		return 3;
	}
	return 0;
}
