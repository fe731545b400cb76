/*
 * spawn: per-connection cost of a chain stage.  Makes one loopback TCP
 * connection and hands the server's end to each child as fd 0 (as xinetd
 * does), then runs each command line N times in alternating rounds and
 * prints the median microseconds per run of each.
 *
 *   spawn N ROUNDS -- cmd1 args -- cmd2 args ...
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD	8
#define MAXROUND 64

static int
loopback_conn(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			l, c, s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1 ||
	    (c = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (s = accept(l, NULL, NULL)) == -1)
		err(111, "loopback connection");
	close(l);
	return s;	/* c stays open so the peer address stays valid */
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	char	**cmd[MAXCMD];
	double	  t[MAXCMD][MAXROUND], t0;
	int	  n, rounds, ncmd = 0, i, r, k, sock, devnull, status;
	pid_t	  pid;

	if (argc < 5 || strcmp(argv[3], "--") != 0)
		errx(100, "usage: spawn N ROUNDS -- cmd ... [-- cmd ...]");
	n = atoi(argv[1]);
	rounds = atoi(argv[2]);
	if (n < 1 || rounds < 1 || rounds > MAXROUND)
		errx(100, "bad N or ROUNDS");
	for (i = 3; i < argc && ncmd < MAXCMD; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			cmd[ncmd++] = argv + i + 1;
		}
	sock = loopback_conn();
	if ((devnull = open("/dev/null", O_WRONLY)) == -1)
		err(111, "/dev/null");
	for (r = 0; r < rounds; r++)
		for (k = 0; k < ncmd; k++) {
			t0 = now();
			for (i = 0; i < n; i++) {
				if ((pid = fork()) == -1)
					err(111, "fork");
				if (pid == 0) {
					dup2(sock, 0);
					dup2(devnull, 1);
					dup2(devnull, 2);
					execv(cmd[k][0], cmd[k]);
					_exit(127);
				}
				if (waitpid(pid, &status, 0) == -1 ||
				    !WIFEXITED(status) || WEXITSTATUS(status))
					errx(111, "%s failed: status %d",
					    cmd[k][0], status);
			}
			t[k][r] = (now() - t0) / n;
		}
	for (k = 0; k < ncmd; k++) {
		qsort(t[k], (size_t)rounds, sizeof(double), cmp);
		printf("%.1f\n", t[k][rounds / 2]);
	}
	return 0;
}
