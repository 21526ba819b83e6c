/*
 * timeit.c - time one shell command inside the benchmark guest.
 *
 * Usage: timeit 'COMMAND'
 *
 * Runs COMMAND with /bin/sh -c, waits for it, and prints one line
 *
 *     BENCH_TIME elapsed=<s> user=<s> sys=<s> status=<n>
 *
 * The clock is read with the clock_gettime system call itself, not through
 * the vDSO: the vDSO reads the `time` CSR from U-mode, which depends on the
 * VMM and kernel letting U-mode read it (scounteren), and the benchmark must
 * time the same way under every VMM. CLOCK_MONOTONIC inside the guest is
 * driven by the VMM's 10 MHz timebase, which both QEMU and rvisor derive
 * from the host's monotonic clock; bench/run cross-checks it against the
 * host's wall clock.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0) {
		perror("timeit: clock_gettime");
		exit(125);
	}
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: timeit 'COMMAND'\n");
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 125;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", argv[1], (char *)NULL);
		perror("timeit: exec /bin/sh");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("timeit: wait4");
		return 125;
	}
	t1 = now();
	printf("BENCH_TIME elapsed=%.6f user=%.3f sys=%.3f status=%d\n",
	       t1 - t0, tv(ru.ru_utime), tv(ru.ru_stime),
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
