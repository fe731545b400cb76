/*
 * relaygate-rules: compile relay rules into the cdb relaygate reads.
 * tcprules' calling convention: the new database is written to tmp,
 * fsync'd and renamed over cdb; any bad line leaves cdb as it was.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/rules.h"

#define USAGE "usage: relaygate-rules rules.cdb rules.tmp < rules.txt\n" \
    "       relaygate-rules -d rules.cdb"

static void
usage(void)
{
	fprintf(stderr, "%s\n", USAGE);
	exit(100);
}

int
main(int argc, char *argv[])
{
	const char	*cdb, *tmp;
	int		 ch, dump = 0, fd, rc;

	while ((ch = getopt(argc, argv, "dh")) != -1) {
		switch (ch) {
		case 'd':
			dump = 1;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (dump) {
		if (argc != 1)
			usage();
		if (rules_dump(argv[0], stdout) == -1)
			errx(errno == ENOENT ? 100 : 111, "fatal: unable to "
			    "read %s: %s", argv[0], errno == EPROTO ?
			    "not a relaygate-rules database" : strerror(errno));
		if (fflush(stdout) == EOF)
			err(111, "fatal: unable to write output");
		return 0;
	}
	if (argc != 2)
		usage();
	cdb = argv[0];
	tmp = argv[1];

	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		err(111, "fatal: unable to create %s", tmp);
	rc = rules_compile(stdin, "stdin", fd, stderr);
	if (rc != 0) {
		int saved = errno;

		unlink(tmp);
		if (rc == -1)
			errx(111, "fatal: unable to write %s: %s", tmp,
			    strerror(saved));
		errx(100, "fatal: bad rules: %s left unchanged", cdb);
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		unlink(tmp);
		err(111, "fatal: unable to write %s", tmp);
	}
	if (rename(tmp, cdb) == -1) {
		unlink(tmp);
		err(111, "fatal: unable to move %s to %s", tmp, cdb);
	}
	return 0;
}
