// SPDX-License-Identifier: MIT
/*
 * test_depgraph.c: scripts/depgraph.sh, the guest's dependency picture.
 * The guest as built has no circle, nor has pvcheck; three tiny objects that
 * call round in a circle are refused, and the circle is named; an assembly file
 * and the C file it serves count as one unit.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

static struct spawn_result r;

Test(depgraph, the_guest_has_no_circle)
{
	char cmd[PATH_MAX + 256];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd),
		 "scripts/depgraph.sh %s/guest/*.o %s/guest/test/*.o "
		 "%s/pvops/*.o",
		 BUILD_DIR, BUILD_DIR, BUILD_DIR);
	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	/* The picture is there: main uses traps; traps uses no test. */
	cr_assert_not_null(strstr(r.out, "\nmain ->"), "%s", r.out);
	cr_assert_null(strstr(r.out, "\ntraps -> bench"), "%s", r.out);
}

Test(depgraph, pvcheck_has_no_circle)
{
	char cmd[PATH_MAX + 64];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd),
		 "scripts/depgraph.sh %s/host/tools/pvcheck/*.o", BUILD_DIR);
	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	/* Its passes in order: the report uses none of them. */
	cr_assert_not_null(strstr(r.out, "report ->\n"), "%s", r.out);
}

/* Objects from (sources), "name:C code" each, then depgraph.sh on them. */
static void graph_of(const char *const *sources, unsigned n)
{
	char dir[] = "/tmp/minivmm-depgraph-XXXXXX", cmd[8192],
	     script[PATH_MAX];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	size_t at;

	cr_assert_not_null(realpath("scripts/depgraph.sh", script));
	cr_assert_not_null(mkdtemp(dir));
	at = (size_t)snprintf(cmd, sizeof(cmd), "set -e; cd %s; ", dir);
	for (unsigned i = 0; i < n; i++) {
		const char *colon = strchr(sources[i], ':');
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)(colon - sources[i]),
			 sources[i]);
		at += (size_t)snprintf(
		    cmd + at, sizeof(cmd) - at,
		    "echo '%s' > %s.%s; cc -c -o %s.%s %s.%s; ", colon + 1,
		    name, "c", name, "o", name, "c");
	}
	snprintf(cmd + at, sizeof(cmd) - at,
		 "set +e; %s *.o; s=$?; cd /; rm -rf %s; exit $s", script, dir);
	spawn_run(argv, &r);
}

Test(depgraph, a_circle_is_refused_and_named)
{
	static const char *const src[] = {
	    "traps:void c(void); void a(void) { c(); }",
	    "smp:void a(void); void b(void) { a(); }",
	    "pvswitch:void b(void); void c(void) { b(); }",
	};

	graph_of(src, 3);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "depgraph: a circle:"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "traps"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "pvswitch"), "%s", r.out);
}

Test(depgraph, a_stub_file_and_its_handler_are_one_unit)
{
	static const char *const src[] = {
	    "trap_entry:void trap_handler(void); void stub(void) { "
	    "trap_handler(); }",
	    "traps:void stub(void); void trap_handler(void) {} "
	    "void *p(void) { return (void *)stub; }",
	};

	graph_of(src, 2);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "traps ->"), "%s", r.out);
	cr_assert_null(strstr(r.out, "trap_entry"), "%s", r.out);
}
