/*
 * afile.c: files that other processes read (/etc/services, xinetd
 * files, units) are written to a temporary file in the same directory,
 * flushed to disk and renamed over the old one, which keeps its mode and
 * owner.  A reader sees the old file or the new one, never half of one.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"

/* The whole file, NUL-terminated (len excludes the NUL); NULL on error. */
char *
afile_read(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* 1 when path holds exactly data. */
int
afile_same(const char *path, const void *data, size_t len)
{
	size_t	 have;
	char	*old = afile_read(path, &have);
	int	 same;

	if (old == NULL)
		return 0;
	same = have == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

int
afile_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct stat	 st;
	char		 tmp[4096], dirbuf[4096], *dir;
	const char	*slash = strrchr(path, '/');
	int		 fd, dfd, exists, saved;
	ssize_t		 w;
	size_t		 off = 0;

	exists = stat(path, &st) == 0;
	/* a dotted name: xinetd's includedir and our own loader skip it */
	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp%ld",
		    (int)(slash - path), path, slash + 1, (long)getpid());
	else
		snprintf(tmp, sizeof(tmp), ".%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	while (off < len) {
		if ((w = write(fd, (const char *)data + off, len - off)) <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, exists ? st.st_mode & 07777 : mode) == -1 ||
	    (exists && fchown(fd, st.st_uid, st.st_gid) == -1) ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	strlcpy(dirbuf, path, sizeof(dirbuf));
	dir = dirname(dirbuf);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
