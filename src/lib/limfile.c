/*
 * limfile.c: the limits file.  Why it is shaped so:
 *
 * - One line an object: "KIND NAME MESSAGES RECIPIENTS", counts an hour;
 *   KIND is mailbox, domain, user (a local login name or a uid) or address
 *   (a client that relays without logging in); NAME "*" is the default
 *   for its kind.  "unlimited" is no limit, 0 means may not send: both
 *   must be sayable, and neither may be what a typo gives.
 * - Strict: an unknown kind, a name that is not one of its kind, a number
 *   out of range or trailing words stop the compile with the line's
 *   number, and the old database stays (relaygate-rules does the same).
 *   An object named twice is an error too, since which line won would
 *   otherwise be the file's order, silently.
 * - Names are compared as qmail compares them: mailbox and domain without
 *   ASCII case, addresses in one canonical text, so that "Info@Example.TEST"
 *   cannot slip past the line for info@example.test.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ip.h"
#include "limfile.h"

static const char *const kinds[L_KINDS] = {
	"mailbox", "domain", "user", "address"
};
static const char keychar[L_KINDS] = { 'm', 'd', 'u', 'a' };

const char *
limits_kind_word(enum limit_kind k)
{
	return k < L_KINDS ? kinds[k] : "?";
}

static int
domain_ok(const char *d, size_t n)
{
	size_t	i;

	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' ||
	    d[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)d[i]) ||
		    isdigit((unsigned char)d[i]) || d[i] == '-' ||
		    (d[i] == '.' && d[i + 1] != '.')))
			return 0;
	return 1;
}

/*
 * The canonical text of a name of kind k into out: 0, or -1 when it is
 * not a name of that kind.  "*" stays "*".
 */
int
limits_canon(enum limit_kind k, const char *name, char *out, size_t n)
{
	struct ip	 ip;
	const char	*at;
	size_t		 len = strlen(name), i;

	if (len == 0 || len >= n || len >= LIMIT_NAMEMAX)
		return -1;
	if (strcmp(name, "*") == 0) {
		strlcpy(out, name, n);
		return 0;
	}
	switch (k) {
	case L_MAILBOX:
	case L_DOMAIN:
		for (i = 0; i < len; i++) {
			if ((unsigned char)name[i] <= ' ' ||
			    (unsigned char)name[i] >= 0x7f)
				return -1;
			out[i] = (char)tolower((unsigned char)name[i]);
		}
		out[len] = '\0';
		if (k == L_DOMAIN)
			return domain_ok(out, len) ? 0 : -1;
		if ((at = strrchr(out, '@')) == NULL || at == out)
			return -1;
		return domain_ok(at + 1, strlen(at + 1)) ? 0 : -1;
	case L_USER:
		/* a login name as useradd takes it, or a uid */
		if (!(islower((unsigned char)name[0]) || name[0] == '_' ||
		    isdigit((unsigned char)name[0])))
			return -1;
		for (i = 0; i < len; i++)
			if (!(islower((unsigned char)name[i]) ||
			    isdigit((unsigned char)name[i]) ||
			    strchr("_.-", name[i]) != NULL))
				return -1;
		if (isdigit((unsigned char)name[0]) &&
		    strspn(name, "0123456789") != len)
			return -1;
		if (len > 32)
			return -1;
		strlcpy(out, name, n);
		return 0;
	case L_ADDRESS:
		if (ip_parse(&ip, name) == -1)
			return -1;
		ip_fmt(&ip, out, n);
		return 0;
	default:
		return -1;
	}
}

/* The cdb key of a canonical name: kind letter, ':', the name. */
size_t
limits_key(enum limit_kind k, const char *canon, char *key, size_t n)
{
	int	r = snprintf(key, n, "%c:%s", keychar[k], canon);

	return r < 0 || (size_t)r >= n ? 0 : (size_t)r;
}

static int
count(const char *w, uint32_t *v)
{
	char		*end;
	unsigned long	 x;

	if (strcmp(w, "unlimited") == 0) {
		*v = LIMIT_UNLIMITED;
		return 0;
	}
	if (!isdigit((unsigned char)w[0]))
		return -1;
	errno = 0;
	x = strtoul(w, &end, 10);
	if (errno != 0 || *end != '\0' || x >= LIMIT_UNLIMITED)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/*
 * One line (without its newline): 1 and *l filled, 0 for a blank line or
 * a comment, -1 with why.
 */
int
limits_line(const char *line, size_t len, struct limit *l, char *why,
    size_t n)
{
	char	 buf[1024], *w[5], *save = NULL, *p;
	int	 nw = 0, k;

	if (len >= sizeof(buf)) {
		snprintf(why, n, "line too long");
		return -1;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		snprintf(why, n, "NUL byte in line");
		return -1;
	}
	if ((p = strchr(buf, '#')) != NULL)
		*p = '\0';
	for (p = strtok_r(buf, " \t\r", &save); p != NULL && nw < 5;
	    p = strtok_r(NULL, " \t\r", &save))
		w[nw++] = p;
	if (nw == 0)
		return 0;
	if (nw != 4) {
		snprintf(why, n, "want KIND NAME MESSAGES RECIPIENTS");
		return -1;
	}
	for (k = 0; k < L_KINDS; k++)
		if (strcmp(w[0], kinds[k]) == 0)
			break;
	if (k == L_KINDS) {
		snprintf(why, n, "%.64s: not mailbox, domain, user or address",
		    w[0]);
		return -1;
	}
	l->kind = (enum limit_kind)k;
	if (limits_canon(l->kind, w[1], l->name, sizeof(l->name)) == -1) {
		snprintf(why, n, "%.128s: not a %s", w[1], kinds[k]);
		return -1;
	}
	if (count(w[2], &l->messages) == -1 ||
	    count(w[3], &l->recipients) == -1) {
		snprintf(why, n, "want a count under 4294967295 or "
		    "\"unlimited\" for messages and recipients");
		return -1;
	}
	return 1;
}

/*
 * Read the text from in, write the cdb to fd.  0, or -1 after every bad
 * line was named on diag as name:line: why.
 */
int
limits_compile(FILE *in, const char *name, int fd, FILE *diag)
{
	struct cdb_make	 cm;
	struct limit	 l;
	char		*line = NULL, why[256], key[LIMIT_KEYMAX];
	unsigned char	 val[8];
	size_t		 cap = 0, klen;
	ssize_t		 len;
	unsigned long	 lineno = 0, bad = 0;
	int		 rc;

	if (cdb_make_start(&cm, fd) == -1)
		return -1;
	while ((len = getline(&line, &cap, in)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		rc = limits_line(line, (size_t)len, &l, why, sizeof(why));
		if (rc == 0)
			continue;
		if (rc == -1) {
			fprintf(diag, "%s:%lu: %s\n", name, lineno, why);
			bad++;
			continue;
		}
		klen = limits_key(l.kind, l.name, key, sizeof(key));
		val[0] = (unsigned char)l.messages;
		val[1] = (unsigned char)(l.messages >> 8);
		val[2] = (unsigned char)(l.messages >> 16);
		val[3] = (unsigned char)(l.messages >> 24);
		val[4] = (unsigned char)l.recipients;
		val[5] = (unsigned char)(l.recipients >> 8);
		val[6] = (unsigned char)(l.recipients >> 16);
		val[7] = (unsigned char)(l.recipients >> 24);
		rc = cdb_make_put(&cm, key, (unsigned)klen, val, sizeof(val),
		    CDB_PUT_INSERT);
		if (rc == 1) {
			fprintf(diag, "%s:%lu: %s %s: named twice\n", name,
			    lineno, kinds[l.kind], l.name);
			bad++;
		} else if (rc < 0) {
			free(line);
			cdb_make_finish(&cm);
			return -1;
		}
	}
	free(line);
	if (ferror(in)) {
		cdb_make_finish(&cm);
		return -1;
	}
	if (cdb_make_finish(&cm) == -1)
		return -1;
	return bad ? -1 : 0;
}

/*
 * The limit of a name (canonical already) of kind k, else its kind's
 * default, else unlimited.  1 when the name's own line decided, 2 when
 * the default's did, 0 when nothing did, -1 for a database that cannot
 * be read.
 */
int
limits_get(struct cdb *db, enum limit_kind k, const char *canon,
    struct limit *l)
{
	char		 key[LIMIT_KEYMAX];
	unsigned char	 v[8];
	size_t		 klen;
	int		 pass, rc;
	const char	*names[2] = { canon, "*" };

	l->kind = k;
	l->messages = l->recipients = LIMIT_UNLIMITED;
	strlcpy(l->name, canon, sizeof(l->name));
	for (pass = 0; pass < 2; pass++) {
		if ((klen = limits_key(k, names[pass], key, sizeof(key))) == 0)
			continue;
		if ((rc = cdb_find(db, key, (unsigned)klen)) < 0)
			return -1;
		if (rc == 0)
			continue;
		if (cdb_datalen(db) != sizeof(v) ||
		    cdb_read(db, v, sizeof(v), cdb_datapos(db)) == -1)
			return -1;
		l->messages = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
		    (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
		l->recipients = (uint32_t)v[4] | (uint32_t)v[5] << 8 |
		    (uint32_t)v[6] << 16 | (uint32_t)v[7] << 24;
		return pass + 1;
	}
	return 0;
}
