/*
 * poplock: stamp "this address logged in" for relaygate's
 * POP-before-SMTP, then exec the rest of the login chain.  With -c,
 * remove expired stamps instead (for cron).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/client.h"
#include "lib/log.h"
#include "lib/stage.h"
#include "lib/stamp.h"

#define USAGE "usage: poplock -p dir [-l syslog|stderr] prog [args ...]\n" \
    "       poplock -p dir [-e seconds] -c"

static int
clean(const char *dir, unsigned int expire)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	time_t		 now = time(NULL);
	unsigned long	 removed = 0, kept = 0;
	int		 dfd, rc = 0;

	if ((d = opendir(dir)) == NULL)
		log_fatalsys(111, "unable to open %s", dir);
	dfd = dirfd(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!stamp_name_valid(de->d_name))
			continue;	/* ".", "..", and anything not ours */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				rc = 111;
			continue;
		}
		if (stamp_fresh(st.st_mtime, now, expire)) {
			kept++;
			continue;
		}
		if (unlinkat(dfd, de->d_name, 0) == -1 && errno != ENOENT) {
			log_line("warning: unable to remove %s/%s: %s", dir,
			    de->d_name, strerror(errno));
			rc = 111;
			continue;
		}
		removed++;
	}
	if (errno != 0)
		log_fatalsys(111, "unable to read %s", dir);
	closedir(d);
	log_line("%s: removed %lu expired stamps, kept %lu", dir, removed,
	    kept);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct client	 c;
	const char	*dir = NULL;
	char		 addr[IP_FMTLEN];
	unsigned int	 expire = STAMP_EXPIRE;
	int		 ch, cleanup = 0;

	log_init("poplock", LOG_TO_AUTO);
	while ((ch = getopt(argc, argv, "+ce:hl:p:")) != -1) {
		switch (ch) {
		case 'c':
			cleanup = 1;
			break;
		case 'e':
			expire = (unsigned int)stage_number("-e", optarg, 1,
			    STAMP_EXPIRE_MAX);
			break;
		case 'h':
			puts(USAGE);
			return 0;
		case 'l':
			stage_logopt("poplock", optarg);
			break;
		case 'p':
			dir = optarg;
			break;
		default:
			stage_usage(USAGE);
		}
	}
	argv += optind;
	if (dir == NULL || (cleanup && argv[0] != NULL) ||
	    (!cleanup && argv[0] == NULL))
		stage_usage(USAGE);
	if (cleanup)
		return clean(dir, expire);

	/*
	 * The login already succeeded: a stamp that cannot be written costs
	 * the user POP-before-SMTP, not the mailbox.
	 */
	if (client_get(&c) == -1)
		log_line("warning: no client address: not stamped");
	else {
		ip_fmt(&c.remote, addr, sizeof(addr));
		switch (stamp_write(dir, &c.remote)) {
		case 0:
			log_line("stamped %s", addr);
			break;
		case STAMP_OPENDIR:
			log_line("warning: %s not stamped: %s is writable by "
			    "group or others, so relaygate honours no stamp "
			    "in it", addr, dir);
			break;
		case STAMP_FOREIGN:
			log_line("warning: stamped %s as uid %lu, but %s "
			    "belongs to another user: relaygate honours only "
			    "its owner's stamps", addr,
			    (unsigned long)geteuid(), dir);
			break;
		default:
			log_line("warning: unable to stamp %s in %s: %s", addr,
			    dir, strerror(errno));
		}
	}
	stage_exec(argv);
}
