/*
 * queue.c: a qmail queue as qmail-send leaves it.  mess/S/ID holds the
 * message (ID is its inode number, S = ID % conf-split), info/S/ID "F"
 * and the sender, local/S/ID and remote/S/ID "T" (or, once delivered,
 * "D") and a recipient each, NUL-terminated; bounce/ID marks a message
 * being bounced; todo/ and intd/ hold what qmail-send has not
 * preprocessed yet, flat or split (the big-todo patch).  A damaged or
 * vanished file is reported and skipped, never fatal for the rest.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "queue.h"

/* The file being read, one buffer a thread. */
static __thread struct {
	char	*buf;
	size_t	 cap;
} tb;
static __thread char	*th;	/* one unfolded header */


static void
trouble(struct queue *q, const char *what, const char *path)
{
	__atomic_add_fetch(&q->trouble, 1, __ATOMIC_RELAXED);
	if (q->warn)
		fprintf(q->warn, "qtriage: warning: %s %s: %s\n", what, path,
		    strerror(errno));
}

static int
numeric(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
idcmp(const void *a, const void *b)
{
	unsigned long	x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

const char *const queue_subs[Q_NSUBS + 1] = { "mess", "info", "local",
    "remote", "intd", "todo", "bounce", NULL };

/* The index of a subdirectory's name, or -1. */
int
queue_sub(const char *sub)
{
	int	i;

	for (i = 0; i < Q_NSUBS; i++)
		if (strcmp(queue_subs[i], sub) == 0)
			return i;
	return -1;
}

/* Whether sub is split here: bounce never, todo and intd with big-todo. */
int
queue_split(const struct queue *q, int sub)
{
	const char	*n = queue_subs[sub];

	if (strcmp(n, "bounce") == 0)
		return 0;
	if (strcmp(n, "todo") == 0 || strcmp(n, "intd") == 0)
		return q->bigtodo;
	return 1;
}

/*
 * The descriptor of queue/sub (split < 0) or queue/sub/split, opened once
 * with O_NOFOLLOW from the queue's own descriptor: a link planted in the
 * queue never takes a root qtriage elsewhere.  -1 with errno.
 */
int
queue_dir(struct queue *q, int sub, long split)
{
	int	i = split < 0 ? (int)q->split : (int)split, top, fd;
	char	name[24];

	if (sub < 0 || sub >= Q_NSUBS || split >= (long)q->split) {
		errno = EINVAL;
		return -1;
	}
	if (q->subfd[sub] == NULL) {
		if ((q->subfd[sub] = malloc((q->split + 1) * sizeof(int))) ==
		    NULL)
			return -1;
		memset(q->subfd[sub], 0xff, (q->split + 1) * sizeof(int));
	}
	if (q->subfd[sub][i] != -1)
		return q->subfd[sub][i];
	if (split < 0)
		fd = openat(q->dirfd, queue_subs[sub], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	else {
		if ((top = queue_dir(q, sub, -1)) == -1)
			return -1;
		snprintf(name, sizeof(name), "%ld", split);
		fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return q->subfd[sub][i] = fd;
}

/*
 * A listing of queue/sub (split < 0) or queue/sub/split, from its cached
 * descriptor and rewound (the offset is shared with that descriptor);
 * NULL with errno.  closedir() when done.
 */
DIR *
queue_opendir(struct queue *q, int sub, long split)
{
	DIR	*d;
	int	 fd;

	if ((fd = queue_dir(q, sub, split)) == -1 || (fd = dup(fd)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

static int
entry_dir(struct queue *q, const char *sub, unsigned long id, int split,
    char *name, size_t n)
{
	int	k = queue_sub(sub);

	if (k < 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, n, "%lu", id);
	return queue_dir(q, k, split ? (long)(id % q->split) : -1);
}

/* Open sub's entry for id to read, no link followed. */
int
queue_openat(struct queue *q, const char *sub, unsigned long id, int split)
{
	char	name[32];
	int	dfd = entry_dir(q, sub, id, split, name, sizeof(name));

	if (dfd == -1)
		return -1;
	/* O_NONBLOCK: a FIFO planted in the queue does not hang a read */
	return openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

int
queue_statat(struct queue *q, const char *sub, unsigned long id, int split,
    struct stat *st)
{
	char	name[32];
	int	dfd = entry_dir(q, sub, id, split, name, sizeof(name));

	if (dfd == -1)
		return -1;
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* When a message was queued: info's mtime, as qmail-qread says; for a
 * message in todo/, its file's.  Read when a command wants it. */
time_t
queue_qtime(struct queue *q, struct qmsg *m)
{
	struct stat	st;

	if (m->qtime != -1)
		return m->qtime;
	if (queue_statat(q, "info", m->id, 1, &st) == -1)
		return m->qtime = 0;
	return m->qtime = st.st_mtime;
}

/* The size of a message, read when a command wants it. */
off_t
queue_size(struct queue *q, struct qmsg *m)
{
	char		path[1100];
	struct stat	st;

	if (m->size >= 0)
		return m->size;
	if (queue_statat(q, "mess", m->id, 1, &st) == -1) {
		queue_path(q, "mess", m->id, 1, path, sizeof(path));
		trouble(q, "no message file for", path);
		return m->size = 0;
	}
	return m->size = st.st_size;
}

/* A directory under dfd, opened without following a link. */
static DIR *
opendirat(int dfd, const char *name)
{
	int	fd;
	DIR	*d;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

static int
has(const struct qids *v, unsigned long id)
{
	return v->n > 0 && bsearch(&id, v->id, v->n, sizeof(v->id[0]), idcmp) !=
	    NULL;
}

/* The message ids with a file in sub, sorted; -1 out of memory. */
static int
ids(struct queue *q, const char *sub, struct qids *v)
{
	unsigned int	 s;
	int		 k = queue_sub(sub), split = queue_split(q, k);
	size_t		 cap = 0;
	unsigned long	*p;
	DIR		*d;
	struct dirent	*de;

	for (s = 0; s < (split ? q->split : 1); s++) {
		if ((d = queue_opendir(q, k, split ? (long)s : -1)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (!numeric(de->d_name))
				continue;
			if (v->n == cap) {
				cap = cap ? cap * 2 : 1024;
				if ((p = reallocarray(v->id, cap,
				    sizeof(*p))) == NULL) {
					closedir(d);
					return -1;
				}
				v->id = p;
			}
			v->id[v->n++] = strtoul(de->d_name, NULL, 10);
		}
		closedir(d);
	}
	if (v->n > 0)
		qsort(v->id, v->n, sizeof(v->id[0]), idcmp);
	return 0;
}

/* conf-split from the subdirectories of mess/, big-todo from todo/. */
int
queue_open(struct queue *q, const char *dir, FILE *warn)
{
	char		 path[1100];
	DIR		*d;
	struct dirent	*de;
	unsigned int	 n = 0;

	memset(q, 0, sizeof(*q));
	q->warn = warn;
	strlcpy(q->dir, dir, sizeof(q->dir));
	if ((q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/mess", dir);
	if ((d = opendirat(q->dirfd, "mess")) == NULL) {
		close(q->dirfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (numeric(de->d_name))
			n++;
	closedir(d);
	q->split = n ? n : 1;
	q->bigtodo = faccessat(q->dirfd, "todo/0", F_OK, AT_SYMLINK_NOFOLLOW)
	    == 0;
	/* who has a bounce file: bounce/ is small, read it once */
	if (ids(q, "bounce", &q->bounce) == -1) {
		queue_close(q);
		return -1;
	}
	return 0;
}

void
queue_close(struct queue *q)
{
	int		i;
	unsigned int	s;

	for (i = 0; i < Q_NSUBS; i++) {
		if (q->subfd[i] == NULL)
			continue;
		for (s = 0; s <= q->split; s++)
			if (q->subfd[i][s] != -1)
				close(q->subfd[i][s]);
		free(q->subfd[i]);
		q->subfd[i] = NULL;
	}
	if (q->dirfd != -1)
		close(q->dirfd);
	q->dirfd = -1;
	free(q->bounce.id);
	free(q->local.id);
	free(q->remote.id);
	memset(&q->bounce, 0, sizeof(q->bounce));
	memset(&q->local, 0, sizeof(q->local));
	memset(&q->remote, 0, sizeof(q->remote));
	free(tb.buf);
	tb.buf = NULL;
	tb.cap = 0;
	free(th);
	th = NULL;
}

void
queue_path(const struct queue *q, const char *sub, unsigned long id,
    int split, char *buf, size_t n)
{
	if (split)
		snprintf(buf, n, "%s/%s/%lu/%lu", q->dir, sub,
		    id % q->split, id);
	else
		snprintf(buf, n, "%s/%s/%lu", q->dir, sub, id);
}

/*
 * A whole file of the queue (with header set, a message up to the end of
 * its header), at most max bytes, into tb.buf (ended by a
 * NUL); its length, or -1 (reported unless it is simply not there).  st,
 * when wanted, is the file's.  A short read is the end: queue files are
 * regular files (queue_openat opens nothing else without blocking).
 */
static ssize_t
slurp(struct queue *q, const char *sub, unsigned long id, int split,
    size_t max, struct stat *st, int header)
{
	char	 path[1100], *nb;
	size_t	 len = 0, want;
	ssize_t	 r;
	int	 fd;

	if ((fd = queue_openat(q, sub, id, split)) == -1) {
		if (errno != ENOENT)
			goto fail;
		return -1;
	}
	if (st != NULL && fstat(fd, st) == -1)
		goto fail;
	for (;;) {
		if (tb.cap < len + 8192 + 1 && tb.cap < max + 1) {
			want = tb.cap ? tb.cap * 2 : 65536;
			if (want > max + 1)
				want = max + 1;
			if ((nb = realloc(tb.buf, want)) == NULL)
				goto fail;
			tb.buf = nb;
			tb.cap = want;
		}
		want = tb.cap - 1 - len;
		if (want > max - len)
			want = max - len;
		if (want == 0)
			break;
		if ((r = read(fd, tb.buf + len, want)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		len += (size_t)r;
		if ((size_t)r < want)
			break;
		/* a message's header: no further than its blank line */
		if (header && (memmem(tb.buf, len, "\n\n", 2) != NULL ||
		    memmem(tb.buf, len, "\n\r\n", 3) != NULL))
			break;
	}
	close(fd);
	tb.buf[len] = '\0';
	return (ssize_t)len;
fail:
	queue_path(q, sub, id, split, path, sizeof(path));
	trouble(q, "unable to read", path);
	if (fd != -1)
		close(fd);
	return -1;
}

static void
recipients(struct queue *q, struct qmsg *m, const char *sub, int remote)
{
	char		*p, *end;
	ssize_t		 len;
	struct qrcpt	*r;

	if ((len = slurp(q, sub, m->id, 1, 1 << 20, NULL, 0)) == -1)
		return;
	for (p = tb.buf, end = tb.buf + len; p < end; p += strlen(p) + 1) {
		if (*p != 'T' && *p != 'D')
			continue;
		r = realloc(m->rcpt, (size_t)(m->nrcpt + 1) * sizeof(*r));
		if (r == NULL)
			break;
		m->rcpt = r;
		r = &m->rcpt[m->nrcpt++];
		strlcpy(r->addr, p + 1, sizeof(r->addr));
		r->remote = remote;
		r->done = *p == 'D';
	}
}

/* Fill in one message of info/ (preprocessed) from its files. */
static int
load(struct queue *q, struct qmsg *m)
{
	char		 path[1100];
	ssize_t		 len;

	m->size = -1;		/* queue_size() when it is wanted */
	m->qtime = -1;		/* queue_qtime() when it is wanted */
	if ((len = slurp(q, "info", m->id, 1, Q_ADDRMAX + 2, NULL, 0)) == -1)
		return -1;
	if (tb.buf[0] != 'F' || memchr(tb.buf, '\0', (size_t)len) == NULL) {
		errno = EINVAL;
		queue_path(q, "info", m->id, 1, path, sizeof(path));
		trouble(q, "damaged", path);
		return -1;
	}
	strlcpy(m->sender, tb.buf + 1, sizeof(m->sender));
	if (has(&q->local, m->id))
		recipients(q, m, "local", 0);
	if (has(&q->remote, m->id))
		recipients(q, m, "remote", 1);
	m->bouncing = has(&q->bounce, m->id);
	return 0;
}

/* A todo/ entry: the envelope is in intd/ (u, p, F, T... entries). */
static int
load_todo(struct queue *q, struct qmsg *m)
{
	char		 path[1100], *p, *end;
	ssize_t		 len;
	struct stat	 st;
	struct qrcpt	*r;

	if (queue_statat(q, "mess", m->id, 1, &st) == -1) {
		queue_path(q, "mess", m->id, 1, path, sizeof(path));
		trouble(q, "no message file for", path);
		return -1;
	}
	m->size = st.st_size;
	m->qtime = st.st_mtime;
	if ((len = slurp(q, "intd", m->id, q->bigtodo, 1 << 20, NULL, 0)) == -1)
		return -1;
	for (p = tb.buf, end = tb.buf + len; p < end; p += strlen(p) + 1) {
		if (*p == 'F')
			strlcpy(m->sender, p + 1, sizeof(m->sender));
		else if (*p == 'T' && (r = realloc(m->rcpt,
		    (size_t)(m->nrcpt + 1) * sizeof(*r))) != NULL) {
			m->rcpt = r;
			r = &m->rcpt[m->nrcpt++];
			memset(r, 0, sizeof(*r));
			strlcpy(r->addr, p + 1, sizeof(r->addr));
			r->remote = -1;		/* not yet decided */
		}
	}
	return 0;
}

void
queue_free(struct qmsg *m)
{
	free(m->rcpt);
	m->rcpt = NULL;
	m->nrcpt = 0;
}

/*
 * Messages are loaded (their envelope, and their header when the scan
 * wants it) a batch at a time by two threads, since the work is one
 * system call after another on files of their own; fn sees them one at
 * a time, in directory order, on the calling thread.  Memory stays at
 * one batch.
 */
#define BATCH	512

struct batch {
	struct queue	*q;
	struct qmsg	*m;
	int		*ok;
	size_t		 n;
	int		 todo;
};

static void
load_range(struct batch *b, size_t from, size_t step)
{
	struct stat	st;
	size_t		i;

	for (i = from; i < b->n; i += step) {
		struct qmsg *m = &b->m[i];

		b->ok[i] = 0;
		/*
		 * qmail-send writes info/ before it removes todo/: in that
		 * window the message is preprocessed, and listed once, as
		 * qmail-qread does.
		 */
		if (b->todo && queue_statat(b->q, "info", m->id, 1, &st) == 0)
			continue;
		if ((b->todo ? load_todo(b->q, m) : load(b->q, m)) == -1)
			continue;
		if (b->q->want_headers)
			queue_headers(b->q, m);
		b->ok[i] = 1;
	}
}

static void *
helper(void *arg)
{
	load_range(arg, 1, 2);
	free(th);
	th = NULL;
	free(tb.buf);
	tb.buf = NULL;
	tb.cap = 0;
	return NULL;
}

static int
run_batch(struct batch *b, int (*fn)(struct queue *, struct qmsg *, void *),
    void *arg)
{
	pthread_t	t;
	size_t		i;
	int		rc = 0, threaded;

	threaded = b->n > 8 && pthread_create(&t, NULL, helper, b) == 0;
	load_range(b, 0, threaded ? 2 : 1);
	if (threaded)
		pthread_join(t, NULL);
	for (i = 0; i < b->n; i++) {
		if (rc == 0 && b->ok[i])
			rc = fn(b->q, &b->m[i], arg);
		queue_free(&b->m[i]);
	}
	b->n = 0;
	return rc;
}

static int
scan_dir(struct queue *q, const char *sub, int todo,
    int (*fn)(struct queue *, struct qmsg *, void *), void *arg)
{
	char		 path[1100];
	DIR		*d;
	struct dirent	*de;
	struct batch	 b = { q, NULL, NULL, 0, todo };
	unsigned int	 s, nsub = todo && !q->bigtodo ? 1 : q->split;
	int		 rc = 0, k = queue_sub(sub), i;

	if ((b.m = calloc(BATCH, sizeof(*b.m))) == NULL ||
	    (b.ok = calloc(BATCH, sizeof(*b.ok))) == NULL) {
		free(b.m);
		return -1;
	}
	/* every directory opened now, not by two threads at once later */
	for (i = 0; i < Q_NSUBS; i++)
		for (s = 0; s <= q->split; s++)
			queue_dir(q, i, s == q->split ? -1 : (long)s);
	/* who has a local or a remote file: one listing, not one failed
	 * open a message; only a scan needs it (stat does not) */
	if (!q->have_rcpt && !todo) {
		if (ids(q, "local", &q->local) == -1 ||
		    ids(q, "remote", &q->remote) == -1) {
			free(b.m);
			free(b.ok);
			return -1;
		}
		q->have_rcpt = 1;
	}
	for (s = 0; s < nsub && rc == 0; s++) {
		if (todo && !q->bigtodo)
			snprintf(path, sizeof(path), "%s/%s", q->dir, sub);
		else
			snprintf(path, sizeof(path), "%s/%s/%u", q->dir, sub, s);
		if ((d = queue_opendir(q, k, todo && !q->bigtodo ? -1 :
		    (long)s)) == NULL) {
			if (errno != ENOENT)
				trouble(q, "unable to read", path);
			continue;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			struct qmsg *m;

			if (!numeric(de->d_name))
				continue;
			m = &b.m[b.n++];
			memset(m, 0, sizeof(*m));
			m->id = strtoul(de->d_name, NULL, 10);
			m->split = (unsigned int)(m->id % q->split);
			m->uid = -1;
			m->preprocessed = !todo;
			if (b.n == BATCH)
				rc = run_batch(&b, fn, arg);
		}
		closedir(d);
		if (rc == 0 && b.n > 0)
			rc = run_batch(&b, fn, arg);
	}
	free(b.m);
	free(b.ok);
	return rc;
}

/*
 * The arrival times of every message file, as stat needs them and nothing
 * more: the names in mess/ and one fstatat each, the split directories
 * shared by two threads.  qmail-qstat counts mess/; the same walk gives
 * the count.  The count, or -1; *out is malloc'd.
 */
struct times {
	struct queue	*q;
	unsigned int	 first;
	time_t		*t;
	size_t		 n, cap;
	int		 fail;
};

static void
times_add(struct times *x, time_t t)
{
	time_t	*p;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 4096;
		if ((p = reallocarray(x->t, x->cap, sizeof(*p))) == NULL) {
			x->fail = 1;
			return;
		}
		x->t = p;
	}
	x->t[x->n++] = t;
}

static void *
times_half(void *arg)
{
	struct times	*x = arg;
	struct stat	 st;
	struct dirent	*de;
	unsigned int	 s;
	DIR		*d;

	for (s = x->first; s < x->q->split && !x->fail; s += 2) {
		if ((d = queue_opendir(x->q, queue_sub("mess"), (long)s)) ==
		    NULL)
			continue;
		while ((de = readdir(d)) != NULL && !x->fail)
			if (de->d_name[0] != '.' && fstatat(dirfd(d),
			    de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				times_add(x, st.st_mtime);
		closedir(d);
	}
	return NULL;
}

ssize_t
queue_times(struct queue *q, time_t **out)
{
	struct times	 a = { q, 0, NULL, 0, 0, 0 }, b = { q, 1, NULL, 0, 0, 0 };
	pthread_t	 t;
	unsigned int	 s;
	time_t		*p = NULL;

	for (s = 0; s <= q->split; s++)
		queue_dir(q, queue_sub("mess"), s == q->split ? -1 : (long)s);
	if (pthread_create(&t, NULL, times_half, &b) == 0) {
		times_half(&a);
		pthread_join(t, NULL);
	} else {
		times_half(&a);
		times_half(&b);
	}
	if (a.fail || b.fail || (b.n > 0 && (p = reallocarray(a.t,
	    a.n + b.n, sizeof(*p))) == NULL)) {
		free(a.t);
		free(b.t);
		return -1;
	}
	if (b.n > 0) {
		a.t = p;
		memcpy(a.t + a.n, b.t, b.n * sizeof(*p));
	}
	free(b.t);
	*out = a.t;
	return (ssize_t)(a.n + b.n);
}

/* Call fn for every message: preprocessed ones, then todo/. */
int
queue_scan(struct queue *q, int (*fn)(struct queue *, struct qmsg *, void *),
    void *arg)
{
	int	rc;

	if ((rc = scan_dir(q, "info", 0, fn, arg)) != 0)
		return rc;
	return scan_dir(q, "todo", 1, fn, arg);
}

static void
copy_text(char *dst, size_t n, const char *src, size_t len)
{
	size_t	i, k = 0;

	for (i = 0; i < len && k + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '\r' || c == '\n')
			continue;
		dst[k++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[k] = '\0';
}

/* The end of a word of safeput's alphabet: no blank, parenthesis, ';'. */
static const char *
word(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t' && *p != '(' && *p != ')' &&
	    *p != '\n' && *p != '\r' && *p != ';')
		p++;
	return p;
}

static int
literal(const char **p, const char *end, const char *s)
{
	size_t	n = strlen(s);

	if ((size_t)(end - *p) < n || strncmp(*p, s, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/*
 * The line qmail-smtpd writes, unfolded:
 *
 *   Received: from HOST (HELO helo) (info@ip)\n  by LOCAL with PROTO; DATE
 *
 * "(HELO helo)" only when it differs from HOST; "info@" only with remote
 * info.  Roberto Puzzanghera's qmail (sagredo-dev/qmail, received.c)
 * leaves the client out for relay clients and logins:
 *
 *   Received: (HELO helo) (info)\n  by LOCAL with PROTO; DATE
 *
 * with no host and no address.  qmail's safeput turns every byte outside
 * [A-Za-z0-9.@%+/=:-] (notqmail: and []) into '?', so no field holds a
 * blank or a parenthesis, and the parse is exact.  The info is an account
 * only with ESMTPA or ESMTPSA (a login); otherwise it is what the client
 * said (ident, or MAIL's AUTH= parameter) and kept as remote info.
 * Returns 1 when the header is such a line, and fills m; 0 leaves m as it
 * was.
 */
int
queue_received(const char *h, size_t len, struct qmsg *m)
{
	const char	*p = h, *end = h + len, *host = NULL, *hend = NULL;
	const char	*helo = NULL, *hl = NULL, *o, *c, *at = NULL, *proto;
	const char	*pend, *iend;
	int		 login;

	if (literal(&p, end, "Received: from ")) {
		host = p;
		if ((hend = p = word(p, end)) == host)
			return 0;
	} else if (!literal(&p, end, "Received:"))
		return 0;
	if (literal(&p, end, " (HELO ")) {
		helo = p;
		hl = p = word(p, end);
		if (!literal(&p, end, ")"))
			return 0;
	}
	if (!literal(&p, end, " ("))
		return 0;
	o = p;
	c = p = word(p, end);
	if ((host != NULL && c == o) || !literal(&p, end, ")"))
		return 0;
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' ||
	    *p == '\t'))
		p++;
	if (!literal(&p, end, "by "))
		return 0;
	p = word(p, end);
	if (!literal(&p, end, " with "))
		return 0;
	proto = p;
	if ((pend = word(p, end)) == proto)
		return 0;
	login = ((size_t)(pend - proto) == 6 && strncmp(proto, "ESMTPA", 6) ==
	    0) || ((size_t)(pend - proto) == 7 && strncmp(proto, "ESMTPSA", 7) ==
	    0);
	if (host != NULL) {
		for (p = o; p < c; p++)
			if (*p == '@')
				at = p;
		copy_text(m->host, sizeof(m->host), host, (size_t)(hend - host));
		if (helo == NULL)
			helo = host, hl = hend;
	} else
		strlcpy(m->host, "unknown", sizeof(m->host));
	copy_text(m->helo, sizeof(m->helo), helo ? helo : "", helo ?
	    (size_t)(hl - helo) : 0);
	m->user[0] = m->rinfo[0] = m->ip[0] = '\0';
	/* the info: before the last '@' with a host, all of it without */
	iend = host == NULL ? c : at;
	if (iend != NULL)
		copy_text(login ? m->user : m->rinfo, login ? sizeof(m->user) :
		    sizeof(m->rinfo), o, (size_t)(iend - o));
	if (host != NULL)
		copy_text(m->ip, sizeof(m->ip), at ? at + 1 : o,
		    (size_t)(c - (at ? at + 1 : o)));
	return 1;
}

/* qmail-queue's own line, always the first: who handed the message in. */
static void
origin(const char *h, struct qmsg *m)
{
	const char	*p;
	char		*e;
	long		 uid;

	if (strncmp(h, "Received: (qmail ", 17) != 0)
		return;
	for (p = h + 17; isdigit((unsigned char)*p); p++)
		;
	if (p == h + 17)
		return;
	if (strncmp(p, " invoked from network)", 22) == 0)
		m->origin = Q_NETWORK;
	else if (strncmp(p, " invoked by alias)", 18) == 0)
		m->origin = Q_ALIAS;
	else if (strncmp(p, " invoked for bounce)", 20) == 0)
		m->origin = Q_BOUNCE;
	else if (strncmp(p, " invoked by uid ", 16) == 0 &&
	    isdigit((unsigned char)p[16])) {
		errno = 0;
		uid = strtol(p + 16, &e, 10);
		if (errno == 0 && *e == ')') {
			m->origin = Q_LOCAL;
			m->uid = uid;
		}
	}
}

/* One header, unfolded: what it tells, by its place among the others. */
static void
header(struct qmsg *m, const char *h, size_t hl, unsigned int nth)
{
	if (nth == 0)
		origin(h, m);
	else if (nth == 1 && m->origin == Q_NETWORK)
		queue_received(h, hl, m);
	if (strncasecmp(h, "Subject:", 8) == 0 && m->subject[0] == '\0')
		copy_text(m->subject, sizeof(m->subject), h + 8 + (h[8] == ' '),
		    hl - 8 - (h[8] == ' '));
	else if (strncasecmp(h, "From:", 5) == 0 && m->from[0] == '\0')
		copy_text(m->from, sizeof(m->from), h + 5 + (h[5] == ' '),
		    hl - 5 - (h[5] == ' '));
	else if (m->origin == Q_LOCAL && m->script[0] == '\0' &&
	    strncasecmp(h, "X-PHP-Originating-Script:", 25) == 0)
		copy_text(m->script, sizeof(m->script), h + 25 + (h[25] == ' '),
		    hl - 25 - (h[25] == ' '));
}

/*
 * Read the header of mess in one read where it fits (up to
 * Q_HEADERSMAX), whole lines however long, folded lines joined (a header
 * is kept up to Q_HEADERMAX bytes), to the blank line: client, HELO,
 * account, Subject, From, script.
 */
int
queue_headers(struct queue *q, struct qmsg *m)
{
	char		 path[1100], *h, *p, *end, *nl, *e;
	size_t		 hl = 0, n;
	ssize_t		 len;
	unsigned int	 nth = 0;

	m->headers = 1;
	if ((len = slurp(q, "mess", m->id, 1, Q_HEADERSMAX, NULL, 1)) == -1) {
		if (errno == ENOENT) {
			queue_path(q, "mess", m->id, 1, path, sizeof(path));
			trouble(q, "no message file for", path);
		}
		return -1;
	}
	if (th == NULL && (th = malloc(Q_HEADERMAX + 1)) == NULL) {
		queue_path(q, "mess", m->id, 1, path, sizeof(path));
		trouble(q, "unable to read", path);
		return -1;
	}
	h = th;
	for (p = tb.buf, end = tb.buf + len; ; p = e) {
		nl = memchr(p, '\n', (size_t)(end - p));
		e = nl ? nl + 1 : end;
		n = (size_t)(e - p);
		if (n > 0 && (*p == ' ' || *p == '\t') && hl > 0) {
			if (hl + n > Q_HEADERMAX)
				n = Q_HEADERMAX - hl;
			memcpy(h + hl, p, n);
			hl += n;
			continue;
		}
		if (hl > 0) {
			h[hl] = '\0';
			header(m, h, hl, nth++);
			hl = 0;
		}
		if (n == 0 || *p == '\n' || (*p == '\r' && n > 1 &&
		    p[1] == '\n'))
			break;
		hl = n > Q_HEADERMAX ? Q_HEADERMAX : n;
		memcpy(h, p, hl);
	}
	return 0;
}

/*
 * qmail-send's lock: lock/sendmutex, which it holds while it runs.  The
 * descriptor, or -1 (errno EWOULDBLOCK: qmail-send is running).
 */
int
queue_lock(struct queue *q)
{
	int	dfd, fd, saved;

	if ((dfd = openat(q->dirfd, "lock", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	fd = openat(dfd, "sendmutex", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	saved = errno;
	close(dfd);
	errno = saved;
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Consistency as qmail itself sees it.  Not damage: a message qmail-queue
 * is still writing (mess/ without todo/ or info/; qmail-send removes one
 * whose writer died after 36 hours, and so only then is it reported),
 * and one qmail-send is sorting (todo/ and info/ both).
 */
#define OSSIFIED	129600	/* qmail-send's 36 hours */

unsigned long
queue_check(struct queue *q, time_t now, FILE *out, unsigned long *nfiles,
    unsigned long *narriving)
{
	char		 path[4096];
	unsigned int	 s;
	unsigned long	 id, problems = 0, files = 0, arriving = 0;
	struct stat	 st, st2;
	int		 k;
	DIR		*d;
	struct dirent	*de;
	static const char *split_subs[] = { "mess", "info", "local", "remote",
	    NULL };

	for (k = 0; split_subs[k]; k++)
		for (s = 0; s < q->split; s++) {
			snprintf(path, sizeof(path), "%s/%s/%u", q->dir,
			    split_subs[k], s);
			if ((d = queue_opendir(q, queue_sub(split_subs[k]),
			    (long)s)) == NULL) {
				fprintf(out, "%s: missing split directory\n", path);
				problems++;
				continue;
			}
			while ((de = readdir(d)) != NULL) {
				char *end;

				if (de->d_name[0] == '.')
					continue;
				files++;
				snprintf(path, sizeof(path), "%s/%s/%u/%s",
				    q->dir, split_subs[k], s, de->d_name);
				id = strtoul(de->d_name, &end, 10);
				if (*end != '\0') {
					fprintf(out, "%s: not a message file\n", path);
					problems++;
					continue;
				}
				if (id % q->split != s) {
					fprintf(out, "%s: in split %u, belongs in %lu\n",
					    path, s, id % q->split);
					problems++;
				}
				if (k == 0) {
					if (fstatat(dirfd(d), de->d_name, &st,
					    AT_SYMLINK_NOFOLLOW) == -1)
						continue;	/* just went */
					if (st.st_ino != id) {
						fprintf(out, "%s: name is not its inode "
						    "(%lu)\n", path,
						    (unsigned long)st.st_ino);
						problems++;
					}
					if (queue_statat(q, "info", id, 1, &st2) ==
					    0 || queue_statat(q, "todo", id,
					    q->bigtodo, &st2) == 0)
						continue;
					if (now - st.st_atime <= OSSIFIED) {
						arriving++;
						continue;
					}
					fprintf(out, "%s: left by a qmail-queue that "
					    "died (neither preprocessed nor in "
					    "todo for 36 hours; a running "
					    "qmail-send removes it)\n", path);
					problems++;
				} else if (queue_statat(q, "mess", id, 1, &st2)
				    == -1) {
					fprintf(out, "%s: orphan: no message file\n",
					    path);
					problems++;
				}
			}
			closedir(d);
		}
	*nfiles = files;
	*narriving = arriving;
	return problems;
}

/* qmail-qread's date: "18 Jul 2008 02:01:11" (GMT). */
void
queue_date(time_t t, char *buf, size_t n)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%d %b %Y %H:%M:%S", &tm);
	if (buf[0] == '0')	/* date822fmt does not pad the day */
		memmove(buf, buf + 1, strlen(buf));
}
