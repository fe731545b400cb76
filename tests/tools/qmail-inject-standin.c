/*
 * qmail-inject-standin: a TEST STAND-IN for qmail-inject, which Debian
 * does not package, where the toolkit meets it: a local user's program
 * (a web script's sendmail) handing a message to the queue through
 * qmail.c, as notqmail's qmail-inject does.
 *
 *   qmail-inject-standin [-f sender] recipient ...
 *
 * The message on fd 0 goes to the queue program as it is (qmail-inject's
 * header rewriting is left out); the queue program is $QMAILQUEUE, else
 * $STANDIN_QMAILDIR/bin/qmail-queue, run by qmail_open() with the message
 * on its fd 0 and "F" sender \0, "T" recipient \0 each, \0 on its fd 1.
 * Its refusal is qmail-inject's: "qmail-inject: fatal: " and
 * qmail_close()'s text on fd 2, exit 100 when permanent, 111 otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qqopen.h"

static int
put(int fd, const char *s, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*sender = "", *qq = getenv("QMAILQUEUE"), *dir, *qqx;
	char		 buf[65536], path[1024];
	ssize_t		 r;
	int		 ch, fdm, fde, wstat, bad = 0, i;
	pid_t		 pid;

	while ((ch = getopt(argc, argv, "f:")) != -1) {
		if (ch != 'f') {
			fprintf(stderr, "usage: qmail-inject-standin [-f sender] "
			    "recipient ...\n");
			return 100;
		}
		sender = optarg;
	}
	if (qq == NULL) {
		dir = getenv("STANDIN_QMAILDIR");
		snprintf(path, sizeof(path), "%s/bin/qmail-queue", dir ? dir :
		    "/var/qmail");
		qq = path;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((pid = qq_open(qq, &fdm, &fde)) == -1) {
		fprintf(stderr, "qmail-inject: fatal: unable to run "
		    "qmail-queue\n");
		return 111;
	}
	/* qmail_put()s of the message, then qmail_from() closes it */
	while ((r = read(0, buf, sizeof(buf))) > 0 || (r == -1 &&
	    errno == EINTR))
		if (r > 0 && !bad && put(fdm, buf, (size_t)r) == -1)
			bad = 1;
	close(fdm);
	if (put(fde, "F", 1) == -1 || put(fde, sender, strlen(sender) + 1) ==
	    -1)
		bad = 1;
	for (i = optind; i < argc && !bad; i++)
		if (put(fde, "T", 1) == -1 ||
		    put(fde, argv[i], strlen(argv[i]) + 1) == -1)
			bad = 1;
	if (!bad)
		put(fde, "", 1);
	close(fde);
	while (waitpid(pid, &wstat, 0) == -1)
		if (errno != EINTR)
			return 111;
	qqx = qq_reply(wstat);
	if (*qqx == '\0')
		return 0;
	fprintf(stderr, "qmail-inject: fatal: %s\n", qqx + 1);
	return *qqx == 'D' ? 100 : 111;
}
