// The raw spawn floor: posix_spawn (and fork+exec) of /bin/true, then waitpid, in microseconds.
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b) {
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	int runs = argc > 1 ? atoi(argv[1]) : 500;
	double *spawn = malloc(sizeof(double) * runs), *forked = malloc(sizeof(double) * runs);
	char *args[] = { "/bin/true", NULL };
	for (int i = 0; i < runs; i++) {
		pid_t pid;
		int status;
		double start = now_us();
		posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
		waitpid(pid, &status, 0);
		spawn[i] = now_us() - start;
		start = now_us();
		pid = fork();
		if (pid == 0) {
			execve("/bin/true", args, environ);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		forked[i] = now_us() - start;
	}
	qsort(spawn, runs, sizeof(double), compare);
	qsort(forked, runs, sizeof(double), compare);
	printf("{\"posix_spawn_median_us\": %.1f, \"posix_spawn_p99_us\": %.1f, \"fork_exec_median_us\": %.1f, "
		"\"fork_exec_p99_us\": %.1f}\n", spawn[runs / 2], spawn[runs * 99 / 100], forked[runs / 2],
		forked[runs * 99 / 100]);
	return 0;
}
