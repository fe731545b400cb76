/* maxrss: run a command, print its peak resident set size in KB. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct rusage	ru;
	int		status, fd;
	pid_t		pid;

	if (argc < 2)
		errx(100, "usage: maxrss command ...");
	if ((pid = fork()) == -1)
		err(111, "fork");
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 1);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1)
		err(111, "wait4");
	printf("%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
