// SPDX-License-Identifier: MIT
/*
 * report.c: turn one benchmark run into build/bench.json, a table on
 * stdout and a gnuplot data file. Inputs: FACTS (key=value lines gathered
 * by bench/bench.sh: machine, launch times, host patching) and GUEST_LOG
 * (minivmm's output for `bench`: the BENCH lines and --stats lines).
 * Each repetition timed the op's loop and then the empty loop with the
 * same iterations; cycles per call are (op - loop) / iterations per
 * repetition, then the median over repetitions, spread = IQR (p75 - p25).
 * The map/unmap workload (BENCH map lines, and the map.* facts bench.sh
 * derived from minivmm's counters) gets its own table, JSON section and
 * data file (OUT.dat with .map appended) for the chart's second panel.
 * usage: report FACTS GUEST_LOG OUT.json OUT.dat
 */
#include <err.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FACTS 160
#define MAX_REPS  32
#define NPATHS	  6
#define MAX_OPS	  8

static const char *const paths[NPATHS] = {
    "inline",	       "native_patched",    "native_direct",
    "native_indirect", "hypercall_patched", "hypercall_indirect",
};

struct fact {
	char key[64], val[192];
};

struct measure {
	bool have;
	double iters, insns;
	double per_call[MAX_REPS]; /* (op - loop) / iterations */
	double loop[MAX_REPS];	   /* the empty loop, per iteration */
	int reps;
};

static struct fact facts[MAX_FACTS];
static int nfacts;
static char opnames[MAX_OPS][32];
static int nops;
static struct measure ops[MAX_OPS][NPATHS], loop_m, exit_m;
static double hc_median_ns = -1, hc_p99_ns = -1, guest_sites = -1,
	      guest_patch_cycles = -1, tsc_khz = -1;

static const char *fact(const char *key)
{
	for (int i = 0; i < nfacts; i++)
		if (!strcmp(facts[i].key, key))
			return facts[i].val;
	return NULL;
}

static double fact_num(const char *key)
{
	const char *v = fact(key);

	return v ? atof(v) : -1;
}

static void read_facts(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f) && nfacts < MAX_FACTS) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		line[strcspn(line, "\n")] = '\0';
		eq[1 + strcspn(eq + 1, "\n")] = '\0';
		snprintf(facts[nfacts].key, sizeof(facts[0].key), "%.63s",
			 line);
		snprintf(facts[nfacts].val, sizeof(facts[0].val), "%.191s",
			 eq + 1);
		nfacts++;
	}
	fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Quantile (q) of (n) values. */
static double quantile_of(const double *values, int n, double q)
{
	double v[MAX_REPS];

	memcpy(v, values, (size_t)n * sizeof(v[0]));
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

/* Quantile (q) of (m)'s cycles per call. */
static double quantile(const struct measure *m, double q)
{
	return quantile_of(m->per_call, m->reps, q);
}

/* Read "a,b,c" into (out); returns how many. */
static int parse_list(char *s, double *out)
{
	int n = 0;

	for (char *tok = strtok(s, ",\n "); tok && n < MAX_REPS;
	     tok = strtok(NULL, ",\n "))
		out[n++] = atof(tok);
	return n;
}

static void parse_bench(char *rest, struct measure *m)
{
	char *cyc = strstr(rest, "cycles="), *lp = strstr(rest, " loop=");
	char *it = strstr(rest, "iters="), *in = strstr(rest, "insns=");
	double c[MAX_REPS];
	int nl;

	if (!cyc || !lp || !it || !in)
		errx(1, "malformed BENCH line: %s", rest);
	m->have = true;
	m->iters = atof(it + 6);
	m->insns = atof(in + 6);
	*lp = '\0';
	m->reps = parse_list(cyc + 7, c);
	nl = parse_list(lp + 6, m->loop);
	if (nl != m->reps || m->reps == 0 || m->iters <= 0)
		errx(1, "BENCH line with %d cycles and %d loops", m->reps, nl);
	for (int i = 0; i < m->reps; i++) {
		m->per_call[i] = (c[i] - m->loop[i]) / m->iters;
		m->loop[i] /= m->iters;
	}
}

/* The live-switch lines (guest/test/switch_bench.c): key=value words. */
struct kv_line {
	bool have;
	char text[512];
};
static struct kv_line ipi_line, sync_line, switch_idle, switch_busy;

/* The value of (key) in (l), or -1 if it is not there. */
static double kv(const struct kv_line *l, const char *key)
{
	char pat[64];
	const char *at;

	if (!l->have)
		return -1;
	snprintf(pat, sizeof(pat), " %s=", key);
	at = strstr(l->text, pat);
	return at ? atof(at + strlen(pat)) : -1;
}

static void keep(struct kv_line *l, const char *line)
{
	l->have = true;
	snprintf(l->text, sizeof(l->text), "%.511s", line);
}

/* The map/unmap workload (guest/test/map_bench.c), by N and mode. */
#define MAP_NS	  4
#define MAP_MODES 3
static const unsigned map_ns[MAP_NS] = {1, 8, 64, 512};
static const char *const map_modes[MAP_MODES] = {"native", "hypercall",
						 "hypercall+lazy"};
static const char *const map_keys[MAP_MODES] = {"native", "hypercall",
						"hypercall_lazy"};
static struct map_cell {
	bool have;
	double cycles_per_op, insns_per_op; /* insns: < 0 if not counted */
} map[MAP_NS][MAP_MODES];

static void parse_map(const char *line)
{
	unsigned n, ni = MAP_NS, mi = MAP_MODES;
	unsigned long long iters, per, insns;
	char mode[32];
	const char *cyc = strstr(line, "cycles=");
	double c[MAX_REPS];
	char list[512];
	int reps;

	if (sscanf(line,
		   "BENCH map n=%u mode=%31s iters=%llu ops_per_iter=%llu "
		   "insns=%llu",
		   &n, mode, &iters, &per, &insns) != 5 ||
	    !cyc)
		errx(1, "malformed BENCH map line: %s", line);
	for (unsigned i = 0; i < MAP_NS; i++)
		if (map_ns[i] == n)
			ni = i;
	for (unsigned i = 0; i < MAP_MODES; i++)
		if (!strcmp(map_modes[i], mode))
			mi = i;
	if (ni == MAP_NS || mi == MAP_MODES || !iters || !per)
		return; /* a size or mode the table does not show */
	snprintf(list, sizeof(list), "%s", cyc + 7);
	reps = parse_list(list, c);
	if (!reps)
		errx(1, "BENCH map line without cycles: %s", line);
	map[ni][mi].have = true;
	map[ni][mi].cycles_per_op =
	    quantile_of(c, reps, 0.5) / (double)(iters * per);
	map[ni][mi].insns_per_op = insns ? (double)insns / (double)per : -1;
}

static int op_index(const char *name)
{
	for (int i = 0; i < nops; i++)
		if (!strcmp(opnames[i], name))
			return i;
	if (nops == MAX_OPS)
		errx(1, "too many ops");
	snprintf(opnames[nops], sizeof(opnames[0]), "%s", name);
	return nops++;
}

static void read_log(const char *path)
{
	char line[2048], op[32], path_name[32];
	FILE *f = fopen(path, "r");
	unsigned a, b, c, d;
	unsigned long long cyc;

	if (!f)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "BENCH map ", 10)) {
			parse_map(line);
		} else if (!strncmp(line, "BENCH ipi ", 10)) {
			keep(&ipi_line, line);
		} else if (!strncmp(line, "BENCH sync ", 11)) {
			keep(&sync_line, line);
		} else if (!strncmp(line, "BENCH switch idle ", 18)) {
			keep(&switch_idle, line);
		} else if (!strncmp(line, "BENCH switch busy ", 18)) {
			keep(&switch_busy, line);
		} else if (!strncmp(line, "BENCH loop ", 11)) {
			parse_bench(line + 11, &loop_m);
		} else if (!strncmp(line, "BENCH exit_null ", 16)) {
			parse_bench(line + 16, &exit_m);
		} else if (sscanf(line, "BENCH op=%31s path=%31s", op,
				  path_name) == 2) {
			int o = op_index(op), p;

			for (p = 0; p < NPATHS; p++)
				if (!strcmp(paths[p], path_name))
					break;
			if (p == NPATHS)
				errx(1, "unknown path %s", path_name);
			parse_bench(line, &ops[o][p]);
		} else if (sscanf(line,
				  "pvops: %u sites: %u native, %u "
				  "direct, %u indirect",
				  &a, &b, &c, &d) == 4) {
			guest_sites = a;
		} else if (strstr(line, "pvops: mode ") &&
			   strstr(line, "patched in ")) {
			if (sscanf(strstr(line, "patched in "),
				   "patched in %llu cycles", &cyc) == 1)
				guest_patch_cycles = (double)cyc;
		} else if (!strncmp(line, "stats: hypercall handling:", 26)) {
			unsigned long long n, med, p99;

			if (sscanf(line,
				   "stats: hypercall handling: %llu timed, "
				   "median %llu ns, p99 %llu ns",
				   &n, &med, &p99) == 3) {
				hc_median_ns = (double)med;
				hc_p99_ns = (double)p99;
			}
		} else if (!strncmp(line, "stats: tsc_khz=", 15)) {
			tsc_khz = atof(line + 15);
		}
	}
	fclose(f);
	if (!loop_m.have || !nops)
		errx(1, "%s: no BENCH results (did the guest run `bench`?)",
		     path);
}

static void json_str(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "\"%s\": \"", key);
	for (; v && *v; v++)
		fprintf(f, *v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	fprintf(f, "\"%s", comma ? ", " : "");
}

static void json_num(FILE *f, const char *key, double v, bool comma)
{
	if (v < 0)
		fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": %.2f%s", key, v, comma ? ", " : "");
}

static void json_switch(FILE *f, const char *name, const struct kv_line *l,
			bool comma)
{
	static const char *const keys[] = {
	    "cycles",
	    "sites",
	    "single",
	    "trap",
	    "syncs_per_switch",
	    "single_cycles_per_site",
	    "trap_cycles_per_site",
	    "deferred_cycles_per_site",
	    "trap_hits",
	    "deferrals",
	    "switches",
	};
	const unsigned n = sizeof(keys) / sizeof(keys[0]);

	fprintf(f, "\"%s\": {", name);
	for (unsigned i = 0; i < n; i++)
		json_num(f, keys[i], kv(l, keys[i]), i + 1 < n);
	fprintf(f, "}%s", comma ? ", " : "");
}

/* The live-switch part of the table, if the guest ran bench.switch. */
static void print_switch(const char *what, const struct kv_line *l)
{
	if (!l->have)
		return;
	printf("  switch, CPU 1 %s: %.0f cycles per switch of %.0f sites "
	       "(%.0f single stores, %.0f trap-byte), %.2f syncs per "
	       "switch; per site: single store %.0f, trap byte %.0f, "
	       "deferred %.0f cycles; %.0f trap hits, %.0f deferrals in "
	       "%.0f switches\n",
	       what, kv(l, "cycles"), kv(l, "sites"), kv(l, "single"),
	       kv(l, "trap"), kv(l, "syncs_per_switch"),
	       kv(l, "single_cycles_per_site"), kv(l, "trap_cycles_per_site"),
	       kv(l, "deferred_cycles_per_site"), kv(l, "trap_hits"),
	       kv(l, "deferrals"), kv(l, "switches"));
}

/*
 * Where the run was, and the figures that hold wherever it was: exits,
 * syscalls and host instructions per hypercall are counts, not times.
 * Nested under TCG they come first, and every time is labelled as TCG's.
 */
static void print_headline(bool nested)
{
	printf("environment: %s\n", fact("machine.environment")
					? fact("machine.environment")
					: "unknown");
	if (nested)
		printf("nested under TCG: cycles and nanoseconds below are "
		       "TCG's, not hardware time; the counts hold anywhere\n");
	printf("per null hypercall: %.3f exits, %.3f host syscalls, %.1f host "
	       "user-space instructions (callgrind); guest instructions per "
	       "call are in [ ] below\n",
	       fact_num("hypercall.exits_per_hypercall"),
	       fact_num("hypercall.syscalls_per_hypercall"),
	       fact_num("hypercall.host_insns_per_hypercall"));
	printf("minivmm's handling of a hypercall: median %.0f ns, p99 %.0f "
	       "ns%s\n\n",
	       hc_median_ns, hc_p99_ns,
	       nested ? " (wall clock inside the nested machine)" : "");
}

/* A map.* fact for (n, mode) and (what), or -1. */
static double map_fact(unsigned ni, unsigned mi, const char *what)
{
	char key[64];

	snprintf(key, sizeof(key), "map.%s.%u.%s", map_keys[mi], map_ns[ni],
		 what);
	return fact_num(key);
}

static bool have_map(void)
{
	for (unsigned i = 0; i < MAP_NS; i++)
		for (unsigned m = 0; m < MAP_MODES; m++)
			if (map[i][m].have)
				return true;
	return false;
}

/*
 * The workload's table, with issue 18's goal: for N >= 64, hypercall +
 * lazy makes at most 1/32 exit per op and costs at most 1/10 of plain
 * hypercall per op, as a ratio within this one run.
 */
static void print_map(bool nested)
{
	if (!have_map())
		return;
	printf("\nmap/unmap workload: N pages mapped (set_pte), touched, "
	       "unmapped (set_pte, flush_tlb_one): 3N ops an iteration; per "
	       "op: %s [guest instructions] exits\n%6s",
	       nested ? "TCG cycles" : "cycles", "N");
	for (unsigned m = 0; m < MAP_MODES; m++)
		printf(" %28s", map_modes[m]);
	printf("  %s\n", "lazy / hypercall");
	for (unsigned i = 0; i < MAP_NS; i++) {
		const struct map_cell *h = &map[i][1], *l = &map[i][2];

		printf("%6u", map_ns[i]);
		for (unsigned m = 0; m < MAP_MODES; m++) {
			const struct map_cell *c = &map[i][m];
			char cell[64], ins[16] = "-";

			if (!c->have) {
				printf(" %28s", "-");
				continue;
			}
			if (c->insns_per_op >= 0)
				snprintf(ins, sizeof(ins), "%.1f",
					 c->insns_per_op);
			snprintf(cell, sizeof(cell), "%.0f [%s] %.4f",
				 c->cycles_per_op, ins,
				 map_fact(i, m, "exits_per_op"));
			printf(" %28s", cell);
		}
		if (h->have && l->have)
			printf("  cycles %.3f, exits %.4f",
			       l->cycles_per_op / h->cycles_per_op,
			       map_fact(i, 2, "exits_per_op") /
				   map_fact(i, 1, "exits_per_op"));
		printf("\n");
	}
	printf("host time per exit (minivmm's median handling, ns):");
	for (unsigned i = 0; i < MAP_NS; i++)
		printf(" N=%u hypercall %.0f, lazy %.0f;", map_ns[i],
		       map_fact(i, 1, "host_ns_per_exit"),
		       map_fact(i, 2, "host_ns_per_exit"));
	printf("\n");
	for (unsigned i = 0; i < MAP_NS; i++) {
		double e = map_fact(i, 2, "exits_per_op");
		double r =
		    map[i][1].have && map[i][2].have
			? map[i][2].cycles_per_op / map[i][1].cycles_per_op
			: -1;

		if (map_ns[i] < 64 || e < 0 || r < 0)
			continue;
		printf("goal, N=%u: hypercall+lazy %.4f exits per op (<= "
		       "%.4f: %s), %.3f of hypercall's cycles per op (<= 0.1: "
		       "%s)\n",
		       map_ns[i], e, 1.0 / 32, e <= 1.0 / 32 ? "met" : "MISSED",
		       r, r <= 0.1 ? "met" : "MISSED");
	}
}

static void json_map(FILE *f)
{
	bool first = true;

	fprintf(f, ",\n  \"map_workload\": [");
	for (unsigned i = 0; i < MAP_NS; i++)
		for (unsigned m = 0; m < MAP_MODES; m++) {
			const struct map_cell *c = &map[i][m];

			if (!c->have)
				continue;
			fprintf(f, "%s\n    {\"n\": %u, ", first ? "" : ",",
				map_ns[i]);
			json_str(f, "mode", map_modes[m], true);
			json_num(f, "cycles_per_op", c->cycles_per_op, true);
			json_num(f, "guest_insns_per_op", c->insns_per_op,
				 true);
			fprintf(f, "\"exits_per_op\": %.6f, ",
				map_fact(i, m, "exits_per_op"));
			json_num(f, "exits", map_fact(i, m, "exits"), true);
			json_num(f, "ops", map_fact(i, m, "ops"), true);
			json_num(f, "host_ns_per_exit",
				 map_fact(i, m, "host_ns_per_exit"), false);
			fprintf(f, "}");
			first = false;
		}
	fprintf(f, "\n  ]");
}

/* The chart's second panel: cycles per op by N, one line per mode. */
static void dat_map(const char *dat_path)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s.map", dat_path);
	f = fopen(path, "w");
	if (!f)
		err(1, "%s", path);
	fprintf(f, "N native hypercall hypercall+lazy\n");
	for (unsigned i = 0; i < MAP_NS; i++) {
		fprintf(f, "%u", map_ns[i]);
		for (unsigned m = 0; m < MAP_MODES; m++)
			if (map[i][m].have)
				fprintf(f, " %.1f", map[i][m].cycles_per_op);
			else
				fprintf(f, " NaN");
		fprintf(f, "\n");
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	double loop, exit_null = -1;
	bool nested;
	FILE *json, *dat;

	if (argc != 5)
		errx(64, "usage: report FACTS GUEST_LOG OUT.json OUT.dat");
	read_facts(argv[1]);
	read_log(argv[2]);
	loop = quantile_of(loop_m.loop, loop_m.reps, 0.5);
	if (exit_m.have)
		exit_null = quantile(&exit_m, 0.5);

	json = fopen(argv[3], "w");
	dat = fopen(argv[4], "w");
	if (!json || !dat)
		err(1, "cannot write the results");

	nested = fact_num("machine.nested") > 0;
	fprintf(json, "{\n  \"machine\": {");
	json_str(json, "environment", fact("machine.environment"), true);
	fprintf(json, "\"nested\": %s, ", nested ? "true" : "false");
	json_str(json, "cpu", fact("machine.cpu"), true);
	json_num(json, "tsc_khz", tsc_khz, true);
	json_str(json, "kernel", fact("machine.kernel"), true);
	json_str(json, "kvm", fact("machine.kvm"), true);
	json_str(json, "date", fact("machine.date"), false);
	fprintf(json, "},\n  \"ops\": [\n");

	print_headline(nested);
	printf("%s per call (ratio to inline), guest instructions per "
	       "call in [ ]\n%-20s",
	       nested ? "TCG cycles (not hardware time)" : "cycles", "op");
	fprintf(dat, "op");
	for (int p = 0; p < NPATHS; p++) {
		printf(" %22s", paths[p]);
		fprintf(dat, " %s", paths[p]);
	}
	printf("\n");
	fprintf(dat, "\n");
	for (int o = 0, first = 1; o < nops; o++) {
		double inl = ops[o][0].have ? quantile(&ops[o][0], 0.5) : -1;

		printf("%-20s", opnames[o]);
		fprintf(dat, "%s", opnames[o]);
		for (int p = 0; p < NPATHS; p++) {
			const struct measure *m = &ops[o][p];
			double cyc, spread;
			char cell[64];

			if (!m->have) {
				printf(" %22s", "-");
				fprintf(dat, " NaN");
				continue;
			}
			cyc = quantile(m, 0.5);
			spread = quantile(m, 0.75) - quantile(m, 0.25);
			snprintf(cell, sizeof(cell), "%.0f (%.2f) [%.0f]", cyc,
				 inl > 0 ? cyc / inl : 0, m->insns);
			printf(" %22s", cell);
			fprintf(dat, " %.1f", cyc > 1 ? cyc : 1);
			fprintf(json,
				"%s    {\"op\": \"%s\", \"path\": \"%s\", "
				"\"cycles\": %.1f, \"spread\": %.1f, "
				"\"guest_insns\": %.0f, \"iters\": %.0f, "
				"\"ratio_to_inline\": %.3f}",
				first ? "" : ",\n", opnames[o], paths[p], cyc,
				spread, m->insns, m->iters,
				inl > 0 ? cyc / inl : 0);
			first = 0;
		}
		printf("\n");
		fprintf(dat, "\n");
	}
	printf("baselines: empty loop %.0f cycles per iteration (subtracted "
	       "pairwise above), exit_null %.0f cycles%s\n",
	       loop, exit_null, nested ? " (TCG's)" : "");

	fprintf(json, "\n  ],\n  \"baselines\": {");
	json_num(json, "exit_null_cycles", exit_null, true);
	json_num(json, "loop_cycles", loop, false);
	fprintf(json, "},\n  \"hypercall_host\": {");
	json_num(json, "exits_per_hypercall",
		 fact_num("hypercall.exits_per_hypercall"), true);
	json_num(json, "syscalls_per_hypercall",
		 fact_num("hypercall.syscalls_per_hypercall"), true);
	json_num(json, "host_insns_per_hypercall",
		 fact_num("hypercall.host_insns_per_hypercall"), true);
	json_num(json, "median_ns", hc_median_ns, true);
	json_num(json, "p99_ns", hc_p99_ns, false);
	fprintf(json, "},\n  \"launch\": {");
	json_num(json, "minivmm_ms", fact_num("launch.minivmm.median_ms"),
		 true);
	json_num(json, "qemu_microvm_kvm_ms", fact_num("launch.qemu.median_ms"),
		 true);
	json_num(json, "minivmm_rss_kib", fact_num("launch.minivmm.rss_kib"),
		 true);
	json_num(json, "qemu_rss_kib", fact_num("launch.qemu.rss_kib"), true);
	json_num(json, "guest_mem_kib", fact_num("launch.guest_mem_kib"), true);
	json_num(json, "runs", fact_num("launch.runs"), false);
	fprintf(json, "},\n  \"patching\": {\"host_ns_per_site\": {");
	json_num(json, "100", fact_num("patch.ns_per_site.100"), true);
	json_num(json, "1000", fact_num("patch.ns_per_site.1000"), true);
	json_num(json, "10000", fact_num("patch.ns_per_site.10000"), true);
	json_num(json, "100000", fact_num("patch.ns_per_site.100000"), false);
	fprintf(json, "}, ");
	json_num(json, "guest_sites", guest_sites, true);
	json_num(json, "guest_patch_cycles", guest_patch_cycles, false);
	fprintf(json, "},\n  \"live_switch\": {");
	json_num(json, "cpus", kv(&sync_line, "cpus"), true);
	json_num(json, "ipi_roundtrip_cycles", kv(&ipi_line, "cycles"), true);
	json_num(json, "sync_cycles", kv(&sync_line, "cycles"), true);
	json_switch(json, "switch_idle", &switch_idle, true);
	json_switch(json, "switch_busy", &switch_busy, false);
	fprintf(json, "}");
	json_map(json);
	fprintf(json, "\n}\n");
	if (sync_line.have)
		printf("live switching, %.0f CPUs: IPI round trip %.0f cycles, "
		       "one sync of every CPU %.0f cycles\n",
		       kv(&sync_line, "cpus"), kv(&ipi_line, "cycles"),
		       kv(&sync_line, "cycles"));
	print_switch("idle", &switch_idle);
	print_switch("busy", &switch_busy);
	print_map(nested);
	dat_map(argv[4]);
	fclose(json);
	fclose(dat);
	return 0;
}
