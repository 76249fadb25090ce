// SPDX-License-Identifier: MIT
/*
 * test_leakcheck.c: proof that the sanitized run still catches a leak in
 * our own code although Criterion's frames are suppressed
 * (tests/lsan.supp, tests/main.c): the runner is started again on one
 * test that leaks on request, with the same suppressions as `make check`,
 * and must fail, with LeakSanitizer's report naming the leaking
 * function.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

static void *volatile sink;

/*
 * Our code, leaking: what LeakSanitizer must still report. Not a test of
 * its own but the subject of the next one, which runs it in a runner of
 * its own with MINIVMM_LEAK_CANARY set; anywhere else it skips.
 */
Test(leakcheck, canary_leaks_on_request)
{
	if (!getenv("MINIVMM_LEAK_CANARY"))
		cr_skip_test("SKIPPED: the canary leaks only when "
			     "a_leak_in_our_code_fails_the_sanitized_run "
			     "runs it");
	sink = malloc(77);
	sink = NULL;
}

Test(leakcheck, a_leak_in_our_code_fails_the_sanitized_run, .timeout = 60)
{
	char *argv[] = {BUILD_DIR "/tests/run-tests",
			"--filter=leakcheck/canary_leaks_on_request", NULL};
	static struct spawn_result r;

#if !defined(__SANITIZE_ADDRESS__)
	cr_skip_test("SKIPPED: not a sanitized build (make check runs it "
		     "in the sanitized pass)");
#endif
	unsetenv("BXFI_MAP"); /* or the new runner thinks it is a worker */
	setenv("MINIVMM_LEAK_CANARY", "1", 1);
	setenv("LSAN_OPTIONS", "suppressions=tests/lsan.supp", 1);
	spawn_run(argv, &r);
	cr_assert_neq(r.status, 0, "the leak went unnoticed:\n%s", r.out);
	cr_assert_not_null(strstr(r.out, "LeakSanitizer: detected memory "
					 "leaks"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "in leakcheck_"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "[LEAK] a test worker leaked memory"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "0 passed, 1 failed"), "%s", r.out);
}
