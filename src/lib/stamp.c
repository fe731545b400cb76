/*
 * stamp.c: "this address logged in by POP3 or IMAP lately".  A stamp is an
 * empty file in the stamp directory, named after the canonical text of the
 * address; its mtime is the time of the login.  Names are produced by
 * inet_ntop from a parsed address, so they hold no '/' and no "..".
 *
 * Who may stamp: the owner of the directory (and root), nobody else.
 * poplock runs after checkpassword has switched to the mailbox user, which
 * is one uid for every mailbox on Plesk (popuser) and vpopmail (vpopmail);
 * the directory belongs to that uid, mode 0755.  A directory that a group
 * or everyone may write lets any local account touch an address into a
 * relay client, so its stamps are not honoured at all; nor is a stamp
 * owned by anyone but the directory's owner or root.  The directory is
 * opened without following a symlink and judged by what was opened.
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

/* The stamp directory, opened; -1 (errno set) when it is missing. */
static int
dir_open(const char *dir, struct stat *st)
{
	int	dfd, saved;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(dfd, st) == -1) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	return dfd;
}

/*
 * STAMP_FRESH (its age in *age), STAMP_NONE (none, expired, or not a
 * plain file), STAMP_OPENDIR (the directory is writable by group or
 * others: no stamp in it counts), STAMP_FOREIGN (owned by *owner, not by
 * the directory's owner or root), STAMP_ERROR (cannot tell, errno set).
 */
int
stamp_check(const char *dir, const struct ip *ip, time_t now,
    unsigned int expire, long *age, uid_t *owner)
{
	char		name[IP_FMTLEN];
	struct stat	dst, st;
	int		dfd, rc, saved;

	ip_fmt(ip, name, sizeof(name));
	if ((dfd = dir_open(dir, &dst)) == -1)
		return (errno == ENOENT || errno == ENOTDIR) ? STAMP_NONE :
		    STAMP_ERROR;
	if ((dst.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(dfd);
		return STAMP_OPENDIR;
	}
	rc = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
	saved = errno;
	close(dfd);
	if (rc == -1) {
		errno = saved;
		return errno == ENOENT ? STAMP_NONE : STAMP_ERROR;
	}
	if (!S_ISREG(st.st_mode))
		return STAMP_NONE;
	if (st.st_uid != dst.st_uid && st.st_uid != 0) {
		*owner = st.st_uid;
		return STAMP_FOREIGN;
	}
	*age = (long)(now - st.st_mtime);
	return stamp_fresh(st.st_mtime, now, expire) ? STAMP_FRESH :
	    STAMP_NONE;
}

/*
 * Create or refresh the stamp; safe with any number of writers.  0 when
 * relaygate will honour it; STAMP_OPENDIR (not written), STAMP_FOREIGN
 * (written as a user relaygate does not trust here), so the caller can
 * say why; STAMP_ERROR (errno set).
 */
int
stamp_write(const char *dir, const struct ip *ip)
{
	char		name[IP_FMTLEN];
	struct stat	dst;
	int		dfd, fd, saved;
	uid_t		me = geteuid();

	ip_fmt(ip, name, sizeof(name));
	if ((dfd = dir_open(dir, &dst)) == -1)
		return STAMP_ERROR;
	if ((dst.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(dfd);
		return STAMP_OPENDIR;
	}
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	saved = errno;
	close(dfd);
	if (fd == -1) {
		errno = saved;
		return STAMP_ERROR;
	}
	if (futimens(fd, NULL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return STAMP_ERROR;
	}
	if (close(fd) == -1)
		return STAMP_ERROR;
	return (me == dst.st_uid || me == 0) ? 0 : STAMP_FOREIGN;
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
