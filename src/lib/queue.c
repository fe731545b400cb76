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

/* The size of a message, read when a command wants it. */
off_t
queue_size(struct queue *q, struct qmsg *m)
{
	char		path[1100];
	struct stat	st;

	if (m->size >= 0)
		return m->size;
	queue_path(q, "mess", m->id, 1, path, sizeof(path));
	if (stat(path, &st) == -1) {
		trouble(q, "no message file for", path);
		return m->size = 0;
	}
	return m->size = st.st_size;
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
	snprintf(path, sizeof(path), "%s/mess", dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (numeric(de->d_name))
			n++;
	closedir(d);
	q->split = n ? n : 1;
	snprintf(path, sizeof(path), "%s/todo/0", dir);
	q->bigtodo = access(path, F_OK) == 0;
	/* bounce/ is small and flat: read it once, not once a message */
	snprintf(path, sizeof(path), "%s/bounce", dir);
	if ((d = opendir(path)) != NULL) {
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
slurp(struct queue *q, const char *path, size_t *len, size_t max,
    struct stat *st)
{
	char	*buf;
	ssize_t	 r = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
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
	char		 path[1100], *buf, *p, *end;
	size_t		 len;
	struct stat	 st;
	struct qrcpt	*r;

	queue_path(q, sub, m->id, 1, path, sizeof(path));
	if ((buf = slurp(q, path, &len, 1 << 20, &st)) == NULL)
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
	if ((buf = slurp(q, path, &len, 4096, &st)) == NULL)
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

	queue_path(q, "mess", m->id, 1, path, sizeof(path));
	if (stat(path, &st) == -1) {
		trouble(q, "no message file for", path);
		return -1;
	}
	m->size = st.st_size;
	m->qtime = st.st_mtime;
	queue_path(q, "intd", m->id, q->bigtodo, path, sizeof(path));
	if ((buf = slurp(q, path, &len, 1 << 20, &st)) == NULL)
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
	unsigned int	 s, nsub = todo && !q->bigtodo ? 1 : q->split;
	int		 rc;

	for (s = 0; s < nsub; s++) {
		if (todo && !q->bigtodo)
			snprintf(path, sizeof(path), "%s/%s", q->dir, sub);
		else
			snprintf(path, sizeof(path), "%s/%s/%u", q->dir, sub, s);
		if ((d = opendir(path)) == NULL) {
			if (errno != ENOENT)
				trouble(q, "unable to read", path);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (!numeric(de->d_name))
				continue;
			memset(&m, 0, sizeof(m));
			m.id = strtoul(de->d_name, NULL, 10);
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

/*
 * qmail-smtpd's Received line: "from HOST (HELO helo) (info@ip)" or
 * "from HOST (ip)".  Returns 1 when it was one.
 */
int
queue_received(const char *h, size_t len, struct qmsg *m)
{
	const char	*p = h, *end = h + len, *host, *o, *c, *at;
	size_t		 hlen;

	if (len < 14 || strncasecmp(h, "Received: from", 14) != 0)
		return 0;
	p = h + 14;
	while (p < end && *p == ' ')
		p++;
	host = p;
	while (p < end && *p != ' ' && *p != '\n')
		p++;
	hlen = (size_t)(p - host);
	while (p < end && *p == ' ')
		p++;
	if (end - p > 6 && strncmp(p, "(HELO ", 6) == 0) {
		o = p + 6;
		if ((c = memchr(o, ')', (size_t)(end - o))) == NULL)
			return 0;
		copy_text(m->helo, sizeof(m->helo), o, (size_t)(c - o));
		p = c + 1;
		while (p < end && *p == ' ')
			p++;
	} else
		copy_text(m->helo, sizeof(m->helo), host, hlen);
	if (p >= end || *p != '(')
		return 0;
	o = p + 1;
	if ((c = memchr(o, ')', (size_t)(end - o))) == NULL)
		return 0;
	at = NULL;
	for (p = o; p < c; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		copy_text(m->user, sizeof(m->user), o, (size_t)(at - o));
		o = at + 1;
	}
	copy_text(m->ip, sizeof(m->ip), o, (size_t)(c - o));
	return 1;
}

/* Read the header of mess: client, HELO, AUTH user, Subject, From. */
int
queue_headers(struct queue *q, struct qmsg *m)
{
	char		 path[1100], line[2048], hdr[4096];
	FILE		*f;
	size_t		 hl = 0;
	int		 have = 0, done = 0;
	const char	*u;

	m->headers = 1;
	queue_path(q, "mess", m->id, 1, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL) {
		trouble(q, errno == ENOENT ? "no message file for" :
		    "unable to read", path);
		return -1;
	}
	/* unfold each header into hdr, then look at it */
	while (!done) {
		int eof = fgets(line, sizeof(line), f) == NULL;

		if (!eof && (line[0] == ' ' || line[0] == '\t') && hl > 0) {
			size_t n = strlen(line);

			if (hl + n < sizeof(hdr)) {
				memcpy(hdr + hl, line, n);
				hl += n;
			}
			continue;
		}
		if (hl > 0) {
			hdr[hl] = '\0';
			if (!have && queue_received(hdr, hl, m))
				have = 1;
			else if (strncasecmp(hdr, "Received: (qmail ", 17) == 0 &&
			    (u = strstr(hdr, "invoked by uid ")) != NULL)
				m->uid = strtol(u + 15, NULL, 10);
			else if (strncasecmp(hdr, "Subject:", 8) == 0)
				copy_text(m->subject, sizeof(m->subject),
				    hdr + 8 + (hdr[8] == ' '), hl - 8 -
				    (hdr[8] == ' '));
			else if (strncasecmp(hdr, "From:", 5) == 0)
				copy_text(m->from, sizeof(m->from),
				    hdr + 5 + (hdr[5] == ' '), hl - 5 -
				    (hdr[5] == ' '));
			hl = 0;
		}
		if (eof || line[0] == '\n' || (line[0] == '\r' &&
		    line[1] == '\n'))
			done = 1;
		else {
			size_t n = strlen(line);

			if (n >= sizeof(hdr))
				n = sizeof(hdr) - 1;
			memcpy(hdr, line, n);
			hl = n;
		}
	}
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
