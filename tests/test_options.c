// SPDX-License-Identifier: MIT
/*
 * test_options.c: minivmm's command line: defaults, sizes, the ranges of
 * --mem and --timeout, and what happens without exactly one guest.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

static int parse(struct vmm_opts *o, int argc, char **argv)
{
	/* getopt prints its own complaints: keep the test output clean. */
	FILE *saved = stderr;
	int r;

	stderr = fopen("/dev/null", "w");
	r = vmm_parse_args(argc, argv, o);
	fclose(stderr);
	stderr = saved;
	return r;
}

Test(options, defaults)
{
	char *argv[] = {"minivmm", "g.elf", NULL};
	struct vmm_opts o;

	cr_assert_eq(parse(&o, 2, argv), -1);
	cr_assert_str_eq(o.guest_path, "g.elf");
	cr_assert_str_eq(o.cmdline, "");
	cr_assert_eq(o.mem_size, VMM_MEM_DEFAULT);
	cr_assert_eq(o.timeout, 0);
	cr_assert(!o.stats);
}

Test(options, all_options)
{
	char *argv[] = {"minivmm",   "--mem", "128M",	 "--cmdline", "a b",
			"--timeout", "2.5",   "--stats", "g.elf",     NULL};
	struct vmm_opts o;

	cr_assert_eq(parse(&o, 9, argv), -1);
	cr_assert_eq(o.mem_size, 128ull << 20);
	cr_assert_str_eq(o.cmdline, "a b");
	cr_assert_float_eq(o.timeout, 2.5, 1e-9);
	cr_assert(o.stats);
}

Test(options, sizes)
{
	uint64_t v;

	cr_assert(vmm_parse_size("4096", &v) && v == 4096);
	cr_assert(vmm_parse_size("2K", &v) && v == 2048);
	cr_assert(vmm_parse_size("3G", &v) && v == 3ull << 30);
	cr_assert(!vmm_parse_size("", &v));
	cr_assert(!vmm_parse_size("-1M", &v));
	cr_assert(!vmm_parse_size("12Q", &v));
	cr_assert(!vmm_parse_size("1MM", &v));
	cr_assert(!vmm_parse_size("99999999999999999999", &v));
	cr_assert(!vmm_parse_size("17179869184G", &v), "overflow accepted");
}

Test(options, bad_values_are_usage_errors)
{
	static char *bad[][4] = {
	    {"minivmm", "--mem", "1M", "g.elf"},
	    {"minivmm", "--mem", "4G", "g.elf"},
	    {"minivmm", "--mem", "3000", "g.elf"},
	    {"minivmm", "--mem", "lots", "g.elf"},
	    {"minivmm", "--timeout", "-1", "g.elf"},
	    {"minivmm", "--timeout", "nan", "g.elf"},
	    {"minivmm", "--timeout", "1e9", "g.elf"},
	    {"minivmm", "--bogus", "x", "g.elf"},
	    /* decimal only, for both: no blank, no hex, no exponent */
	    {"minivmm", "--mem", " 64M", "g.elf"},
	    {"minivmm", "--mem", "0x4000000", "g.elf"},
	    {"minivmm", "--timeout", " 5", "g.elf"},
	    {"minivmm", "--timeout", "0x5", "g.elf"},
	    {"minivmm", "--timeout", "1e3", "g.elf"},
	    {"minivmm", "--timeout", "+5", "g.elf"},
	};
	struct vmm_opts o;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(&o, 4, bad[i]), VMM_STATUS_USAGE,
			     "%s %s accepted", bad[i][1], bad[i][2]);
}

/* Messages say "minivmm:", not the path it was started by. */
Test(options, messages_name_minivmm)
{
	char *argv[] = {"build/minivmm", "--mem", "1K", "g.elf", NULL};
	struct vmm_opts o;
	char buf[512] = {0};
	FILE *saved = stderr;
	FILE *f = tmpfile();

	cr_assert_not_null(f);
	stderr = f;
	cr_assert_eq(vmm_parse_args(4, argv, &o), VMM_STATUS_USAGE);
	stderr = saved;
	rewind(f);
	cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	fclose(f);
	cr_assert_eq(strncmp(buf, "minivmm: --mem 1K", 17), 0, "%s", buf);
	cr_assert_null(strstr(buf, "build/"), "%s", buf);
}

Test(options, exactly_one_guest)
{
	char *none[] = {"minivmm", NULL};
	char *two[] = {"minivmm", "a.elf", "b.elf", NULL};
	struct vmm_opts o;

	cr_assert_eq(parse(&o, 1, none), VMM_STATUS_USAGE);
	cr_assert_eq(parse(&o, 3, two), VMM_STATUS_USAGE);
}

Test(options, cpus)
{
	char *ok[] = {"minivmm", "--cpus", "2", "g.elf", NULL};
	static char *bad[] = {"0", "65", "2x", "+2", " 2", "0x2", "", "99999"};
	struct vmm_opts o;

	cr_assert_eq(parse(&o, 4, ok), -1);
	cr_assert_eq(o.cpus, 2);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"minivmm", "--cpus", bad[i], "g.elf", NULL};

		cr_assert_eq(parse(&o, 4, argv), VMM_STATUS_USAGE, "--cpus %s",
			     bad[i]);
	}
	cr_assert_eq(parse(&o, 2, ok + 2), -1, "default");
}

Test(options, gdb_listens_on_loopback_or_a_unix_socket_only)
{
	char *tcp[] = {"minivmm", "--gdb", "127.0.0.1:1234", "g.elf", NULL};
	char *unx[] = {"minivmm", "--gdb", "unix:/tmp/s", "g.elf", NULL};
	char *bad[] = {"0.0.0.0:1234",	  "localhost:1234", "127.0.0.1:0",
		       "127.0.0.1:65536", "127.0.0.1:",	    "127.0.0.1:1x",
		       "unix:",		  ":1234",	    "1234"};
	struct vmm_opts o;

	cr_assert_eq(parse(&o, 4, tcp), -1);
	cr_assert(o.gdb_on);
	cr_assert_not(o.gdb.is_unix);
	cr_assert_eq(o.gdb.port, 1234);
	cr_assert_eq(parse(&o, 4, unx), -1);
	cr_assert(o.gdb.is_unix);
	cr_assert_str_eq(o.gdb.path, "/tmp/s");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"minivmm", "--gdb", bad[i], "g.elf", NULL};

		cr_assert_eq(parse(&o, 4, argv), VMM_STATUS_USAGE, "%s",
			     bad[i]);
	}
	{
		char path[200];
		char *argv[] = {"minivmm", "--gdb", path, "g.elf", NULL};

		memset(path, 'a', sizeof(path) - 1);
		memcpy(path, "unix:", 5);
		path[sizeof(path) - 1] = '\0';
		cr_assert_eq(parse(&o, 4, argv), VMM_STATUS_USAGE,
			     "a path longer than sun_path");
	}
}
