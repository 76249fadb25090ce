// SPDX-License-Identifier: MIT
/*
 * test_bench.c: the benchmark pipeline without timing anything: the
 * guest's `bench` mode prints a well-formed line for every op and path
 * (QEMU TCG here, so it runs everywhere; no hypercall paths there), its
 * single-stepped instruction counts are the patchlets' (counts, not
 * times), bench/report turns the output into the JSON fields `make bench`
 * promises, and `hcloop=N` makes exactly N null hypercalls.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pv_op_list.h"
#include "spawn.h"

static struct spawn_result r;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* The BENCH line for (op, path), or NULL. */
static const char *bench_line(const char *op, const char *path)
{
	char key[96];

	snprintf(key, sizeof(key), "BENCH op=%s path=%s ", op, path);
	return strstr(r.out, key);
}

/* The instruction count the BENCH line for (op, path) reports. */
static unsigned long long insns_of(const char *op, const char *path)
{
	const char *l = bench_line(op, path);
	unsigned long long insns;

	cr_assert_not_null(l, "no %s/%s", op, path);
	l = strstr(l, "insns=");
	cr_assert_not_null(l);
	cr_assert_eq(sscanf(l, "insns=%llu", &insns), 1);
	return insns;
}

TestSuite(bench, .timeout = 120);

Test(bench, guest_bench_mode_reports_every_op_and_path)
{
	/* The ops the list marks for the benchmark, and the irq pair. */
#define BENCH_NAME_NOBENCH(name)
#define BENCH_NAME_ARG_NONE(name)  #name,
#define BENCH_NAME_ARG_FLAGS(name) #name,
#define BENCH_NAME_ARG_CR3(name)   #name,
#define BENCH_NAME(name, NAME, contract, shape, bench, batch)                  \
	BENCH_NAME_##bench(name)
	static const char *const ops[] = {
	    PV_OP_LIST(BENCH_NAME) "irq_disable_enable"};
	static const char *const paths[] = {"inline", "native_patched",
					    "native_direct", "native_indirect"};
	const unsigned nops = sizeof(ops) / sizeof(ops[0]);

	boot_qemu(&r, "tcg", "pvops=native bench");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "BENCH loop iters="), "%s", r.out);
	for (unsigned o = 0; o < nops; o++)
		for (unsigned p = 0; p < 4; p++) {
			const char *l = bench_line(ops[o], paths[p]);

			cr_assert_not_null(l, "no %s/%s", ops[o], paths[p]);
			cr_assert_not_null(strstr(l, "cycles="));
			cr_assert_not_null(strstr(l, " loop="));
		}
	cr_assert_null(bench_line("save_fl", "hypercall_patched"),
		       "hypercall paths outside minivmm");
	/* pushfq; pop rax: 2 instructions inline, and 2 once patched (the
	 * CS-padded patchlet leaves no NOP): patching leaves nothing. */
	cr_assert_eq(insns_of("save_fl", "inline"), 2);
	cr_assert_eq(insns_of("save_fl", "native_patched"), 2);
	cr_assert_eq(insns_of("read_cr3", "inline"), 1);
	cr_assert_eq(insns_of("read_cr3", "native_patched"), 1);
	/* A direct call runs the native function: the same instructions,
	 * plus the call and its ret (no C function, no thunk). */
	for (unsigned o = 0; o + 1 < nops; o++)
		cr_assert_eq(insns_of(ops[o], "native_direct"),
			     insns_of(ops[o], "inline") + 2, "%s", ops[o]);
}

/*
 * Run bench/report on a guest log (log_text) with the host's facts
 * (facts_text), in temporary files it removes; its output is in r, and
 * the JSON it wrote is returned (free it).
 */
static char *report_of(const char *log_text, const char *facts_text)
{
	char log[] = "/tmp/minivmm-bench-log-XXXXXX";
	char facts[] = "/tmp/minivmm-bench-facts-XXXXXX";
	char json[64], dat[64], *body;
	char *argv[] = {BUILD_DIR "/bench/report", facts, log, json, dat, NULL};
	FILE *f;
	long n;

	close(mkstemp(log));
	close(mkstemp(facts));
	snprintf(json, sizeof(json), "%s.json", log);
	snprintf(dat, sizeof(dat), "%s.dat", log);
	write_file(log, log_text);
	write_file(facts, facts_text);
	spawn_run(argv, &r);
	f = fopen(json, "r");
	cr_assert_not_null(f, "no %s:\n%s", json, r.out);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	body = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(body, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(log);
	unlink(facts);
	unlink(json);
	unlink(dat);
	snprintf(dat, sizeof(dat), "%s.dat.map", log);
	unlink(dat);
	return body;
}

Test(bench, report_writes_the_promised_fields)
{
	static char guest_log[sizeof(r.out)];
	char *body;
	static const char *const keys[] = {
	    "\"machine\"",
	    "\"environment\": \"nested: a test\"",
	    "\"nested\": true",
	    "\"cpu\"",
	    "\"tsc_khz\"",
	    "\"kernel\"",
	    "\"kvm\"",
	    "\"ops\"",
	    "\"op\": \"save_fl\"",
	    "\"path\": \"native_patched\"",
	    "\"cycles\"",
	    "\"spread\"",
	    "\"guest_insns\"",
	    "\"baselines\"",
	    "\"exit_null_cycles\"",
	    "\"loop_cycles\"",
	    "\"hypercall_host\"",
	    "\"median_ns\"",
	    "\"p99_ns\"",
	    "\"syscalls_per_hypercall\": 1.00",
	    "\"exits_per_hypercall\": 1.00",
	    "\"host_insns_per_hypercall\": 2500.50",
	    "\"launch\"",
	    "\"minivmm_ms\": 4.00",
	    "\"qemu_microvm_kvm_ms\"",
	    "\"minivmm_rss_kib\"",
	    "\"guest_mem_kib\"",
	    "\"patching\"",
	    "\"host_ns_per_site\"",
	    "\"10000\": 30.00",
	    "\"guest_sites\"",
	    "\"guest_patch_cycles\"",
	    "\"live_switch\"",
	    "\"cpus\": 2.00",
	    "\"ipi_roundtrip_cycles\"",
	    "\"sync_cycles\"",
	    "\"switch_idle\"",
	    "\"switch_busy\"",
	    "\"syncs_per_switch\": 3.00",
	    "\"trap_cycles_per_site\"",
	    "\"trap_hits\"",
	    "\"deferrals\"",
	};

	boot_qemu_smp(&r, "tcg", "2", "pvops=native bench bench.switch");
	cr_assert_eq(r.status, 0, "%s", r.out);
	memcpy(guest_log, r.out, sizeof(guest_log));
	body =
	    report_of(guest_log, "machine.cpu=Test CPU\nmachine.kvm=none\n"
				 "machine.environment=nested: a test\n"
				 "machine.nested=1\n"
				 "launch.minivmm.median_ms=4\n"
				 "hypercall.syscalls_per_hypercall=1.000\n"
				 "hypercall.exits_per_hypercall=1.000\n"
				 "hypercall.host_insns_per_hypercall=2500.5\n"
				 "patch.ns_per_site.10000=30\n");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "save_fl"), "no table:\n%s", r.out);
	cr_assert_not_null(strstr(r.out, "syncs per switch"), "%s", r.out);
	/* Nested: the environment named, the counts first, times labelled. */
	cr_assert_not_null(strstr(r.out, "environment: nested: a test\n"
					 "nested under TCG"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "per null hypercall: 1.000 exits, "
					 "1.000 host syscalls, 2500.5 host"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "TCG cycles (not hardware time) per "
					 "call"),
			   "%s", r.out);
	for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		cr_assert_not_null(strstr(body, keys[k]), "no %s in:\n%s",
				   keys[k], body);
	free(body);
	/* On the host's KVM: named so, and no time called TCG's. */
	free(report_of(guest_log,
		       "machine.environment=bare: the host's KVM (svm)\n"
		       "machine.nested=0\n"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(
	    strstr(r.out, "environment: bare: the host's KVM (svm)\n"), "%s",
	    r.out);
	cr_assert_null(strstr(r.out, "TCG"), "%s", r.out);
}

Test(bench, report_refuses_a_log_without_results)
{
	char log[] = "/tmp/minivmm-bench-empty-XXXXXX";
	char *argv[] = {BUILD_DIR "/bench/report",
			log,
			log,
			"/dev/null",
			"/dev/null",
			NULL};

	close(mkstemp(log));
	write_file(log, "RESULT: pass\n");
	spawn_run(argv, &r);
	unlink(log);
	cr_assert_neq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "no BENCH results"), "%s", r.out);
}

Test(bench, hcloop_makes_exactly_n_null_hypercalls)
{
	char *argv[] = {
	    BUILD_DIR "/minivmm",   "--stats", "--cmdline", "hcloop=123",
	    BUILD_DIR "/guest.elf", NULL};

	SKIP_WITHOUT_KVM();
	spawn_run(argv, &r);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "hypercalls: exit=1 null=123 "), "%s",
			   r.out);
	/* One exit per hypercall and nothing else: 123 + the exit. */
	cr_assert_not_null(strstr(r.out, "stats: 124 exits: io=124\n"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "stats: hypercall handling: 123 "
					 "timed"),
			   "%s", r.out);
}

/*
 * The report's numbers from a log whose every value is known: cycles per
 * call are (cycles - loop) / iters for each repetition, then the median
 * over them, spread p75 - p25, the ratio to inline; the baselines, the
 * handling times, the patch summary. Checked value by value.
 */
Test(bench, report_computes_each_value_from_the_log)
{
	char *body;
	static const char *const want[] = {
	    /* per call 10, 11, 12, 13, 14 */
	    "{\"op\": \"save_fl\", \"path\": \"inline\", \"cycles\": 12.0, "
	    "\"spread\": 2.0, \"guest_insns\": 2, \"iters\": 100, "
	    "\"ratio_to_inline\": 1.000}",
	    /* the same values in another order: the same median */
	    "{\"op\": \"save_fl\", \"path\": \"native_patched\", "
	    "\"cycles\": 12.0, \"spread\": 2.0, \"guest_insns\": 2, "
	    "\"iters\": 100, \"ratio_to_inline\": 1.000}",
	    /* per call 5990 .. 6030: median 6010, 6010 / 12 */
	    "{\"op\": \"save_fl\", \"path\": \"hypercall_patched\", "
	    "\"cycles\": 6010.0, \"spread\": 20.0, \"guest_insns\": 9, "
	    "\"iters\": 10, \"ratio_to_inline\": 500.833}",
	    "\"exit_null_cycles\": 5190.00, \"loop_cycles\": 10.00",
	    "\"median_ns\": 500.00, \"p99_ns\": 900.00",
	    "\"guest_sites\": 71.00, \"guest_patch_cycles\": 123456.00",
	    "\"tsc_khz\": 2000000.00",
	};

	body = report_of(
	    "pvops: 71 sites: 71 native, 0 direct, 0 indirect\n"
	    "pvops: mode native; 13 other records: 12 callback, 1 feature "
	    "(1 replaced); patched in 123456 cycles\n"
	    "BENCH begin reps=5 hypervisor=minivmm\n"
	    "BENCH loop iters=100 insns=0 cycles=1000,1000,1000,1000,1000 "
	    "loop=1000,1000,1000,1000,1000\n"
	    "BENCH exit_null iters=10 insns=7 "
	    "cycles=50000,51000,52000,53000,54000 loop=100,100,100,100,100\n"
	    "BENCH op=save_fl path=inline iters=100 insns=2 "
	    "cycles=2000,2100,2200,2300,2400 loop=1000,1000,1000,1000,1000\n"
	    "BENCH op=save_fl path=native_patched iters=100 insns=2 "
	    "cycles=2400,2200,2000,2300,2100 loop=1000,1000,1000,1000,1000\n"
	    "BENCH op=save_fl path=hypercall_patched iters=10 insns=9 "
	    "cycles=60100,60000,60200,60300,60400 loop=100,100,100,100,100\n"
	    "BENCH end\n"
	    "stats: hypercall handling: 10 timed, median 500 ns, p99 900 ns\n"
	    "stats: tsc_khz=2000000\n",
	    "machine.cpu=Test CPU\nmachine.kvm=none\n");
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "empty loop 10 cycles per iteration"),
			   "%s", r.out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(body, want[i]), "no %s in:\n%s",
				   want[i], body);
	free(body);
}

/* The map/unmap workload: cycles and instructions per op from the guest's
 * lines, exits per op from bench.sh's facts, the goal judged per N. */
Test(bench, report_computes_the_map_workload)
{
	char *body;
	static const char *const want[] = {
	    /* median 19200 over 2 iterations of 192 ops: 50 per op */
	    "{\"n\": 64, \"mode\": \"hypercall+lazy\", \"cycles_per_op\": "
	    "50.00, \"guest_insns_per_op\": 100.00, \"exits_per_op\": "
	    "0.015625, \"exits\": 3.00, \"ops\": 192.00, "
	    "\"host_ns_per_exit\": 5000.00}",
	    "{\"n\": 64, \"mode\": \"hypercall\", \"cycles_per_op\": 1000.00, "
	    "\"guest_insns_per_op\": 20.00, \"exits_per_op\": 1.000000",
	};

	body = report_of(
	    "BENCH loop iters=100 insns=0 cycles=1000,1000,1000 "
	    "loop=1000,1000,1000\n"
	    "BENCH op=save_fl path=inline iters=100 insns=2 "
	    "cycles=2000,2100,2200 loop=1000,1000,1000\n"
	    "BENCH map n=64 mode=hypercall iters=2 ops_per_iter=192 "
	    "insns=3840 ops=400 multicalls=0 cycles=384000,390000,380000\n"
	    "BENCH map n=64 mode=hypercall+lazy iters=2 ops_per_iter=192 "
	    "insns=19200 ops=400 multicalls=3 cycles=19000,19200,19400\n",
	    "machine.cpu=Test CPU\n"
	    "map.hypercall.64.exits_per_op=1.000000\n"
	    "map.hypercall.64.exits=192\nmap.hypercall.64.ops=192\n"
	    "map.hypercall.64.host_ns_per_exit=400\n"
	    "map.hypercall_lazy.64.exits_per_op=0.015625\n"
	    "map.hypercall_lazy.64.exits=3\nmap.hypercall_lazy.64.ops=192\n"
	    "map.hypercall_lazy.64.host_ns_per_exit=5000\n");
	cr_assert_eq(r.status, 0, "%s", r.out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(body, want[i]), "no %s in:\n%s",
				   want[i], body);
	cr_assert_not_null(strstr(r.out, "goal, N=64: hypercall+lazy 0.0156 "
					 "exits per op (<= 0.0312: met), "
					 "0.050 of hypercall's cycles per op "
					 "(<= 0.1: met)"),
			   "%s", r.out);
	free(body);
}
