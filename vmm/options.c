// SPDX-License-Identifier: MIT
/*
 * options.c: minivmm's command line. Only parsing and range checks live
 * here; what the options do lives with the code that uses them.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb.h"
#include "vmm.h"

#define VMM_VERSION	"0.1.0"
#define VMM_TIMEOUT_MAX 1e6 /* seconds: about 11 days */

/* Messages name the program "minivmm", however it was started. */
static const char prog[] = "minivmm";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [options] GUEST.elf\n"
	    "Boot a PVH ELF64 guest kernel on KVM.\n\n"
	    "  -m, --mem SIZE        guest memory, K/M/G suffix "
	    "(default 64M, 2M..3G)\n"
	    "  -c, --cmdline STRING  guest command line\n"
	    "      --cpus N          vCPUs (default 1); the guest starts the\n"
	    "                        others with INIT and SIPI\n"
	    "  -t, --timeout SECS    stop a guest still running after SECS "
	    "(exit 124)\n"
	    "  -s, --stats           print exit and hypercall counts at "
	    "exit\n"
	    "      --gdb ADDR        wait for gdb on 127.0.0.1:PORT or "
	    "unix:PATH\n"
	    "                        before the first instruction\n"
	    "      --no-sandbox      no seccomp filter (for debugging)\n"
	    "      --sandbox-probe   let the guest try forbidden syscalls "
	    "(tests only)\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         print the version\n\n"
	    "Exit status: the guest's own (0..63) from its exit hypercall,\n"
	    "(v<<1)|1 after a write of v to port 0xf4, or one of minivmm's\n"
	    "own (64 and up, see docs/running.md).\n",
	    prog);
}

/*
 * Decimal digits only: no sign, no leading blank, no hex (strtoull and
 * strtod would take all three, and differently).
 */
static bool decimal(const char *s, bool fraction)
{
	size_t digits = strspn(s, "0123456789");

	if (digits == 0)
		return false;
	s += digits;
	if (fraction && *s == '.')
		s += 1 + strspn(s + 1, "0123456789");
	return !fraction || *s == '\0'; /* a size goes on with its unit */
}

/* After --help or --version: the text must have reached stdout. */
static int printed(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "%s: cannot write to standard output\n", prog);
	return VMM_STATUS_OUTPUT;
}

bool vmm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!decimal(s, false))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!decimal(s, true))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v < 0 ||
	    v > VMM_TIMEOUT_MAX)
		return false;
	*out = v;
	return true;
}

static bool parse_cpus(const char *s, unsigned *out)
{
	size_t digits = strspn(s, "0123456789");
	unsigned long v;

	if (digits == 0 || digits > 4 || s[digits] != '\0')
		return false;
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > VMM_MAX_CPUS)
		return false;
	*out = (unsigned)v;
	return true;
}

int vmm_parse_args(int argc, char **argv, struct vmm_opts *o)
{
	static const struct option longopts[] = {
	    {"mem", required_argument, NULL, 'm'},
	    {"cmdline", required_argument, NULL, 'c'},
	    {"cpus", required_argument, NULL, 'C'},
	    {"timeout", required_argument, NULL, 't'},
	    {"stats", no_argument, NULL, 's'},
	    {"no-sandbox", no_argument, NULL, 'S'},
	    {"sandbox-probe", no_argument, NULL, 'P'},
	    {"gdb", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct vmm_opts){
	    .cmdline = "", .mem_size = VMM_MEM_DEFAULT, .cpus = 1};
	optind = 0; /* glibc: 0 also resets getopt's internal state */
	opterr = 0; /* getopt would name argv[0]: the messages are ours */
	while ((c = getopt_long(argc, argv, ":m:c:t:shV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'm':
			if (!vmm_parse_size(optarg, &o->mem_size) ||
			    o->mem_size < VMM_MEM_MIN ||
			    o->mem_size > VMM_MEM_MAX || o->mem_size % 4096) {
				fprintf(stderr,
					"%s: --mem %s: need a multiple of 4K "
					"from 2M to 3G\n",
					prog, optarg);
				return VMM_STATUS_USAGE;
			}
			break;
		case 'c':
			o->cmdline = optarg;
			break;
		case 'C':
			if (!parse_cpus(optarg, &o->cpus)) {
				fprintf(stderr,
					"%s: --cpus %s: need a number from 1 "
					"to %u\n",
					prog, optarg, VMM_MAX_CPUS);
				return VMM_STATUS_USAGE;
			}
			break;
		case 't':
			if (!parse_seconds(optarg, &o->timeout)) {
				fprintf(stderr,
					"%s: --timeout %s: need seconds from 0 "
					"to %g\n",
					prog, optarg, VMM_TIMEOUT_MAX);
				return VMM_STATUS_USAGE;
			}
			break;
		case 's':
			o->stats = true;
			break;
		case 'S':
			o->no_sandbox = true;
			break;
		case 'P':
			o->sandbox_probe = true;
			break;
		case 'g': {
			char why[160];

			if (!gdb_addr_parse(optarg, &o->gdb, why,
					    sizeof(why))) {
				fprintf(stderr, "%s: %s\n", prog, why);
				return VMM_STATUS_USAGE;
			}
			o->gdb_on = true;
			break;
		}
		case 'h':
			usage(stdout);
			return printed();
		case 'V':
			printf("minivmm %s\n", VMM_VERSION);
			return printed();
		case ':':
			fprintf(stderr, "%s: %s needs a value\n", prog,
				argv[optind - 1]);
			usage(stderr);
			return VMM_STATUS_USAGE;
		default:
			fprintf(stderr, "%s: unknown option %s\n", prog,
				argv[optind - 1]);
			usage(stderr);
			return VMM_STATUS_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: need exactly one GUEST.elf\n", prog);
		usage(stderr);
		return VMM_STATUS_USAGE;
	}
	o->guest_path = argv[optind];
	return -1;
}
