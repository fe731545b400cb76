/*
 * qmail-queue-standin: a TEST STAND-IN for qmail-queue, which Debian does
 * not package.  It keeps notqmail's and netqmail's qmail-queue.c where the
 * toolkit meets it: the message on fd 0, read to its end first, then the
 * envelope on fd 1 ("F" sender \0, "T" recipient \0 for each, then \0;
 * no recipient at all is queued as qmail-queue queues it); its own
 * Received line on top ("(qmail PID invoked from network)" when run as
 * the user $STANDIN_QMAILD names, default root, as qmail-smtpd runs under
 * Plesk's xinetd; "invoked by uid N" otherwise); the message into the
 * queue $STANDIN_QUEUE as qmail-queue leaves it (mess/, intd/ with
 * u<uid> and p<pid>, todo/); and its exit codes: 0 queued, 54 the message
 * or the envelope ended early (so a caller that closes the envelope
 * without its last \0 queues nothing), 91 a record that does not start
 * with F or T, 11 an address of 1,003 bytes or more (ADDR), 53 unable to
 * write.  Nothing is left in the queue when it fails.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qwrite.h"

#define ADDR	1003	/* qmail-queue.c: an address and its \0 */

static char *
slurp(int fd, size_t *len)
{
	char	*b = NULL, *nb;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(b, cap)) == NULL)
				exit(51);
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			exit(54);
		}
		n += (size_t)r;
	}
	*len = n;
	return b;
}

int
main(void)
{
	const char	*qdir = getenv("STANDIN_QUEUE"), *qmaild;
	struct passwd	*pw;
	struct qw_rcpt	 r[1024];
	struct stat	 st;
	char		*mess, *env, *full, *p, *q, *end, path[1024], date[64];
	size_t		 mlen, elen, hlen;
	unsigned int	 split = 0;
	int		 nr = 0, network;
	time_t		 t = time(NULL);

	if (qdir == NULL)
		exit(55);
	mess = slurp(0, &mlen);
	env = slurp(1, &elen);
	/* the envelope, read as qmail-queue reads it, a byte at a time */
	if (elen < 1)
		exit(54);
	if (env[0] != 'F')
		exit(91);
	p = env;
	end = env + elen;
	for (;;) {
		size_t	alen;

		if ((q = memchr(p + 1, '\0', (size_t)(end - p - 1))) == NULL) {
			if ((size_t)(end - p - 1) >= ADDR)
				exit(11);
			exit(54);
		}
		alen = (size_t)(q - p - 1);
		if (alen >= ADDR)
			exit(11);
		if (p != env) {
			if (nr == 1024)
				exit(51);
			r[nr].addr = p + 1;
			r[nr].remote = 0;
			r[nr++].done = 0;
		}
		p = q + 1;
		if (p == end)
			exit(54);	/* no final \0 */
		if (*p == '\0')
			break;
		if (*p != 'T')
			exit(91);
	}
	qmaild = getenv("STANDIN_QMAILD");
	pw = getpwnam(qmaild ? qmaild : "root");
	network = pw != NULL && pw->pw_uid == getuid();
	strftime(date, sizeof(date), "%d %b %Y %H:%M:%S -0000", gmtime(&t));
	if ((full = malloc(mlen + 128)) == NULL)
		exit(51);
	if (network)
		hlen = (size_t)snprintf(full, 128, "Received: (qmail %ld invoked "
		    "from network); %s\n", (long)getpid(), date);
	else
		hlen = (size_t)snprintf(full, 128, "Received: (qmail %ld invoked "
		    "by uid %lu); %s\n", (long)getpid(), (unsigned long)getuid(),
		    date);
	memcpy(full + hlen, mess, mlen);
	for (;; split++) {
		snprintf(path, sizeof(path), "%s/mess/%u", qdir, split);
		if (stat(path, &st) == -1)
			break;
	}
	/* not yet preprocessed: mess/, intd/ and todo/, as qmail-queue
	 * leaves a message for qmail-send */
	if (qwrite(qdir, split ? split : 1, 0, full, hlen + mlen, env + 1, r,
	    nr, 0, 1, 0) == -1)
		exit(53);
	free(full);
	free(env);
	free(mess);
	return 0;
}
