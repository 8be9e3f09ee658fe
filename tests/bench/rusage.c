/* rusage.c: run a command and write its peak RSS (KiB) and CPU seconds
 * (user, system; the command's reaped children included) to a file.
 * The bench's Python driver cannot measure peak RSS itself: a child it
 * forks starts with the interpreter's resident size as its high-water mark.
 *	rusage OUTFILE COMMAND [ARG...]		exit status: the command's */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss,
		    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
