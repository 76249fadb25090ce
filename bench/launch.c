// SPDX-License-Identifier: MIT
/*
 * launch.c: launch-to-exit wall time and peak RSS of a command, over
 * several runs: usage `launch RUNS STATUS CMD [ARG...]`. Each run is
 * fork + exec + wait4, timed with CLOCK_MONOTONIC; the child's peak RSS
 * comes from wait4's rusage. Every run must exit with STATUS. Prints
 * median_ms=, min_ms=, max_ms= and rss_kib= (the median peak), a line
 * each, for bench/bench.sh to collect.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double ms[MAX_RUNS], rss[MAX_RUNS];
	int runs, want;

	if (argc < 4 || (runs = atoi(argv[1])) < 1 || runs > MAX_RUNS)
		errx(64, "usage: launch RUNS STATUS CMD [ARG...]");
	want = atoi(argv[2]);
	for (int i = 0; i < runs; i++) {
		struct rusage ru;
		int status;
		double t0 = now_ms();
		pid_t pid = fork();

		if (pid < 0)
			err(71, "fork");
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1); /* the guest's console is not timed */
			execvp(argv[3], argv + 3);
			err(127, "exec %s", argv[3]);
		}
		if (wait4(pid, &status, 0, &ru) != pid)
			err(71, "wait4");
		ms[i] = now_ms() - t0;
		rss[i] = (double)ru.ru_maxrss;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
			errx(
			    1, "%s exited with status %d, expected %d", argv[3],
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1, want);
	}
	qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_double);
	qsort(rss, (size_t)runs, sizeof(rss[0]), cmp_double);
	printf("median_ms=%.3f\nmin_ms=%.3f\nmax_ms=%.3f\nrss_kib=%.0f\n",
	       ms[runs / 2], ms[0], ms[runs - 1], rss[runs / 2]);
	return 0;
}
