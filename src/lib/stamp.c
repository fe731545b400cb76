/*
 * stamp.c: "this address logged in by POP3 or IMAP lately".  A stamp is an
 * empty file in the stamp directory, named after the canonical text of the
 * address; its mtime is the time of the login.  Names are produced by
 * inet_ntop from a parsed address, so they hold no '/' and no "..".
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stamp.h"

/* A stamp made at mtime is fresh at now when it is at most expire old. */
int
stamp_fresh(time_t mtime, time_t now, unsigned int expire)
{
	if (mtime > now + STAMP_SKEW)
		return 0;	/* from the future: not trusted */
	return now - mtime <= (time_t)expire;
}

/*
 * 1: fresh stamp (its age in *age), 0: none or expired, -1: cannot tell
 * (errno set).
 */
int
stamp_check(const char *dir, const struct ip *ip, time_t now,
    unsigned int expire, long *age)
{
	char		path[4096], name[IP_FMTLEN];
	struct stat	st;
	int		n;

	ip_fmt(ip, name, sizeof(name));
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(path, &st) == -1)
		return (errno == ENOENT || errno == ENOTDIR) ? 0 : -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	*age = (long)(now - st.st_mtime);
	return stamp_fresh(st.st_mtime, now, expire);
}

/* Create or refresh the stamp; safe with any number of writers. */
int
stamp_write(const char *dir, const struct ip *ip)
{
	char	name[IP_FMTLEN];
	int	dfd, fd, saved;

	ip_fmt(ip, name, sizeof(name));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	saved = errno;
	close(dfd);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	if (futimens(fd, NULL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* Only names that are the canonical form of an address are stamps. */
int
stamp_name_valid(const char *name)
{
	struct ip	ip;
	char		canon[IP_FMTLEN];

	if (ip_parse(&ip, name) == -1)
		return 0;
	ip_fmt(&ip, canon, sizeof(canon));
	return strcmp(canon, name) == 0;
}
