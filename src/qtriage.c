/*
 * qtriage: a qmail queue full of spam, diagnosed in one command.  Reads
 * the queue on disk (read-only, but for yank -y and restore), groups the
 * messages by where they came from, joins the client addresses with the
 * AUTH log lines to name the account, and moves the spam aside with a
 * manifest so that nothing is ever deleted.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/queue.h"

#define USAGE \
"usage: qtriage [-q queuedir] stat [-o minutes] [-m max]\n" \
"       qtriage [-q queuedir] list|top|yank [filters] [-n count] [-F text|tsv|json] [-y] [-d dir]\n" \
"       qtriage [-q queuedir] who [filters] logfile ...\n" \
"       qtriage [-q queuedir] show|path id\n" \
"       qtriage [-q queuedir] restore [-d dir] | check\n" \
"filters: -f sender -r recipient -i clientip -h helo -p regex -o minutes -u uid"

#define DIMS		6
#define KEYCAP		20000	/* distinct values kept per dimension */

static const char *dimname[DIMS] = {
	"client address", "HELO", "sender", "AUTH user", "subject",
	"recipient domain"
};
static const char *dimkey[DIMS] = {
	"client", "helo", "sender", "user", "subject", "domain"
};

struct filter {
	const char	*from, *rcpt, *ip, *helo;
	regex_t		 re;
	int		 have_re;
	long		 older;		/* minutes, or -1 */
	long		 uid;		/* or -1 */
};

struct counter {
	char		**key;
	unsigned long	 *n;
	size_t		  cap, used;
	unsigned long	  other;
};

static struct filter	 flt = { .older = -1, .uid = -1 };
static time_t		 now;

static void
usage(void)
{
	fprintf(stderr, "%s\n", USAGE);
	exit(100);
}

static int
contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* -p: the pattern anywhere in the headers or the body, line by line. */
static int
grep_mess(struct queue *q, const struct qmsg *m)
{
	char	 path[1100], line[8192];
	FILE	*f;
	int	 hit = 0;

	queue_path(q, "mess", m->id, 1, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (!hit && fgets(line, sizeof(line), f) != NULL)
		hit = regexec(&flt.re, line, 0, NULL, 0) == 0;
	fclose(f);
	return hit;
}

static int
matches(struct queue *q, struct qmsg *m)
{
	int	i, ok;

	if (flt.older >= 0 && now - m->qtime < flt.older * 60)
		return 0;
	if (flt.from && !contains(m->sender, flt.from))
		return 0;
	if (flt.rcpt) {
		for (ok = 0, i = 0; i < m->nrcpt && !ok; i++)
			ok = contains(m->rcpt[i].addr, flt.rcpt);
		if (!ok)
			return 0;
	}
	if (flt.ip || flt.helo || flt.uid >= 0) {
		if (!m->headers)
			queue_headers(q, m);
		if (flt.ip && strcmp(m->ip, flt.ip) != 0)
			return 0;
		if (flt.helo && strcasecmp(m->helo, flt.helo) != 0)
			return 0;
		if (flt.uid >= 0 && m->uid != flt.uid)
			return 0;
	}
	if (flt.have_re && !grep_mess(q, m))
		return 0;
	return 1;
}

/* ---------------------------------------------------------------- stat */

struct stats {
	unsigned long	mess, todo, local, remote, bouncing, over, age[6];
	long		older;
};

static int
stat_one(struct queue *q, struct qmsg *m, void *arg)
{
	static const long	 edge[5] = { 5, 30, 60, 360, 1440 };
	struct stats		*s = arg;
	long			 min = (long)(now - m->qtime) / 60;
	int			 i;

	if (m->preprocessed)
		s->mess++;
	else
		s->todo++;
	for (i = 0; i < 5 && min >= edge[i]; i++)
		;
	s->age[i]++;
	for (i = 0; i < m->nrcpt; i++)
		if (!m->rcpt[i].done && m->rcpt[i].remote == 1)
			s->remote++;
		else if (!m->rcpt[i].done && m->rcpt[i].remote == 0)
			s->local++;
	s->bouncing += m->bouncing;
	if (s->older < 0 || min >= s->older)
		s->over++;
	return 0;
}

static int
cmd_stat(struct queue *q, long max)
{
	static const char *label[6] = { "under 5 minutes", "5 to 30 minutes",
	    "30 to 60 minutes", "1 to 6 hours", "6 to 24 hours",
	    "a day or more" };
	struct stats	s;
	int		i;

	memset(&s, 0, sizeof(s));
	s.older = flt.older;
	queue_scan(q, stat_one, &s);
	printf("messages in queue: %lu\n", s.mess + s.todo);
	printf("messages in queue but not yet preprocessed: %lu\n", s.todo);
	printf("by age:\n");
	for (i = 0; i < 6; i++)
		printf("  %-18s %lu\n", label[i], s.age[i]);
	printf("recipients still to do: %lu local, %lu remote\n", s.local,
	    s.remote);
	printf("bouncing: %lu\n", s.bouncing);
	if (max >= 0 && (long)s.over > max) {
		printf("ALERT: %lu messages%s%s%s, more than %ld\n", s.over,
		    flt.older >= 0 ? " older than " : "",
		    flt.older >= 0 ? "" : "", flt.older >= 0 ? "" : "", max);
		if (flt.older >= 0)
			printf("(older than %ld minutes)\n", flt.older);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- list */

static void
printable(const char *s)
{
	for (; *s; s++)
		putchar(*s >= 32 && *s <= 126 ? *s : '_');
}

static int
list_one(struct queue *q, struct qmsg *m, void *arg)
{
	char	date[64];
	int	i;

	if (!matches(q, m))
		return 0;
	queue_date(m->qtime, date, sizeof(date));
	printf("%s GMT  #%lu  %lld  <", date, m->id,
	    (long long)queue_size(q, m));
	printable(m->sender);
	printf("> %s%s\n", m->bouncing ? " bouncing" : "",
	    m->preprocessed ? "" : " (not yet preprocessed)");
	/* local first, then remote, as qmail-qread */
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].remote != 1) {
			printf("%s\t%s\t", m->rcpt[i].done ? "  done" : "",
			    m->rcpt[i].remote == 0 ? "local" : "todo");
			printable(m->rcpt[i].addr);
			putchar('\n');
		}
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].remote == 1) {
			printf("%s\tremote\t", m->rcpt[i].done ? "  done" : "");
			printable(m->rcpt[i].addr);
			putchar('\n');
		}
	(void)arg;
	return 0;
}

/* ----------------------------------------------------------------- top */

/* Envelope and log bytes are the sender's: no control bytes reach a tty. */
static void
clean(char *dst, size_t n, const char *src)
{
	log_sanitise(dst, n, src, strlen(src));
}

static void
count(struct counter *c, const char *raw)
{
	size_t	h = 5381, i;
	const char *p, *key;
	char	buf[Q_ADDRMAX];

	clean(buf, sizeof(buf), raw);
	key = buf[0] == '\0' ? "(none)" : buf;
	if (c->cap == 0) {
		c->cap = 1024;
		c->key = calloc(c->cap, sizeof(*c->key));
		c->n = calloc(c->cap, sizeof(*c->n));
		if (c->key == NULL || c->n == NULL)
			exit(111);
	}
	for (p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (i = h % c->cap; c->key[i] != NULL; i = (i + 1) % c->cap)
		if (strcmp(c->key[i], key) == 0) {
			c->n[i]++;
			return;
		}
	if (c->used >= KEYCAP) {	/* bounded memory: the rest is "other" */
		c->other++;
		return;
	}
	c->key[i] = strdup(key);
	c->n[i] = 1;
	if (++c->used * 2 > c->cap) {	/* grow and rehash */
		struct counter	 g = { 0 };
		size_t		 k;

		g.cap = c->cap * 2;
		g.key = calloc(g.cap, sizeof(*g.key));
		g.n = calloc(g.cap, sizeof(*g.n));
		if (g.key == NULL || g.n == NULL)
			exit(111);
		for (k = 0; k < c->cap; k++) {
			if (c->key[k] == NULL)
				continue;
			for (h = 5381, p = c->key[k]; *p; p++)
				h = h * 33 + (unsigned char)*p;
			for (i = h % g.cap; g.key[i]; i = (i + 1) % g.cap)
				;
			g.key[i] = c->key[k];
			g.n[i] = c->n[k];
		}
		free(c->key);
		free(c->n);
		c->key = g.key;
		c->n = g.n;
		c->cap = g.cap;
	}
}

struct top {
	struct counter	 dim[DIMS];
	unsigned long	 matched, total;
};

static void
top_free(struct top *t)
{
	size_t	i;
	int	d;

	for (d = 0; d < DIMS; d++) {
		for (i = 0; i < t->dim[d].cap; i++)
			free(t->dim[d].key[i]);
		free(t->dim[d].key);
		free(t->dim[d].n);
	}
}

static int
top_one(struct queue *q, struct qmsg *m, void *arg)
{
	struct top	*t = arg;
	const char	*at;
	int		 i;

	t->total++;
	if (!matches(q, m))
		return 0;
	t->matched++;
	if (!m->headers)
		queue_headers(q, m);
	count(&t->dim[0], m->uid >= 0 && m->ip[0] == '\0' ? "(local)" : m->ip);
	count(&t->dim[1], m->helo);
	count(&t->dim[2], m->sender[0] ? m->sender : "<>");
	count(&t->dim[3], m->user);
	count(&t->dim[4], m->subject);
	for (i = 0; i < m->nrcpt; i++) {
		at = strrchr(m->rcpt[i].addr, '@');
		count(&t->dim[5], at ? at + 1 : m->rcpt[i].addr);
	}
	return 0;
}

struct entry {
	const char	*key;
	unsigned long	 n;
};

static int
bycount(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static size_t
ranked(const struct counter *c, struct entry **out)
{
	size_t	i, k = 0;

	*out = calloc(c->used + 1, sizeof(**out));
	for (i = 0; i < c->cap; i++)
		if (c->key[i] != NULL)
			(*out)[k++] = (struct entry){ c->key[i], c->n[i] };
	qsort(*out, k, sizeof(**out), bycount);
	return k;
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int
cmd_top(struct queue *q, size_t limit, const char *fmt)
{
	struct top	 t;
	struct entry	*e;
	size_t		 n, i;
	int		 d;

	memset(&t, 0, sizeof(t));
	queue_scan(q, top_one, &t);
	if (strcmp(fmt, "json") == 0)
		printf("{\"messages\":%lu,\"total\":%lu", t.matched, t.total);
	else if (strcmp(fmt, "text") == 0)
		printf("%lu of the %lu messages in the queue\n", t.matched,
		    t.total);
	for (d = 0; d < DIMS; d++) {
		n = t.dim[d].cap ? ranked(&t.dim[d], &e) : 0;
		if (n == 0)
			e = NULL;
		if (strcmp(fmt, "json") == 0) {
			printf(",\"%s\":[", dimkey[d]);
			for (i = 0; i < n && i < limit; i++) {
				printf("%s{\"value\":", i ? "," : "");
				json_str(e[i].key);
				printf(",\"count\":%lu}", e[i].n);
			}
			printf("]");
		} else if (strcmp(fmt, "tsv") == 0) {
			for (i = 0; i < n && i < limit; i++)
				printf("%s\t%s\t%lu\n", dimkey[d], e[i].key,
				    e[i].n);
		} else {
			printf("\n%-40s %8s\n", dimname[d], "messages");
			for (i = 0; i < n && i < limit; i++)
				printf("  %-38.38s %8lu\n", e[i].key, e[i].n);
			if (t.dim[d].other)
				printf("  %-38s %8lu\n", "(other values)",
				    t.dim[d].other);
		}
		free(e);
	}
	if (strcmp(fmt, "json") == 0)
		printf("}\n");
	top_free(&t);
	return 0;
}

/* ----------------------------------------------------------------- who */

/* Each program logs a login once: count the logins by the one that
 * saw the most of them, not the lines of all of them together. */
struct login {
	char		ip[64];
	char		user[Q_TEXTMAX];
	unsigned long	n[3];		/* authguard, authfirst, smtp_auth */
};

static struct login	*logins;
static size_t		 nlogins;

static void
add_login(int src, const char *ip, size_t iplen, const char *user,
    size_t ulen)
{
	char	i[64], u[Q_TEXTMAX];
	size_t	k;

	if (iplen == 0 || iplen >= sizeof(i) || ulen == 0 || ulen >= sizeof(u))
		return;
	memcpy(i, ip, iplen);
	i[iplen] = '\0';
	memcpy(u, user, ulen);
	u[ulen] = '\0';
	clean(i, sizeof(i), i);
	clean(u, sizeof(u), u);
	for (k = 0; k < nlogins; k++)
		if (strcmp(logins[k].ip, i) == 0 &&
		    strcmp(logins[k].user, u) == 0) {
			logins[k].n[src]++;
			return;
		}
	if ((logins = realloc(logins, (nlogins + 1) * sizeof(*logins))) == NULL)
		exit(111);
	memset(&logins[nlogins], 0, sizeof(logins[nlogins]));
	strlcpy(logins[nlogins].ip, i, sizeof(logins[nlogins].ip));
	strlcpy(logins[nlogins].user, u, sizeof(logins[nlogins].user));
	logins[nlogins++].n[src] = 1;
}

/* The AUTH lines of authguard, authfirst and Plesk's smtp_auth. */
static void
read_log(const char *path)
{
	FILE		*f;
	char		 line[4096];
	const char	*p, *e, *u;
	size_t		 n;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "qtriage: warning: unable to read %s: %s\n",
		    path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		/*
		 * authguard: pid N: ok[, weak password] from IP[ (why)]: user
		 * NAME.  Read from the left: the user name is last, so no
		 * name can make a failure look like a login.
		 */
		if ((p = strstr(line, "authguard")) != NULL &&
		    (p = strstr(p, ": pid ")) != NULL &&
		    (p = strstr(p + 6, ": ")) != NULL) {
			p += 2;
			if (strncmp(p, "ok from ", 8) == 0)
				p += 8;
			else if (strncmp(p, "ok, weak password from ", 23) == 0)
				p += 23;
			else
				continue;
			n = strcspn(p, " ");
			if (n > 0 && p[n - 1] == ':')
				n--;
			if ((u = strstr(p + n, ": user ")) != NULL)
				add_login(0, p, n, u + 7, strlen(u + 7));
			continue;
		}
		/* authfirst: pid N: IP: gated...auth USER, */
		if ((p = strstr(line, "authfirst")) != NULL &&
		    (p = strstr(p, ": pid ")) != NULL &&
		    (p = strchr(p + 6, ':')) != NULL &&
		    (u = strstr(p, ", auth ")) != NULL) {
			p += 2;
			u += 7;
			if (strncmp(u, "none,", 5) != 0 &&
			    strncmp(u, "failed,", 7) != 0)
				add_login(1, p, strcspn(p, ":"), u,
				    strcspn(u, ","));
			continue;
		}
		/* smtp_auth: SMTP user U : ... logged in from ... [IP] */
		if ((p = strstr(line, "SMTP user ")) != NULL &&
		    strstr(line, "logged in from") != NULL &&
		    (e = strrchr(line, '[')) != NULL) {
			u = p + 10;
			add_login(2, e + 1, strcspn(e + 1, "]"), u,
			    strcspn(u, " "));
		}
	}
	fclose(f);
}

static int
cmd_who(struct queue *q, char **files, int nfiles, size_t limit)
{
	struct top	 t;
	struct entry	*ips, *users;
	size_t		 n, nu, i, k;
	int		 j, named;

	for (j = 0; j < nfiles; j++)
		read_log(files[j]);
	memset(&t, 0, sizeof(t));
	queue_scan(q, top_one, &t);
	printf("%lu of the %lu messages in the queue\n", t.matched, t.total);
	n = t.dim[0].cap ? ranked(&t.dim[0], &ips) : 0;
	for (i = 0; i < n && i < limit; i++) {
		printf("\n%s: %lu messages\n", ips[i].key, ips[i].n);
		for (named = 0, k = 0; k < nlogins; k++)
			if (strcmp(logins[k].ip, ips[i].key) == 0) {
				unsigned long *c = logins[k].n, most = c[0];

				most = c[1] > most ? c[1] : most;
				most = c[2] > most ? c[2] : most;
				printf("  logged in as %s (%lu times)\n",
				    logins[k].user, most);
				named++;
			}
		if (!named)
			printf("  no AUTH login from this address in the "
			    "logs\n");
	}
	nu = t.dim[3].cap ? ranked(&t.dim[3], &users) : 0;
	for (i = 0, named = 0; i < nu; i++)
		if (strcmp(users[i].key, "(none)") != 0) {
			if (!named++)
				printf("\naccounts named in the messages' "
				    "Received lines:\n");
			printf("  %s: %lu messages\n", users[i].key,
			    users[i].n);
		}
	if (n)
		free(ips);
	if (nu)
		free(users);
	top_free(&t);
	free(logins);
	return 0;
}

/* ------------------------------------------------------------ show/path */

static const char *subs[] = { "mess", "info", "local", "remote", "bounce",
    "todo", "intd", NULL };

static int
path_of(const struct queue *q, const char *sub, unsigned long id, char *buf,
    size_t n)
{
	int	split = strcmp(sub, "bounce") != 0 &&
	    ((strcmp(sub, "todo") != 0 && strcmp(sub, "intd") != 0) ||
	    q->bigtodo);

	queue_path(q, sub, id, split, buf, n);
	return access(buf, F_OK) == 0;
}

static int
cmd_show(struct queue *q, const char *arg, int headers)
{
	char		 path[1100], line[4096];
	unsigned long	 id;
	int		 i, found = 0;
	char		*end;
	FILE		*f;

	id = strtoul(arg[0] == '#' ? arg + 1 : arg, &end, 10);
	if (*end != '\0')
		usage();
	for (i = 0; subs[i]; i++)
		if (path_of(q, subs[i], id, path, sizeof(path))) {
			puts(path);
			found++;
		}
	if (!found) {
		fprintf(stderr, "qtriage: no message #%lu in %s\n", id, q->dir);
		return 100;
	}
	if (!headers)
		return 0;
	path_of(q, "mess", id, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL)
		return 111;
	putchar('\n');
	while (fgets(line, sizeof(line), f) != NULL && line[0] != '\n') {
		printable(line[strlen(line) - 1] == '\n' ?
		    (line[strlen(line) - 1] = '\0', line) : line);
		putchar('\n');
	}
	fclose(f);
	return 0;
}

/* ----------------------------------------------------------- yank/check */

struct ids {
	unsigned long	*id;
	size_t		 n;
};

static int
collect(struct queue *q, struct qmsg *m, void *arg)
{
	struct ids	*v = arg;

	if (!matches(q, m))
		return 0;
	if ((v->id = realloc(v->id, (v->n + 1) * sizeof(*v->id))) == NULL)
		exit(111);
	v->id[v->n++] = m->id;
	return 0;
}

/* qmail-send holds lock/sendmutex while it runs. */
static int
sendmutex(const struct queue *q)
{
	char	path[1100];
	int	fd;

	snprintf(path, sizeof(path), "%s/lock/sendmutex", q->dir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		fprintf(stderr, "qtriage: fatal: unable to open %s: %s\n", path,
		    strerror(errno));
		exit(111);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fprintf(stderr, "qtriage: fatal: qmail-send is running (it "
		    "holds %s): stop it first\n", path);
		exit(111);
	}
	return fd;
}

static void
mkparents(const char *base, const char *rel, const char *modesrc)
{
	char		 p[2300], src[2300], *s;
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	for (s = p + strlen(base) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		snprintf(src, sizeof(src), "%s/%s", modesrc, p + strlen(base) +
		    1);
		if (mkdir(p, 0700) == 0 && stat(src, &st) == 0) {
			chmod(p, st.st_mode & 07777);
			chown(p, st.st_uid, st.st_gid);
		}
		*s = '/';
	}
}

static int
cmd_yank(struct queue *q, const char *dir, int really)
{
	struct ids	 v = { NULL, 0 };
	char		 path[1100], rel[256], dst[4096], man[4096];
	size_t		 i;
	int		 k, lockfd = -1, moved = 0;
	FILE		*mf = NULL;

	if (really)
		lockfd = sendmutex(q);
	queue_scan(q, collect, &v);
	if (really) {
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			fprintf(stderr, "qtriage: fatal: unable to create %s: "
			    "%s\n", dir, strerror(errno));
			return 111;
		}
		snprintf(man, sizeof(man), "%s/manifest", dir);
		if ((mf = fopen(man, "a")) == NULL) {
			fprintf(stderr, "qtriage: fatal: unable to write %s: "
			    "%s\n", man, strerror(errno));
			return 111;
		}
	}
	for (i = 0; i < v.n; i++) {
		for (k = 0; subs[k]; k++) {
			if (!path_of(q, subs[k], v.id[i], path, sizeof(path)))
				continue;
			strlcpy(rel, path + strlen(q->dir) + 1, sizeof(rel));
			if (!really) {
				printf("would move %s\n", path);
				continue;
			}
			mkparents(dir, rel, q->dir);
			snprintf(dst, sizeof(dst), "%s/%s", dir, rel);
			if (rename(path, dst) == -1) {
				fprintf(stderr, "qtriage: warning: unable to "
				    "move %s: %s\n", path, strerror(errno));
				continue;
			}
			fprintf(mf, "%lu %s\n", v.id[i], rel);
			moved++;
		}
	}
	if (really) {
		if (fflush(mf) != 0 || fsync(fileno(mf)) != 0 || fclose(mf) != 0)
			fprintf(stderr, "qtriage: warning: %s: %s\n", man,
			    strerror(errno));
		printf("yanked %zu messages (%d files) into %s\n", v.n, moved,
		    dir);
		close(lockfd);
	} else
		printf("%zu messages would be yanked into %s (dry run: -y "
		    "moves them)\n", v.n, dir);
	free(v.id);
	return 0;
}

static void
rmdirs(const char *base, const char *rel)
{
	char	p[2300], *s;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	while ((s = strrchr(p, '/')) != NULL && strlen(p) > strlen(base)) {
		*s = '\0';
		if (strlen(p) <= strlen(base) || rmdir(p) == -1)
			break;
	}
}

static int
cmd_restore(struct queue *q, const char *dir)
{
	char		 man[4096], line[512], src[4096], dst[4096];
	char		*rel;
	FILE		*mf;
	int		 lockfd, back = 0, bad = 0;

	lockfd = sendmutex(q);
	snprintf(man, sizeof(man), "%s/manifest", dir);
	if ((mf = fopen(man, "re")) == NULL) {
		fprintf(stderr, "qtriage: fatal: unable to read %s: %s\n", man,
		    strerror(errno));
		return 111;
	}
	while (fgets(line, sizeof(line), mf) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((rel = strchr(line, ' ')) == NULL || strstr(rel, "..")) {
			bad++;
			continue;
		}
		rel++;
		snprintf(src, sizeof(src), "%s/%s", dir, rel);
		snprintf(dst, sizeof(dst), "%s/%s", q->dir, rel);
		if (access(dst, F_OK) == 0 || rename(src, dst) == -1) {
			fprintf(stderr, "qtriage: warning: unable to put %s "
			    "back\n", rel);
			bad++;
			continue;
		}
		rmdirs(dir, rel);
		back++;
	}
	fclose(mf);
	if (bad == 0) {
		unlink(man);
		rmdir(dir);
	}
	printf("restored %d files from %s%s\n", back, dir, bad ?
	    " (some could not be put back: see above)" : "");
	close(lockfd);
	return bad ? 111 : 0;
}

static int
cmd_check(struct queue *q)
{
	char		 path[4096], other[4096];
	unsigned int	 s;
	unsigned long	 id, problems = 0, files = 0;
	struct stat	 st;
	int		 k;
	DIR		*d;
	struct dirent	*de;
	static const char *split_subs[] = { "mess", "info", "local", "remote",
	    NULL };

	for (k = 0; split_subs[k]; k++)
		for (s = 0; s < q->split; s++) {
			snprintf(path, sizeof(path), "%s/%s/%u", q->dir,
			    split_subs[k], s);
			if ((d = opendir(path)) == NULL) {
				printf("%s: missing split directory\n", path);
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
					printf("%s: not a message file\n", path);
					problems++;
					continue;
				}
				if (id % q->split != s) {
					printf("%s: in split %u, belongs in %lu\n",
					    path, s, id % q->split);
					problems++;
				}
				if (k == 0) {
					if (stat(path, &st) == 0 &&
					    st.st_ino != id) {
						printf("%s: name is not its inode "
						    "(%lu)\n", path,
						    (unsigned long)st.st_ino);
						problems++;
					}
					queue_path(q, "info", id, 1, other,
					    sizeof(other));
					if (access(other, F_OK) == -1 &&
					    !path_of(q, "todo", id, other,
					    sizeof(other))) {
						printf("%s: neither preprocessed "
						    "nor in todo\n", path);
						problems++;
					}
				} else if (!path_of(q, "mess", id, other,
				    sizeof(other))) {
					printf("%s: orphan: no message file\n",
					    path);
					problems++;
				}
			}
			closedir(d);
		}
	printf("%lu files, %lu problems\n", files, problems);
	return problems ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct queue	 q;
	const char	*qdir = "/var/qmail/queue", *cmd, *fmt = "text";
	const char	*yankdir = NULL, *errstr;
	char		 ybuf[1100];
	long		 max = -1;
	size_t		 limit = 10;
	int		 ch, really = 0, rc;

	while ((ch = getopt(argc, argv, "+hq:")) != -1) {
		if (ch == 'q')
			qdir = optarg;
		else if (ch == 'h') {
			puts(USAGE);
			return 0;
		} else
			usage();
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	optind = 1;
	while ((ch = getopt(argc, argv, "d:f:F:h:i:m:n:o:p:r:u:y")) != -1) {
		switch (ch) {
		case 'd':
			yankdir = optarg;
			break;
		case 'f':
			flt.from = optarg;
			break;
		case 'F':
			fmt = optarg;
			if (strcmp(fmt, "text") && strcmp(fmt, "tsv") &&
			    strcmp(fmt, "json"))
				usage();
			break;
		case 'h':
			flt.helo = optarg;
			break;
		case 'i':
			flt.ip = optarg;
			break;
		case 'm':
			max = (long)strtonum(optarg, 0, 100000000, &errstr);
			if (errstr)
				usage();
			break;
		case 'n':
			limit = (size_t)strtonum(optarg, 1, 100000, &errstr);
			if (errstr)
				usage();
			break;
		case 'o':
			flt.older = (long)strtonum(optarg, 0, 10000000, &errstr);
			if (errstr)
				usage();
			break;
		case 'p':
			if (regcomp(&flt.re, optarg, REG_EXTENDED | REG_NOSUB)
			    != 0) {
				fprintf(stderr, "qtriage: fatal: -p %s: not a "
				    "regular expression\n", optarg);
				return 100;
			}
			flt.have_re = 1;
			break;
		case 'r':
			flt.rcpt = optarg;
			break;
		case 'u':
			flt.uid = (long)strtonum(optarg, 0, 4000000000LL, &errstr);
			if (errstr)
				usage();
			break;
		case 'y':
			really = 1;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	now = time(NULL);
	if (queue_open(&q, qdir, stderr) == -1) {
		fprintf(stderr, "qtriage: fatal: %s is not a qmail queue: %s\n",
		    qdir, strerror(errno));
		return 111;
	}
	if (yankdir == NULL) {
		snprintf(ybuf, sizeof(ybuf), "%s/yanked", qdir);
		yankdir = ybuf;
	}
	if (strcmp(cmd, "stat") == 0 && argc == 0)
		rc = cmd_stat(&q, max);
	else if (strcmp(cmd, "list") == 0 && argc == 0)
		rc = queue_scan(&q, list_one, NULL);
	else if (strcmp(cmd, "top") == 0 && argc == 0)
		rc = cmd_top(&q, limit, fmt);
	else if (strcmp(cmd, "who") == 0 && argc > 0)
		rc = cmd_who(&q, argv, argc, limit);
	else if ((strcmp(cmd, "show") == 0 || strcmp(cmd, "path") == 0) &&
	    argc == 1)
		rc = cmd_show(&q, argv[0], cmd[0] == 's');
	else if (strcmp(cmd, "yank") == 0 && argc == 0)
		rc = cmd_yank(&q, yankdir, really);
	else if (strcmp(cmd, "restore") == 0 && argc == 0)
		rc = cmd_restore(&q, yankdir);
	else if (strcmp(cmd, "check") == 0 && argc == 0)
		rc = cmd_check(&q);
	else
		usage();
	if (q.trouble && rc == 0 && strcmp(cmd, "check") != 0)
		fprintf(stderr, "qtriage: %lu files could not be read "
		    "(see above); the rest is reported\n", q.trouble);
	queue_close(&q);
	return rc;
}
