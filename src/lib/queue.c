/*
 * queue.c: a qmail queue as qmail-send leaves it.  mess/S/ID holds the
 * message (ID is its inode number, S = ID % conf-split), info/S/ID "F"
 * and the sender, local/S/ID and remote/S/ID "T" (or, once delivered,
 * "D") and a recipient each, NUL-terminated; bounce/ID marks a message
 * being bounced; todo/ and intd/ hold what qmail-send has not
 * preprocessed yet, flat or split (the big-todo patch).  A damaged or
 * vanished file is reported and skipped, never fatal for the rest.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "queue.h"

static void
trouble(struct queue *q, const char *what, const char *path)
{
	q->trouble++;
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
	return openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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
	/* bounce/ is small and flat: read it once, not once a message */
	if ((d = opendirat(q->dirfd, "bounce")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			unsigned long *b;

			if (!numeric(de->d_name))
				continue;
			if ((b = realloc(q->bounce, (q->nbounce + 1) *
			    sizeof(*b))) == NULL)
				break;
			q->bounce = b;
			q->bounce[q->nbounce++] = strtoul(de->d_name, NULL, 10);
		}
		closedir(d);
		if (q->nbounce > 0)
			qsort(q->bounce, q->nbounce, sizeof(q->bounce[0]),
			    idcmp);
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
	free(q->bounce);
	q->bounce = NULL;
	q->nbounce = 0;
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

/* A file of NUL-terminated entries; NULL when it is not there. */
static char *
slurp(struct queue *q, const char *sub, unsigned long id, int split,
    size_t *len, size_t max, struct stat *st)
{
	char	*buf, path[1100];
	ssize_t	 r = 0;
	int	 fd;

	queue_path(q, sub, id, split, path, sizeof(path));
	if ((fd = queue_openat(q, sub, id, split)) == -1) {
		if (errno != ENOENT)
			trouble(q, "unable to read", path);
		return NULL;
	}
	if (fstat(fd, st) == -1 || (buf = malloc(max + 1)) == NULL) {
		trouble(q, "unable to read", path);
		close(fd);
		return NULL;
	}
	/* the size fstat gave, without a read to see the end */
	if ((size_t)st->st_size < max)
		max = (size_t)st->st_size;
	*len = 0;
	while (*len < max && (r = read(fd, buf + *len, max - *len)) > 0)
		*len += (size_t)r;
	if (r < 0) {
		trouble(q, "unable to read", path);
		close(fd);
		free(buf);
		return NULL;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
}

static void
recipients(struct queue *q, struct qmsg *m, const char *sub, int remote)
{
	char		*buf, *p, *end;
	size_t		 len;
	struct stat	 st;
	struct qrcpt	*r;

	if ((buf = slurp(q, sub, m->id, 1, &len, 1 << 20, &st)) == NULL)
		return;
	for (p = buf, end = buf + len; p < end; p += strlen(p) + 1) {
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
	free(buf);
}

/* Fill in one message of info/ (preprocessed) from its files. */
static int
load(struct queue *q, struct qmsg *m)
{
	char		 path[1100], *buf;
	size_t		 len;
	struct stat	 st;

	m->size = -1;		/* queue_size() when it is wanted */
	queue_path(q, "info", m->id, 1, path, sizeof(path));
	if ((buf = slurp(q, "info", m->id, 1, &len, Q_ADDRMAX + 2, &st)) ==
	    NULL)
		return -1;
	if (buf[0] != 'F' || memchr(buf, '\0', len) == NULL) {
		errno = EINVAL;
		trouble(q, "damaged", path);
		free(buf);
		return -1;
	}
	strlcpy(m->sender, buf + 1, sizeof(m->sender));
	m->qtime = st.st_mtime;
	free(buf);
	recipients(q, m, "local", 0);
	recipients(q, m, "remote", 1);
	m->bouncing = q->nbounce > 0 && bsearch(&m->id, q->bounce,
	    q->nbounce, sizeof(q->bounce[0]), idcmp) != NULL;
	return 0;
}

/* A todo/ entry: the envelope is in intd/ (u, p, F, T... entries). */
static int
load_todo(struct queue *q, struct qmsg *m)
{
	char		 path[1100], *buf, *p, *end;
	size_t		 len;
	struct stat	 st;
	struct qrcpt	*r;

	if (queue_statat(q, "mess", m->id, 1, &st) == -1) {
		queue_path(q, "mess", m->id, 1, path, sizeof(path));
		trouble(q, "no message file for", path);
		return -1;
	}
	m->size = st.st_size;
	m->qtime = st.st_mtime;
	if ((buf = slurp(q, "intd", m->id, q->bigtodo, &len, 1 << 20, &st)) ==
	    NULL)
		return -1;
	for (p = buf, end = buf + len; p < end; p += strlen(p) + 1) {
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
	free(buf);
	return 0;
}

void
queue_free(struct qmsg *m)
{
	free(m->rcpt);
	m->rcpt = NULL;
	m->nrcpt = 0;
}

static int
scan_dir(struct queue *q, const char *sub, int todo,
    int (*fn)(struct queue *, struct qmsg *, void *), void *arg)
{
	char		 path[1100];
	DIR		*d;
	struct dirent	*de;
	struct qmsg	 m;
	struct stat	 st;
	unsigned int	 s, nsub = todo && !q->bigtodo ? 1 : q->split;
	int		 rc, fd, k = queue_sub(sub);

	for (s = 0; s < nsub; s++) {
		if (todo && !q->bigtodo)
			snprintf(path, sizeof(path), "%s/%s", q->dir, sub);
		else
			snprintf(path, sizeof(path), "%s/%s/%u", q->dir, sub, s);
		d = NULL;
		if ((fd = queue_dir(q, k, todo && !q->bigtodo ? -1 : (long)s))
		    == -1 || (fd = dup(fd)) == -1 ||
		    (d = fdopendir(fd)) == NULL) {
			if (errno != ENOENT)
				trouble(q, "unable to read", path);
			if (fd != -1 && d == NULL)
				close(fd);
			continue;
		}
		rewinddir(d);	/* the offset is shared with the cached one */
		while ((de = readdir(d)) != NULL) {
			if (!numeric(de->d_name))
				continue;
			memset(&m, 0, sizeof(m));
			m.id = strtoul(de->d_name, NULL, 10);
			/*
			 * qmail-send writes info/ before it removes todo/:
			 * in that window the message is preprocessed, and
			 * listed once, as qmail-qread does.
			 */
			if (todo && queue_statat(q, "info", m.id, 1, &st) == 0)
				continue;
			m.split = (unsigned int)(m.id % q->split);
			m.uid = -1;
			m.preprocessed = !todo;
			if ((todo ? load_todo(q, &m) : load(q, &m)) == -1) {
				queue_free(&m);
				continue;
			}
			rc = fn(q, &m, arg);
			queue_free(&m);
			if (rc != 0) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
	}
	return 0;
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
 * info.  qmail's safeput turns every byte outside [A-Za-z0-9.@%+/=:-]
 * (notqmail: and []) into '?', so no field holds a blank or a
 * parenthesis, and the parse is exact.  The info is an account only
 * with ESMTPA or ESMTPSA (a login); otherwise it is what the client said
 * (ident, or MAIL's AUTH= parameter) and kept as remote info.  Returns 1
 * when the header is such a line, and fills m; 0 leaves m as it was.
 */
int
queue_received(const char *h, size_t len, struct qmsg *m)
{
	const char	*p = h, *end = h + len, *host, *hend, *helo = NULL;
	const char	*hl = NULL, *o, *c, *at, *proto, *pend;

	if (!literal(&p, end, "Received: from "))
		return 0;
	host = p;
	if ((hend = p = word(p, end)) == host)
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
	if (c == o || !literal(&p, end, ")"))
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
	pend = word(p, end);
	if (pend == proto)
		return 0;
	for (at = NULL, p = o; p < c; p++)
		if (*p == '@')
			at = p;
	copy_text(m->host, sizeof(m->host), host, (size_t)(hend - host));
	if (helo)
		copy_text(m->helo, sizeof(m->helo), helo, (size_t)(hl - helo));
	else
		copy_text(m->helo, sizeof(m->helo), host, (size_t)(hend - host));
	m->user[0] = m->rinfo[0] = '\0';
	if (at != NULL) {
		if (((size_t)(pend - proto) == 6 &&
		    strncmp(proto, "ESMTPA", 6) == 0) ||
		    ((size_t)(pend - proto) == 7 &&
		    strncmp(proto, "ESMTPSA", 7) == 0))
			copy_text(m->user, sizeof(m->user), o,
			    (size_t)(at - o));
		else
			copy_text(m->rinfo, sizeof(m->rinfo), o,
			    (size_t)(at - o));
		o = at + 1;
	}
	copy_text(m->ip, sizeof(m->ip), o, (size_t)(c - o));
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
 * Read the header of mess, whole lines however long, folded lines joined
 * (a header is kept up to Q_HEADERMAX bytes and consumed to its end), and
 * stop at the blank line: client, HELO, account, Subject, From, script.
 */
int
queue_headers(struct queue *q, struct qmsg *m)
{
	char		 path[1100], *line = NULL, *h;
	size_t		 cap = 0, hl = 0;
	ssize_t		 n;
	unsigned int	 nth = 0;
	FILE		*f;
	int		 fd;

	m->headers = 1;
	queue_path(q, "mess", m->id, 1, path, sizeof(path));
	if ((fd = queue_openat(q, "mess", m->id, 1)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		trouble(q, errno == ENOENT ? "no message file for" :
		    "unable to read", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((h = malloc(Q_HEADERMAX + 1)) == NULL) {
		trouble(q, "unable to read", path);
		fclose(f);
		return -1;
	}
	for (;;) {
		n = getline(&line, &cap, f);
		if (n > 0 && (line[0] == ' ' || line[0] == '\t') && hl > 0) {
			if (hl + (size_t)n > Q_HEADERMAX)
				n = (ssize_t)(Q_HEADERMAX - hl);
			memcpy(h + hl, line, (size_t)n);
			hl += (size_t)n;
			continue;
		}
		if (hl > 0) {
			h[hl] = '\0';
			header(m, h, hl, nth++);
			hl = 0;
		}
		if (n <= 0 || line[0] == '\n' || (line[0] == '\r' &&
		    line[1] == '\n'))
			break;
		hl = (size_t)n > Q_HEADERMAX ? Q_HEADERMAX : (size_t)n;
		memcpy(h, line, hl);
	}
	free(h);
	free(line);
	fclose(f);
	return 0;
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
