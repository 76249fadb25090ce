// SPDX-License-Identifier: MIT
/*
 * test_gdb.c: the real gdb against minivmm --gdb (one session each, run
 * by tests/helpers/gdb_session.sh): a breakpoint, continue and a
 * backtrace; reading and writing a variable; stepping through a patched
 * save_fl site in native and in hypercall mode, where x/3i shows the
 * patched bytes; a watchpoint (in the debug registers where this host's
 * KVM fires them, else gdb's own, single-stepping); two vCPUs as two
 * threads; Ctrl-C during a spin; detach, kill, and the guest's own exit;
 * a second connection refused. test=gdb (guest/test/gdb_test.c) is the
 * guest side: it passes only if gdb wrote gdb_release.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define SESSION "tests/helpers/gdb_session.sh"

static struct spawn_result r;

TestSuite(gdb, .timeout = 600);

/* One session: minivmm with (cpus) and (cmdline) waiting at (addr); gdb
 * runs (cmds) (NULL-terminated); Ctrl-C once the guest prints (when). */
static void session(char *addr, char *cpus, char *cmdline, char *when,
		    char *const cmds[])
{
	char *argv[48] = {SESSION, BUILD_DIR, addr, cpus, cmdline, when};
	unsigned n = 6;

	for (unsigned i = 0; cmds[i] && n < 47; i++)
		argv[n++] = cmds[i];
	argv[n] = NULL;
	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
}

static void assert_has(const char *text)
{
	cr_assert_not_null(strstr(r.out, text), "no \"%s\" in:\n%s", text,
			   r.out);
}

/* The path of a unix socket of this test's own. */
static char *sock(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "unix:/tmp/minivmm-gdb-%d.sock",
		 (int)getpid());
	return path;
}

Test(gdb, break_continue_backtrace_variable_detach)
{
	SKIP_WITHOUT_KVM();
	session(sock(), "1", "test=gdb", "",
		(char *[]){"break guest_main", "continue", "bt", "next",
			   "print gdb_release", "set var gdb_release = 0x600d",
			   "print/x gdb_release", "detach", NULL});
	assert_has("Breakpoint 1, guest_main (");
	assert_has("#0  guest_main (");
	/* next: a source line, over the calls in it (gdb's own stepping
	 * and a breakpoint at the return address). */
	assert_has("\tcmdline_init(si->cmdline_paddr");
	assert_has("$1 = 0\n");
	assert_has("$2 = 0x600d\n");
	assert_has("[Inferior 1 (Remote target) detached]");
	/* The guest ran on, saw what gdb wrote, and passed. */
	assert_has("test=gdb: released by the debugger");
	assert_has("RESULT: pass");
	assert_has("status: gdb 0, minivmm 0");
}

Test(gdb, step_through_a_native_save_fl_site)
{
	SKIP_WITHOUT_KVM();
	/* Breakpoints in a site go in after boot patching, which checks
	 * the bytes it replaces (docs/running.md). */
	session(sock(), "1", "test=gdb pvops=native", "",
		(char *[]){"break gdb_selftest", "continue",
			   "break gdb_save_fl", "continue", "x/3i $pc", "stepi",
			   "stepi", "x/1i $pc", "set var gdb_release = 0x600d",
			   "detach", NULL});
	assert_has("Breakpoint 2, gdb_save_fl ()");
	/* The native bytes, padded with prefixes, not the call gdb would
	 * find in the ELF file. */
	assert_has("<gdb_save_fl>:\tcs cs cs cs pushf");
	assert_has("<gdb_save_fl+5>:\tpop    %rax");
	assert_has("=> 0x");
	assert_has(" <gdb_save_fl+6>:\tret");
	assert_has("RESULT: pass");
}

Test(gdb, step_through_a_hypercall_save_fl_site_to_the_exit)
{
	SKIP_WITHOUT_KVM();
	session(sock(), "1", "test=gdb pvops=hypercall", "",
		(char *[]){"break gdb_selftest", "continue",
			   "break gdb_save_fl", "continue", "x/3i $pc", "stepi",
			   "x/1i $pc", "stepi", "stepi", "stepi", "stepi",
			   "stepi", "stepi", "x/1i $pc", "print/x $rax",
			   "delete", "set var gdb_release = 0x600d", "continue",
			   NULL});
	assert_has("<gdb_save_fl>:\tcs call ");
	assert_has(" <pv_hc_save_fl>");
	assert_has("=> 0x");
	assert_has("<pv_hc_save_fl>:\tmov    $0x10,%eax");
	/* Six steps: mov, cmp, jne, push, mov, and the out that went to
	 * minivmm and back: the pop after it, with the flags in rax. */
	assert_has(":\tpop    %rdx");
	assert_has("$1 = 0x");
	/* The guest's own exit ends the session, with its status. */
	assert_has("[Inferior 1 (Remote target) exited normally]");
	assert_has("status: gdb 0, minivmm 0");
}

Test(gdb, watchpoint_over_tcp_kill_and_a_second_connection_refused)
{
	char addr[32], second[160];
	unsigned port = 20000 + (unsigned)getpid() % 20000;
	bool hw;

	SKIP_WITHOUT_KVM();
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	snprintf(second, sizeof(second),
		 "shell bash -c 'exec 3<>/dev/tcp/127.0.0.1/%u' 2>/dev/null "
		 "&& echo second: connected || echo second: refused",
		 port);
	/* A first session says what this host's debug registers do. */
	session(addr, "1", "test=gdb", "", (char *[]){"kill", NULL});
	hw = strstr(r.out, "hardware watchpoints yes") != NULL;
	printf("gdb: %s watchpoint on this host\n",
	       hw ? "a hardware" : "gdb's software");
	session(addr, "1", "test=gdb", "",
		(char *[]){second, "break gdb_selftest", "continue",
			   hw ? "echo" : "set can-use-hw-watchpoints 0",
			   "watch gdb_watched", "continue", "continue", "kill",
			   NULL});
	assert_has("second: refused");
	assert_has(hw ? "Hardware watchpoint 2: gdb_watched"
		      : "Watchpoint 2: gdb_watched");
	assert_has("Old value = 0\nNew value = 4369\n");
	assert_has("Old value = 4369\nNew value = 8738\n");
	assert_has("[Inferior 1 (Remote target) killed]");
	assert_has("minivmm: gdb killed the guest");
	assert_has("status: gdb 0, minivmm 87");
}

Test(gdb, two_vcpus_two_threads_and_ctrl_c_in_a_spin)
{
	const char *line, *end;

	SKIP_WITHOUT_KVM();
	session(sock(), "2", "test=gdb", "spinning until",
		(char *[]){"continue", "info threads", "thread 2", "thread 1",
			   "bt 2", "set var gdb_release = 0x600d", "detach",
			   NULL});
	assert_has("Thread 1 received signal SIGINT, Interrupt.");
	assert_has("gdb_spin () at guest/test/gdb_test.c");
	/* "0x... in " before the function where the pc is not at the start
	 * of a line: where Ctrl-C stops the spin is the host's timing */
	line = strstr(r.out, "* 1    Thread 1 (vCPU 0) ");
	cr_assert(line && (end = strchr(line, '\n')) &&
		      memmem(line, (size_t)(end - line), " gdb_spin () ", 13),
		  "no thread 1 in gdb_spin in:\n%s", r.out);
	assert_has("  2    Thread 2 (vCPU 1) ");
	assert_has("[Switching to thread 2 (Thread 2)]");
	assert_has("#1  0x");
	assert_has("in gdb_selftest () at guest/test/gdb_test.c");
	assert_has("smp: 2 CPUs online");
	assert_has("RESULT: pass");
	assert_has("status: gdb 0, minivmm 0");
}

Test(gdb, gdb_gone_while_the_guest_runs_is_a_detach)
{
	SKIP_WITHOUT_KVM();
	/* gdb dies (SIGKILL from a shell it started) while the guest spins:
	 * minivmm stops every vCPU, takes its breakpoint out and lets the
	 * guest run on, here into --timeout. */
	setenv("GDB_SESSION_TIMEOUT", "20", 1);
	session(sock(), "1", "test=gdb", "",
		(char *[]){"break gdb_selftest", "continue", "break guest_fail",
			   "continue &", "shell sleep 2; kill -9 $PPID", NULL});
	unsetenv("GDB_SESSION_TIMEOUT");
	assert_has("minivmm: gdb connection closed: the guest runs on");
	assert_has("guest still running after --timeout 20 s");
	assert_has("status: gdb 137, minivmm 124");
}

Test(gdb, hbreak_where_the_host_fires_it_else_refused_with_the_reason)
{
	bool hw;

	SKIP_WITHOUT_KVM();
	session(sock(), "1", "test=gdb", "",
		(char *[]){"hbreak gdb_selftest", "continue",
			   "info registers rip", "kill", NULL});
	hw = strstr(r.out, "hardware breakpoints yes") != NULL;
	printf("gdb: hardware breakpoints %s on this host\n",
	       hw ? "fire" : "do not fire");
	if (hw) {
		/* gdb names a hit of either kind "Breakpoint N" */
		assert_has("Hardware assisted breakpoint 1 at");
		assert_has("Breakpoint 1, gdb_selftest ()");
		assert_has("rip            0x");
		assert_has("<gdb_selftest>");
	} else {
		assert_has("Cannot insert hardware breakpoint 1");
		assert_has("minivmm: gdb: Z1,");
		assert_has("hardware breakpoints do not fire on this host");
	}
	assert_has("status: gdb 0, minivmm 87");
}

Test(gdb, the_guests_own_live_switch_runs_under_the_debugger)
{
	SKIP_WITHOUT_KVM();
	/* The live switch writes trap bytes of its own (int3 by default)
	 * into sites on both vCPUs; with a breakpoint armed, those must
	 * still reach the guest, as must its own single steps. */
	session(sock(), "2", "test=repatch,20", "",
		(char *[]){"break guest_main", "continue", "delete",
			   "break guest_fail", "continue", NULL});
	assert_has("Breakpoint 1, guest_main (");
	assert_has("repatch: 20 switches");
	assert_has("RESULT: pass");
	assert_has("[Inferior 1 (Remote target) exited normally]");
	assert_has("status: gdb 0, minivmm 0");
}
