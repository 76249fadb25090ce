// SPDX-License-Identifier: MIT
/*
 * main.c: the test runner's main: Criterion's own, plus, in the sanitized
 * build, a leak check that counts. Criterion runs each test in a worker
 * process and ignores how that worker exits, so a leak LeakSanitizer finds
 * there would pass silently; and the runner itself leaks (tests/lsan.supp).
 * Here the runner keeps that suppression to itself, each worker checks for
 * leaks when its test is done and logs the test's name, and the runner
 * fails the run if the log is not empty.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

#define LEAK_LOG_ENV "MINIVMM_LEAK_LOG"

static struct criterion_global_stats totals;

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	totals = *stats;
}

/* In a worker, at exit: did the test leave anything unreachable? */
static void worker_leak_check(void)
{
	const char *log = getenv(LEAK_LOG_ENV);
	char line[256];
	int fd, n;

	if (!log || !__lsan_do_recoverable_leak_check())
		return;
	/* The test's name is gone by now (Criterion freed it); the pid is
	 * the one in LeakSanitizer's report, which names our functions. */
	n = snprintf(line, sizeof(line),
		     "a test worker leaked memory: see the report of "
		     "==%d== above\n",
		     (int)getpid());
	fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (n > 0 && write(fd, line, (size_t)n) < 0)
			perror("leak log");
		close(fd);
	}
	_exit(23); /* LeakSanitizer's status; its report is already out */
}

/* In the runner, after the run: print each leaking test; count them. */
static unsigned report_leaks(const char *log)
{
	char line[256];
	unsigned n = 0;
	FILE *f = fopen(log, "r");

	while (f && fgets(line, sizeof(line), f)) {
		fprintf(stderr, "[LEAK] %s", line);
		n++;
	}
	if (f)
		fclose(f);
	unlink(log);
	return n;
}

static bool is_worker(void)
{
	return getenv("BXFI_MAP") != NULL; /* BoxFort starts workers so */
}

/* A worker never reaches main(): BoxFort runs its test from a library
 * constructor, after the program's own. */
__attribute__((constructor)) static void worker_init(void)
{
	if (is_worker())
		atexit(worker_leak_check);
}
#endif

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	int result = 0;
#if defined(__SANITIZE_ADDRESS__)
	char log[] = "/tmp/minivmm-leaks.XXXXXX";
	unsigned leaked = 0;

	{
		int fd = mkstemp(log);

		if (fd < 0) {
			perror("mkstemp (leak log)");
			return 2;
		}
		close(fd);
		setenv(LEAK_LOG_ENV, log, 1);
		/* The runner parsed its suppressions already; no child may
		 * inherit them (they would hide leaks under Criterion). */
		unsetenv("LSAN_OPTIONS");
	}
#endif
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
#if defined(__SANITIZE_ADDRESS__)
	leaked = report_leaks(log);
	if (leaked) {
		fprintf(stderr, "[LEAK] %u test(s) leaked memory\n", leaked);
		printf("%zu passed, %zu failed\n", totals.tests_passed - leaked,
		       totals.tests_failed + totals.tests_crashed + leaked);
		result = 1;
	}
#endif
	return result;
}
