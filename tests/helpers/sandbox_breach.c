// SPDX-License-Identifier: MIT
/*
 * sandbox_breach.c: a test helper (tests/test_sandbox.c): installs
 * minivmm's seccomp filter as minivmm does, in a fresh process, then makes
 * the syscall argv[1] names: "socket" (forbidden) or "write" (allowed).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm.h"

int main(int argc, char **argv)
{
	struct vmm_vm vm = {.vcpu = {.fd = open("/dev/null", O_RDWR)}};

	if (argc != 2 || vm.vcpu.fd < 0)
		return 2;
	vmm_sandbox_install(&vm);
	if (strcmp(argv[1], "socket") == 0)
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
	else if (write(1, "written\n", 8) != 8)
		return 3;
	return 0;
}
