/*
 * qmail-queue-standin: a TEST STAND-IN for qmail-queue, which Debian does
 * not package.  It keeps qmail-queue's interface where the toolkit meets
 * it: the message on fd 0, read to its end first, then the envelope on
 * fd 1 ("F" sender \0, "T" recipient \0 for each, then \0); its own
 * Received line on top ("(qmail PID invoked from network)" when run as
 * the user $STANDIN_QMAILD names, default root, as qmail-smtpd runs under
 * Plesk's xinetd; "invoked by uid N" otherwise); the message into the
 * queue $STANDIN_QUEUE as qmail-queue leaves it (mess/, intd/, todo/);
 * and its exit codes: 0 queued, 54 unable to read the message or the
 * envelope, 91 an envelope that is not one (nothing is left in the queue
 * then), 11 an address over 1000 bytes, 53 unable to write.
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

#define ADDRMAX	1000

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
	char		*mess, *env, *full, *p, *end, path[1024], date[64];
	size_t		 mlen, elen, hlen;
	unsigned int	 split = 0;
	int		 nr = 0, network;
	time_t		 t = time(NULL);

	if (qdir == NULL)
		exit(55);
	mess = slurp(0, &mlen);
	env = slurp(1, &elen);
	/* the envelope: F sender \0 (T rcpt \0)* \0, nothing after */
	if (elen < 3 || env[0] != 'F' || env[elen - 1] != '\0')
		exit(91);
	p = env;
	end = env + elen - 1;	/* the final \0 */
	if (strlen(p) > ADDRMAX + 1)
		exit(11);
	p += strlen(p) + 1;
	while (p < end) {
		if (*p != 'T' || nr == 1024)
			exit(91);
		if (strlen(p) > ADDRMAX + 1)
			exit(11);
		r[nr].addr = p + 1;
		r[nr].remote = 0;
		r[nr++].done = 0;
		p += strlen(p) + 1;
	}
	if (p != end || nr == 0)
		exit(91);
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
