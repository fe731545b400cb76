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
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <regex.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/authlog.h"
#include "lib/log.h"
#include "lib/queue.h"

#define USAGE \
"usage: qtriage [-q queuedir] stat [-R] [-o minutes] [-m max]\n" \
"       qtriage [-q queuedir] list [-Q] [filters]\n" \
"       qtriage [-q queuedir] top|yank [filters] [-n count] [-F text|tsv|json] [-y] [-d dir]\n" \
"       qtriage [-q queuedir] who [filters] logfile ...\n" \
"       qtriage [-q queuedir] show|path id\n" \
"       qtriage [-q queuedir] restore [-d dir] | check\n" \
"filters: -f sender -r recipient -i clientip -h helo -p regex -o minutes -u uid|user"

#define DIMS		9
#define KEYCAP		20000	/* distinct values kept per dimension */

static const char *dimname[DIMS] = {
	"client address", "HELO", "sender", "AUTH user", "subject",
	"recipient domain", "remote info (unverified: ident or AUTH=)",
	"local user (sendmail, qmail-inject)", "PHP script (uid:script)"
};
static const char *dimkey[DIMS] = {
	"client", "helo", "sender", "user", "subject", "domain", "rinfo",
	"local", "script"
};

struct filter {
	const char	*from, *rcpt, *ip, *helo;
	regex_t		 re;
	int		 have_re;
	long		 older;		/* minutes, or -1 */
	long		 uid;		/* or -1 */
};

/* One grouping: distinct values and their counts, in a tsearch(3) tree. */
struct counter {
	void		*root;
	size_t		 used;
	unsigned long	 other;
};

struct centry {
	unsigned long	n;
	char		key[];
};

static struct filter	 flt = { .older = -1, .uid = -1 };
static time_t		 now;
static int		 qread;		/* list -Q: qmail-qread's messages */

static void
usage(void)
{
	fprintf(stderr, "%s\n", USAGE);
	exit(100);
}

static void __attribute__((noreturn))
nomem(void)
{
	errx(111, "fatal: out of memory");
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
	char	*line = NULL;
	size_t	 cap = 0;
	FILE	*f;
	int	 fd, hit = 0;

	if ((fd = queue_openat(q, "mess", m->id, 1)) == -1)
		return 0;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	while (!hit && getline(&line, &cap, f) != -1)
		hit = regexec(&flt.re, line, 0, NULL, 0) == 0;
	free(line);
	fclose(f);
	return hit;
}

static int
matches(struct queue *q, struct qmsg *m)
{
	int	i, ok;

	if (flt.older >= 0 && now - queue_qtime(q, m) < flt.older * 60)
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
	unsigned long	local, remote;
};

static int
stat_one(struct queue *q, struct qmsg *m, void *arg)
{
	struct stats	*s = arg;
	int		 i;

	for (i = 0; i < m->nrcpt; i++)
		if (!m->rcpt[i].done && m->rcpt[i].remote == 1)
			s->remote++;
		else if (!m->rcpt[i].done && m->rcpt[i].remote == 0)
			s->local++;
	return 0;
}

/* Entries of sub, as qmail-qstat counts them: names, not contents. */
static unsigned long
entries(struct queue *q, const char *sub)
{
	unsigned long	 n = 0;
	unsigned int	 s;
	int		 k = queue_sub(sub), split = queue_split(q, k);
	DIR		*d;
	struct dirent	*de;

	for (s = 0; s < (split ? q->split : 1); s++) {
		if ((d = queue_opendir(q, k, split ? (long)s : -1)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
	}
	return n;
}

/*
 * qmail-qstat's counts, then ages (of the message files: when each
 * arrived) and bouncing, from the directories and one stat a message;
 * recipients (-R) read every message's files.
 */
static int
cmd_stat(struct queue *q, long max, int rcpts)
{
	static const char *label[6] = { "under 5 minutes", "5 to 30 minutes",
	    "30 to 60 minutes", "1 to 6 hours", "6 to 24 hours",
	    "a day or more" };
	static const long edge[5] = { 5, 30, 60, 360, 1440 };
	struct stats	 s = { 0, 0 };
	unsigned long	 age[6] = { 0 }, over = 0;
	time_t		*t;
	ssize_t		 n, k;
	long		 min;
	int		 i;

	if ((n = queue_times(q, &t)) == -1) {
		nomem();
	}
	for (k = 0; k < n; k++) {
		min = (long)(now - t[k]) / 60;
		for (i = 0; i < 5 && min >= edge[i]; i++)
			;
		age[i]++;
		if (flt.older < 0 || min >= flt.older)
			over++;
	}
	free(t);
	/* qmail-qstat's two lines: a message still arriving is in mess/ */
	printf("messages in queue: %lu\n", (unsigned long)n);
	printf("messages in queue but not yet preprocessed: %lu\n",
	    entries(q, "todo"));
	printf("by age:\n");
	for (i = 0; i < 6; i++)
		printf("  %-18s %lu\n", label[i], age[i]);
	if (rcpts) {
		queue_scan(q, stat_one, &s);
		printf("recipients still to do: %lu local, %lu remote\n",
		    s.local, s.remote);
	}
	printf("bouncing: %lu\n", (unsigned long)q->bounce.n);
	if (max >= 0 && (long)over > max) {
		if (flt.older >= 0)
			printf("ALERT: %lu messages older than %ld minutes, "
			    "more than %ld\n", over, flt.older, max);
		else
			printf("ALERT: %lu messages, more than %ld\n", over,
			    max);
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

	if ((qread && !m->preprocessed) || !matches(q, m))
		return 0;
	queue_date(queue_qtime(q, m), date, sizeof(date));
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

static int
centcmp(const void *a, const void *b)
{
	return strcmp(((const struct centry *)a)->key,
	    ((const struct centry *)b)->key);
}

/* One more message with this value; values past KEYCAP are "other". */
static void
count(struct counter *c, const char *raw)
{
	union {
		struct centry	e;
		char		b[sizeof(struct centry) + Q_ADDRMAX];
	}		 probe;
	struct centry	*e, **found;
	size_t		 len;

	clean(probe.e.key, Q_ADDRMAX, raw);
	if (probe.e.key[0] == '\0')
		strlcpy(probe.e.key, "(none)", Q_ADDRMAX);
	if ((found = tfind(&probe.e, &c->root, centcmp)) != NULL) {
		(*found)->n++;
		return;
	}
	if (c->used >= KEYCAP) {	/* bounded memory: the rest is "other" */
		c->other++;
		return;
	}
	len = strlen(probe.e.key) + 1;
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		nomem();
	e->n = 1;
	memcpy(e->key, probe.e.key, len);
	if (tsearch(e, &c->root, centcmp) == NULL)
		nomem();
	c->used++;
}

/* Where a message came from, for the "client address" grouping. */
static const char *
client(const struct qmsg *m)
{
	switch (m->origin) {
	case Q_NETWORK:
		return m->ip[0] ? m->ip : "(network, no qmail-smtpd line)";
	case Q_LOCAL:
		return "(local)";
	case Q_ALIAS:
		return "(forwarded)";
	case Q_BOUNCE:
		return "(bounce)";
	default:
		return "(unknown origin)";
	}
}

/*
 * A local uid as an admin reads it: "alice (uid 10003, home
 * /var/www/vhosts/example.com)".  Looked up once per uid.
 */
static const char *
localuser(long uid)
{
	static struct {
		long	uid;
		char	text[Q_TEXTMAX];
	}		 cache[64];
	static size_t	 ncache;
	struct passwd	*pw;
	size_t		 i;

	for (i = 0; i < ncache; i++)
		if (cache[i].uid == uid)
			return cache[i].text;
	i = ncache < 64 ? ncache++ : (size_t)uid % 64;
	cache[i].uid = uid;
	if ((pw = getpwuid((uid_t)uid)) != NULL) {
		/* Plesk: /var/www/vhosts/DOMAIN belongs to the domain */
		const char	*v = strstr(pw->pw_dir, "/vhosts/");
		int		 dl = v ? (int)strcspn(v + 8, "/") : 0;

		snprintf(cache[i].text, sizeof(cache[i].text), "%s (uid %ld, "
		    "home %s%s%.*s)", pw->pw_name, uid, pw->pw_dir,
		    dl ? ", domain " : "", dl, v ? v + 8 : "");
	}
	else
		snprintf(cache[i].text, sizeof(cache[i].text), "uid %ld", uid);
	return cache[i].text;
}

struct top {
	struct counter	 dim[DIMS];
	unsigned long	 matched, total;
};

static void
top_free(struct top *t)
{
	int	d;

	for (d = 0; d < DIMS; d++)
		tdestroy(t->dim[d].root, free);
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
	count(&t->dim[0], client(m));
	count(&t->dim[1], m->helo);
	count(&t->dim[2], m->sender[0] ? m->sender : "<>");
	count(&t->dim[3], m->user);
	count(&t->dim[4], m->subject);
	for (i = 0; i < m->nrcpt; i++) {
		at = strrchr(m->rcpt[i].addr, '@');
		count(&t->dim[5], at ? at + 1 : m->rcpt[i].addr);
	}
	count(&t->dim[6], m->rinfo);
	count(&t->dim[7], m->origin == Q_LOCAL ? localuser(m->uid) : "");
	count(&t->dim[8], m->script);
	return 0;
}

struct value {
	const char	*key;
	unsigned long	 n;
};

static int
bycount(const void *a, const void *b)
{
	const struct value *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

struct ranking {
	struct value	*e;
	size_t		 n;
};

static void
rank_one(const void *node, VISIT v, void *arg)
{
	const struct centry	*c = *(const struct centry *const *)node;
	struct ranking		*r = arg;

	if (v == postorder || v == leaf)
		r->e[r->n++] = (struct value){ c->key, c->n };
}

/* The values of a grouping, most messages first; *out is malloc'd. */
static size_t
ranked(const struct counter *c, struct value **out)
{
	struct ranking	r = { NULL, 0 };

	*out = NULL;
	if (c->used == 0)
		return 0;
	if ((r.e = calloc(c->used, sizeof(*r.e))) == NULL)
		nomem();
	twalk_r(c->root, rank_one, &r);
	qsort(r.e, r.n, sizeof(*r.e), bycount);
	*out = r.e;
	return r.n;
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
	struct value	*e;
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
		n = ranked(&t.dim[d], &e);
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
			if (d >= 6 && (n == 0 || (n == 1 &&
			    strcmp(e[0].key, "(none)") == 0))) {
				free(e);
				continue;	/* nothing of the kind here */
			}
			printf("\n%-40s %8s\n", dimname[d], "messages");
			for (i = 0; i < n && i < limit; i++)
				printf("  %-38s %8lu\n", e[i].key, e[i].n);
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
	if ((logins = reallocarray(logins, nlogins + 1, sizeof(*logins))) ==
	    NULL)
		nomem();
	memset(&logins[nlogins], 0, sizeof(logins[nlogins]));
	strlcpy(logins[nlogins].ip, i, sizeof(logins[nlogins].ip));
	strlcpy(logins[nlogins].user, u, sizeof(logins[nlogins].user));
	logins[nlogins++].n[src] = 1;
}

/* The logins of the log files, by the program that logged them. */
static void
read_log(const char *path)
{
	struct authlog	 a;
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "qtriage: warning: unable to read %s: %s\n",
		    path, strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (authlog_parse(line, &a))
			add_login((int)a.src, a.ip, a.iplen, a.user, a.ulen);
	}
	free(line);
	fclose(f);
}

static int
cmd_who(struct queue *q, char **files, int nfiles, size_t limit)
{
	struct top	 t;
	struct value	*ips, *users;
	size_t		 n, nu, i, k;
	int		 j, named, d;

	for (j = 0; j < nfiles; j++)
		read_log(files[j]);
	memset(&t, 0, sizeof(t));
	queue_scan(q, top_one, &t);
	printf("%lu of the %lu messages in the queue\n", t.matched, t.total);
	n = ranked(&t.dim[0], &ips);
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
	for (d = 7; d <= 8; d++) {
		struct value	*e;
		size_t		 ne = ranked(&t.dim[d], &e);

		for (i = 0, named = 0; i < ne && i < limit; i++) {
			if (strcmp(e[i].key, "(none)") == 0)
				continue;
			if (!named++)
				printf("\n%s:\n", d == 7 ? "injected locally "
				    "(sendmail, qmail-inject) by" :
				    "PHP scripts that sent them "
				    "(X-PHP-Originating-Script, uid:script)");
			printf("  %s: %lu messages\n", e[i].key, e[i].n);
		}
		if (ne)
			free(e);
	}
	nu = ranked(&t.dim[3], &users);
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
path_of(struct queue *q, const char *sub, unsigned long id, char *buf,
    size_t n)
{
	struct stat	st;
	int		split = queue_split(q, queue_sub(sub));

	queue_path(q, sub, id, split, buf, n);
	return queue_statat(q, sub, id, split, &st) == 0;
}

static int
cmd_show(struct queue *q, const char *arg, int headers)
{
	char		 path[1100], *line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	unsigned long	 id;
	int		 i, fd, found = 0;
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
	if ((fd = queue_openat(q, "mess", id, 1)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		err(111, "fatal: unable to read message #%lu", id);
	}
	putchar('\n');
	while ((len = getline(&line, &cap, f)) > 0 && line[0] != '\n') {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		printable(line);
		putchar('\n');
	}
	free(line);
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
	if ((v->id = reallocarray(v->id, v->n + 1, sizeof(*v->id))) == NULL)
		nomem();
	v->id[v->n++] = m->id;
	return 0;
}

static void __attribute__((noreturn))
fatal(const char *what, const char *name)
{
	err(111, "fatal: %s %s", what, name);
}

/* qmail-send holds lock/sendmutex while it runs: take it or stop. */
static int
sendmutex(struct queue *q)
{
	int	fd;

	if ((fd = queue_lock(q)) == -1) {
		if (errno == EWOULDBLOCK)
			errx(111, "fatal: qmail-send is running (it holds "
			    "%s/lock/sendmutex): stop it first", q->dir);
		fatal("unable to open", "lock/sendmutex");
	}
	return fd;
}

/*
 * The yank directory: ours (owned by whoever runs qtriage, writable by
 * nobody else), opened once; everything in it is reached from this
 * descriptor, so a directory swapped in by someone else is refused and a
 * link in it is never followed.
 */
static int
yankdir_open(const char *dir, int create)
{
	struct stat	st;
	int		fd;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("unable to create", dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		fatal("unable to open", dir);
	if (fstat(fd, &st) == -1)
		fatal("unable to read", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		errx(111, "fatal: %s is not ours (owner %lu, mode %o): refused",
		    dir, (unsigned long)st.st_uid,
		    (unsigned int)(st.st_mode & 07777));
	}
	return fd;
}

/*
 * A message file's place, the same inside the queue and the yank
 * directory: sub, then the split for split subdirectories.  "mess/3/12"
 * and "bounce/12" are the only shapes a manifest may hold.
 */
struct place {
	int		sub;
	long		split;		/* -1: flat */
	unsigned long	id;
	char		rel[64], name[24];
};

static int
place_parse(struct queue *q, const char *rel, struct place *p)
{
	char		 sub[16], *end;
	const char	*slash = strchr(rel, '/');
	size_t		 n;

	if (slash == NULL || (n = (size_t)(slash - rel)) >= sizeof(sub))
		return -1;
	memcpy(sub, rel, n);
	sub[n] = '\0';
	if ((p->sub = queue_sub(sub)) < 0)
		return -1;
	p->split = -1;
	if (queue_split(q, p->sub)) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		p->split = strtol(slash + 1, &end, 10);
		if (*end != '/' || p->split >= (long)q->split)
			return -1;
		slash = end;
	}
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	errno = 0;
	p->id = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 ||
	    (p->split >= 0 && (long)(p->id % q->split) != p->split))
		return -1;
	snprintf(p->name, sizeof(p->name), "%lu", p->id);
	strlcpy(p->rel, rel, sizeof(p->rel));
	return 0;
}

static void
place_of(struct queue *q, int sub, unsigned long id, struct place *p)
{
	p->sub = sub;
	p->id = id;
	p->split = queue_split(q, sub) ? (long)(id % q->split) : -1;
	snprintf(p->name, sizeof(p->name), "%lu", id);
	if (p->split >= 0)
		snprintf(p->rel, sizeof(p->rel), "%s/%ld/%lu", queue_subs[sub],
		    p->split, id);
	else
		snprintf(p->rel, sizeof(p->rel), "%s/%lu", queue_subs[sub], id);
}

/* The directory of p under the yank directory; made, with the queue's
 * own modes and owners, when create is set.  -1 when it is not there. */
static int
yank_at(struct queue *q, int yfd, const struct place *p, int create)
{
	struct stat	st;
	char		num[24];
	int		fd, sfd;

	if (create && mkdirat(yfd, queue_subs[p->sub], 0700) == 0 &&
	    queue_dir(q, p->sub, -1) != -1 &&
	    fstat(queue_dir(q, p->sub, -1), &st) == 0) {
		fd = openat(yfd, queue_subs[p->sub], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1) {
			(void)!fchown(fd, st.st_uid, st.st_gid);
			fchmod(fd, st.st_mode & 07777);
			close(fd);
		}
	}
	if ((fd = openat(yfd, queue_subs[p->sub], O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1 || p->split < 0)
		return fd;
	snprintf(num, sizeof(num), "%ld", p->split);
	if (create && mkdirat(fd, num, 0700) == 0 &&
	    queue_dir(q, p->sub, p->split) != -1 &&
	    fstat(queue_dir(q, p->sub, p->split), &st) == 0 &&
	    (sfd = openat(fd, num, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) != -1) {
		(void)!fchown(sfd, st.st_uid, st.st_gid);
		fchmod(sfd, st.st_mode & 07777);
		close(sfd);
	}
	sfd = openat(fd, num, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(fd);
	return sfd;
}

static int
cmd_yank(struct queue *q, const char *dir, int really)
{
	struct ids	 v = { NULL, 0 };
	struct place	 p;
	char		 path[1100];
	size_t		 i;
	int		 k, lockfd = -1, moved = 0, yfd = -1, mfd, dfd;
	FILE		*mf = NULL;

	if (really)
		lockfd = sendmutex(q);
	queue_scan(q, collect, &v);
	if (really) {
		yfd = yankdir_open(dir, 1);
		if ((mfd = openat(yfd, "manifest", O_WRONLY | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
		    (mf = fdopen(mfd, "a")) == NULL)
			fatal("unable to write", "manifest");
	}
	for (i = 0; i < v.n; i++) {
		for (k = 0; subs[k]; k++) {
			if (!path_of(q, subs[k], v.id[i], path, sizeof(path)))
				continue;
			if (!really) {
				printf("would move %s\n", path);
				continue;
			}
			place_of(q, queue_sub(subs[k]), v.id[i], &p);
			if ((dfd = yank_at(q, yfd, &p, 1)) == -1 ||
			    renameat(queue_dir(q, p.sub, p.split), p.name, dfd,
			    p.name) == -1) {
				fprintf(stderr, "qtriage: warning: unable to "
				    "move %s: %s\n", path, strerror(errno));
				if (dfd != -1)
					close(dfd);
				continue;
			}
			close(dfd);
			fprintf(mf, "%lu %s\n", v.id[i], p.rel);
			moved++;
		}
	}
	if (really) {
		if (fflush(mf) != 0 || fsync(fileno(mf)) != 0 || fclose(mf) != 0)
			fprintf(stderr, "qtriage: warning: %s/manifest: %s\n",
			    dir, strerror(errno));
		printf("yanked %zu messages (%d files) into %s\n", v.n, moved,
		    dir);
		close(yfd);
		close(lockfd);
	} else
		printf("%zu messages would be yanked into %s (dry run: -y "
		    "moves them)\n", v.n, dir);
	free(v.id);
	return 0;
}

static int
cmd_restore(struct queue *q, const char *dir)
{
	struct place	 p;
	char		 line[512], num[24];
	FILE		*mf;
	int		 lockfd, yfd, mfd, dfd, qfd, back = 0, bad = 0;

	lockfd = sendmutex(q);
	yfd = yankdir_open(dir, 0);
	if ((mfd = openat(yfd, "manifest", O_RDONLY | O_NOFOLLOW | O_CLOEXEC))
	    == -1 || (mf = fdopen(mfd, "r")) == NULL)
		fatal("unable to read", "manifest");
	while (fgets(line, sizeof(line), mf) != NULL) {
		char *rel;

		line[strcspn(line, "\n")] = '\0';
		if ((rel = strchr(line, ' ')) == NULL ||
		    place_parse(q, rel + 1, &p) == -1) {
			fprintf(stderr, "qtriage: warning: not a queue file in "
			    "the manifest: %.100s\n", line);
			bad++;
			continue;
		}
		dfd = yank_at(q, yfd, &p, 0);
		qfd = queue_dir(q, p.sub, p.split);
		/* never over a file the queue has again */
		if (dfd == -1 || qfd == -1 || renameat2(dfd, p.name, qfd,
		    p.name, RENAME_NOREPLACE) == -1) {
			fprintf(stderr, "qtriage: warning: unable to put %s "
			    "back: %s\n", p.rel, strerror(errno));
			if (dfd != -1)
				close(dfd);
			bad++;
			continue;
		}
		close(dfd);
		/* empty directories go; full ones fail and stay */
		if (p.split >= 0 && (dfd = openat(yfd, queue_subs[p.sub],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
			snprintf(num, sizeof(num), "%ld", p.split);
			unlinkat(dfd, num, AT_REMOVEDIR);
			close(dfd);
		}
		unlinkat(yfd, queue_subs[p.sub], AT_REMOVEDIR);
		back++;
	}
	fclose(mf);
	if (bad == 0) {
		unlinkat(yfd, "manifest", 0);
		rmdir(dir);
	}
	printf("restored %d files from %s%s\n", back, dir, bad ?
	    " (some could not be put back: see above)" : "");
	close(yfd);
	close(lockfd);
	return bad ? 111 : 0;
}

static int
cmd_check(struct queue *q)
{
	unsigned long	files, problems, arriving;

	problems = queue_check(q, now, stdout, &files, &arriving);
	printf("%lu files, %lu problems", files, problems);
	if (arriving)
		printf(" (%lu messages still arriving)", arriving);
	putchar('\n');
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
	int		 ch, really = 0, rc, rcpts = 0;

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
	while ((ch = getopt(argc, argv, "d:f:F:h:i:m:n:o:p:QRr:u:y")) != -1) {
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
				errx(100, "fatal: -p %s: not a regular "
				    "expression", optarg);
			}
			flt.have_re = 1;
			break;
		case 'r':
			flt.rcpt = optarg;
			break;
		case 'u':
			flt.uid = (long)strtonum(optarg, 0, 4000000000LL, &errstr);
			if (errstr) {
				struct passwd *pw = getpwnam(optarg);

				if (pw == NULL) {
					errx(100, "fatal: -u %s: no such user",
					    optarg);
				}
				flt.uid = (long)pw->pw_uid;
			}
			break;
		case 'Q':
			qread = 1;
			break;
		case 'R':
			rcpts = 1;
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
		err(111, "fatal: %s is not a qmail queue", qdir);
	}
	/* the header, read with the envelope, by the loading threads */
	q.want_headers = strcmp(cmd, "top") == 0 || strcmp(cmd, "who") == 0 ||
	    flt.ip != NULL || flt.helo != NULL || flt.uid >= 0;
	if (yankdir == NULL) {
		snprintf(ybuf, sizeof(ybuf), "%s/yanked", qdir);
		yankdir = ybuf;
	}
	if (strcmp(cmd, "stat") == 0 && argc == 0)
		rc = cmd_stat(&q, max, rcpts);
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
