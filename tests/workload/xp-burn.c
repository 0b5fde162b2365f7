/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xp-burn: a CPU-bound workload whose functions' shares are fixed by
 * construction, for the demo, the end-to-end tests and the benchmarks.
 *
 *   xp-burn [-c CPU] [-j JOBS] [-p FILE] [-s] SECONDS NAME=WEIGHT...
 *
 * NAME is one of alpha, beta, gamma, delta, epsilon; each runs the same loop
 * body WEIGHT times per round, so its share of the program's CPU time is
 * WEIGHT / sum(WEIGHT).  -j runs JOBS processes in parallel.  -s runs the
 * work in short-lived processes (a new one every ~10 ms), where a profiler
 * that drops the maps of exited processes too early loses samples.  -c
 * moves the process to CPU before it forks the jobs: started on another cpu
 * (taskset -c 1 xp-burn -c 0 ...), its exec and its forks are recorded in
 * different cpus' rings, within a millisecond.  -p appends the pid of
 * every process of the workload (its own, the jobs', the short-lived ones')
 * to FILE, one a line, so that a test of a system-wide profile can select
 * exactly the workload's samples.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_setaffinity, CPU_SET */
#endif

#include <sys/prctl.h>
#include <sys/wait.h>

#include <sched.h>

#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNIT	2000	/* loop iterations per weight unit: ~a few µs */

static volatile unsigned long sink;

#define BODY(n) do {						\
	unsigned long x = sink;					\
	for (unsigned long i = 0; i < (n); i++)			\
		x = x * 6364136223846793005ul + 1442695040888963407ul;	\
	sink = x;						\
} while (0)

/* Global (not static) so that their symbols keep their names in every build. */
void work_alpha(unsigned long n);
void work_beta(unsigned long n);
void work_gamma(unsigned long n);
void work_delta(unsigned long n);
void work_epsilon(unsigned long n);

__attribute__((noinline)) void work_alpha(unsigned long n) { BODY(n); }
__attribute__((noinline)) void work_beta(unsigned long n) { BODY(n); }
__attribute__((noinline)) void work_gamma(unsigned long n) { BODY(n); }
__attribute__((noinline)) void work_delta(unsigned long n) { BODY(n); }
__attribute__((noinline)) void work_epsilon(unsigned long n) { BODY(n); }

static const struct {
	const char *name;
	void (*fn)(unsigned long);
} works[] = {
	{ "alpha", work_alpha }, { "beta", work_beta }, { "gamma", work_gamma },
	{ "delta", work_delta }, { "epsilon", work_epsilon },
};
#define NWORKS (sizeof(works) / sizeof(works[0]))

static unsigned long weight[NWORKS];
static FILE *pidfile;

/* -p: note this process in the pid file (line-buffered, O_APPEND: one write a line). */
static void
note_pid(void)
{
	if (pidfile != NULL) {
		fprintf(pidfile, "%d\n", (int)getpid());
		fflush(pidfile);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run(double seconds)
{
	double end = now() + seconds;

	do {
		for (size_t i = 0; i < NWORKS; i++)
			if (weight[i])
				works[i].fn(weight[i] * UNIT);
	} while (now() < end);
}

static void
usage(void)
{
	fprintf(stderr, "usage: xp-burn [-c CPU] [-j JOBS] [-p FILE] [-s] SECONDS NAME=WEIGHT...\n"
	    "NAME: alpha beta gamma delta epsilon\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int c, jobs = 1, shortlived = 0, cpu = -1;
	double seconds;

	while ((c = getopt(argc, argv, "c:j:p:s")) != -1) {
		switch (c) {
		case 'c':
			cpu = atoi(optarg);
			if (cpu < 0 || cpu >= CPU_SETSIZE)
				usage();
			break;
		case 'j':
			jobs = atoi(optarg);
			if (jobs < 1 || jobs > 256)
				usage();
			break;
		case 'p':
			if ((pidfile = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		case 's':
			shortlived = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	seconds = atof(argv[optind++]);
	if (seconds <= 0 || seconds > 3600)
		usage();
	for (; optind < argc; optind++) {
		char *eq = strchr(argv[optind], '=');
		size_t i;

		if (eq == NULL)
			usage();
		*eq = '\0';
		for (i = 0; i < NWORKS; i++)
			if (strcmp(argv[optind], works[i].name) == 0)
				break;
		if (i == NWORKS)
			usage();
		weight[i] = strtoul(eq + 1, NULL, 10);
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) == -1) {
			perror("xp-burn: -c: sched_setaffinity");
			return 1;
		}
	}
	note_pid();
	for (int j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			/* A test that kills xp-burn must not leave its workers burning. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			note_pid();
			if (!shortlived) {
				run(seconds);
				_exit(0);
			}
			/* A chain of short-lived processes, each ~10 ms of work. */
			double end = now() + seconds;

			while (now() < end) {
				pid_t k = fork();

				if (k == 0) {
					note_pid();
					run(0.01);
					_exit(0);
				}
				if (k > 0)
					waitpid(k, NULL, 0);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
