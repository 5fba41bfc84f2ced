// Refork latency to the first instruction, and its floor.
//
//   refork worker
//     A worker that stamps the moment its main() starts (CLOCK_MONOTONIC, the clock of Java's
//     System.nanoTime) and writes "<pid> <ns>\n" to the FIFO named by $STAMP_FIFO, then waits to be
//     killed. The pool's benchmark (LauncherBench) runs it under each launcher.
//
//   refork floor <workers> <kills> <fifo> [wrapper...]
//     The floor of the same measure: a C master keeps <workers> of those workers, started with a
//     plain posix_spawn (through [wrapper...], e.g. setpriv --pdeathsig KILL --, if given), SIGKILLs
//     one at a time, reaps it with waitpid and spawns its replacement. Prints the SIGKILL -> stamp
//     latency, median and p99, as JSON.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int worker(void) {
	long long stamp = now_ns();
	const char *fifo = getenv("STAMP_FIFO");
	if (fifo == NULL) {
		return 2;
	}
	int fd = open(fifo, O_WRONLY);
	if (fd < 0) {
		return 3;
	}
	char line[64];
	int length = snprintf(line, sizeof line, "%d %lld\n", (int) getpid(), stamp);
	if (write(fd, line, length) != length) {
		return 4;
	}
	close(fd);
	for (;;) {
		pause();
	}
}

static int compare(const void *a, const void *b) {
	long long x = *(const long long *) a, y = *(const long long *) b;
	return (x > y) - (x < y);
}

static pid_t spawn(char **argv) {
	pid_t pid;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		perror("posix_spawn");
		exit(1);
	}
	return pid;
}

// Reads one "<pid> <ns>" line from the FIFO (lines are written whole: each is below PIPE_BUF).
static long long read_stamp(FILE *in, pid_t *pid) {
	int p;
	long long stamp;
	if (fscanf(in, "%d %lld", &p, &stamp) != 2) {
		fprintf(stderr, "bad stamp\n");
		exit(1);
	}
	*pid = p;
	return stamp;
}

static int floor_run(int workers, int kills, const char *fifo, int wrappers, char **wrapper, const char *self) {
	char *argv[32];
	int n = 0;
	for (int i = 0; i < wrappers; i++) {
		argv[n++] = wrapper[i];
	}
	argv[n++] = (char *) self;
	argv[n++] = "worker";
	argv[n] = NULL;
	setenv("STAMP_FIFO", fifo, 1);
	// Read and write, so that opening never blocks and the FIFO never reads as ended.
	FILE *in = fopen(fifo, "r+");
	if (in == NULL) {
		perror(fifo);
		return 1;
	}
	pid_t *pids = malloc(sizeof(pid_t) * workers);
	for (int i = 0; i < workers; i++) {
		pids[i] = spawn(argv);
		pid_t stamped;
		read_stamp(in, &stamped);
	}
	long long *latency = malloc(sizeof(long long) * kills);
	for (int k = 0; k < kills; k++) {
		int slot = k % workers;
		long long killed = now_ns();
		kill(pids[slot], SIGKILL);
		waitpid(pids[slot], NULL, 0);
		pids[slot] = spawn(argv);
		pid_t stamped;
		latency[k] = read_stamp(in, &stamped) - killed;
		struct timespec pause = { 0, 10 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	for (int i = 0; i < workers; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	qsort(latency, kills, sizeof(long long), compare);
	printf("{\"kills\": %d, \"medianMs\": %.3f, \"p99Ms\": %.3f}\n", kills, latency[kills / 2] / 1e6,
		latency[(kills * 99 + 99) / 100 - 1] / 1e6);
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 2 && strcmp(argv[1], "worker") == 0) {
		return worker();
	}
	if (argc >= 5 && strcmp(argv[1], "floor") == 0) {
		char self[4096];
		ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
		if (length < 0) {
			return 1;
		}
		self[length] = '\0';
		return floor_run(atoi(argv[2]), atoi(argv[3]), argv[4], argc - 5, argv + 5, self);
	}
	fprintf(stderr, "usage: refork worker | refork floor <workers> <kills> <fifo> [wrapper...]\n");
	return 2;
}
