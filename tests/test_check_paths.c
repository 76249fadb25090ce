// SPDX-License-Identifier: MIT
/*
 * test_check_paths.c: scripts/check-paths.sh, which `make check` runs on
 * the tree, on a tiny repository of its own: a comment naming a file that
 * exists passes, one naming a file that does not fails and says which.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

static struct spawn_result r;

/* A git repository with vmm/run.c whose comment names (named). */
static void check_repo(const char *named)
{
	char dir[] = "/tmp/minivmm-paths-XXXXXX", script[PATH_MAX + 64],
	     cmd[2 * PATH_MAX + 512];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_not_null(realpath("scripts/check-paths.sh", script));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && git init -q && mkdir vmm docs && "
		 "echo '/* see vmm/vmm.h and %s */' > vmm/run.c && "
		 "echo 'x' > vmm/vmm.h && git add . && %s; s=$?; "
		 "rm -rf %s; exit $s",
		 dir, named, script, dir);
	spawn_run(argv, &r);
}

Test(check_paths, a_named_file_that_exists_passes)
{
	check_repo("vmm/run.c");
	cr_assert_eq(r.status, 0, "%s", r.out);
}

Test(check_paths, a_named_file_that_does_not_exist_fails)
{
	/* Split, or the check would find this very name in this file. */
	check_repo("docs/sandbox"
		   ".md");
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "vmm/run.c: names docs/sandbox"
					 ".md, which does "
					 "not exist"),
			   "%s", r.out);
}
