/*
 * qwrite.h: TEST HELPER.  Writes one message into a qmail queue in
 * qmail's on-disk format, as qmail-queue and then qmail-send would have
 * left it: mess/S/ID named after its inode, and either info/S/ID with
 * local/S/ID and remote/S/ID (preprocessed), or intd/ and todo/ entries
 * (not yet preprocessed; split under the big-todo layout).
 * Used by mkqueue and the qmail-smtpd stand-in.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct qw_rcpt {
	const char	*addr;
	int		 remote;
	int		 done;
};

static int
qw_file(const char *path, const char *data, size_t len, time_t mtime)
{
	struct timeval	tv[2];
	int		fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	if (mtime) {
		tv[0].tv_sec = tv[1].tv_sec = mtime;
		tv[0].tv_usec = tv[1].tv_usec = 0;
		utimes(path, tv);
	}
	return 0;
}

static long
qwrite(const char *qdir, unsigned int split, int bigtodo, const char *mess,
    size_t messlen, const char *sender, const struct qw_rcpt *r, int nr,
    int bounce, int todo, time_t mtime)
{
	static unsigned int	seq;
	char			tmp[1024], path[1024], env[65536];
	struct stat		st;
	size_t			off = 0, l;
	unsigned long		id;
	int			i, ch;

	snprintf(tmp, sizeof(tmp), "%s/pid/%ld.%u", qdir, (long)getpid(),
	    seq++);
	if (qw_file(tmp, mess, messlen, mtime) == -1 || stat(tmp, &st) == -1)
		return -1;
	id = (unsigned long)st.st_ino;
	snprintf(path, sizeof(path), "%s/mess/%lu/%lu", qdir, id % split, id);
	if (link(tmp, path) == -1)
		return -1;
	unlink(tmp);
	if (todo) {
		off = (size_t)snprintf(env, sizeof(env), "u%lu%cp%ld%cF%s%c",
		    (unsigned long)getuid(), 0, (long)getpid(), 0, sender, 0);
		for (i = 0; i < nr; i++) {
			l = strlen(r[i].addr);
			if (off + l + 3 >= sizeof(env))
				return -1;
			env[off++] = 'T';
			memcpy(env + off, r[i].addr, l + 1);
			off += l + 1;
		}
		/* qmail-queue keeps no empty entry at the end */
		if (bigtodo)
			snprintf(path, sizeof(path), "%s/intd/%lu/%lu", qdir,
			    id % split, id);
		else
			snprintf(path, sizeof(path), "%s/intd/%lu", qdir, id);
		if (qw_file(path, env, off, mtime) == -1)
			return -1;
		snprintf(tmp, sizeof(tmp), "%s", path);
		if (bigtodo)
			snprintf(path, sizeof(path), "%s/todo/%lu/%lu", qdir,
			    id % split, id);
		else
			snprintf(path, sizeof(path), "%s/todo/%lu", qdir, id);
		return link(tmp, path) == -1 ? -1 : (long)id;
	}
	off = (size_t)snprintf(env, sizeof(env), "F%s", sender) + 1;
	snprintf(path, sizeof(path), "%s/info/%lu/%lu", qdir, id % split, id);
	if (qw_file(path, env, off, mtime) == -1)
		return -1;
	for (ch = 0; ch < 2; ch++) {
		for (off = 0, i = 0; i < nr; i++) {
			if (r[i].remote != ch)
				continue;
			l = strlen(r[i].addr);
			if (off + l + 2 >= sizeof(env))
				return -1;
			env[off++] = r[i].done ? 'D' : 'T';
			memcpy(env + off, r[i].addr, l + 1);
			off += l + 1;
		}
		if (off == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%lu/%lu", qdir,
		    ch ? "remote" : "local", id % split, id);
		if (qw_file(path, env, off, mtime) == -1)
			return -1;
	}
	if (bounce) {
		snprintf(path, sizeof(path), "%s/bounce/%lu", qdir, id);
		/* as qmail-send's addbounce: "<rcpt>:\nreport\n\n" */
		l = (size_t)snprintf(env, sizeof(env), "<%s>:\nSorry, no mailbox "
		    "here by that name. (#5.1.1)\n\n", nr ? r[0].addr : "");
		if (qw_file(path, env, l, mtime) == -1)
			return -1;
	}
	return (long)id;
}

/* The directories of a queue with this split. */
static int __attribute__((unused))
qw_mkqueue(const char *qdir, unsigned int split, int bigtodo)
{
	static const char *flat[] = { "pid", "bounce", "lock", "todo", "intd",
	    NULL };
	static const char *sp[] = { "mess", "info", "local", "remote", NULL };
	char		 path[1024];
	unsigned int	 s;
	int		 i;

	mkdir(qdir, 0750);
	for (i = 0; flat[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", qdir, flat[i]);
		mkdir(path, 0700);
	}
	for (i = 0; sp[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", qdir, sp[i]);
		mkdir(path, 0750);
		for (s = 0; s < split; s++) {
			snprintf(path, sizeof(path), "%s/%s/%u", qdir, sp[i], s);
			mkdir(path, 0750);
		}
	}
	for (s = 0; bigtodo && s < split; s++) {
		snprintf(path, sizeof(path), "%s/todo/%u", qdir, s);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/intd/%u", qdir, s);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/lock/sendmutex", qdir);
	return qw_file(path, "", 0, 0);
}
