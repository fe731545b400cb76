/*
 * rules.c: relay rules.
 *
 * Text: ADDRESS[/LEN]:allow|deny[,NAME="value"...], one per line, and
 * tcprules(1)'s own IPv4 syntax (prefixes ending in a dot, a range in the
 * last octet, an empty address for everyone).
 *
 * cdb: one record per prefix.  The key is the family ('4' or '6'), the
 * prefix length, then the masked address truncated to whole bytes, so a
 * lookup is one cdb probe per prefix length in use, whatever the number of
 * rules.  Keys starting with NUL hold the version and, per family, a bitmap
 * of the prefix lengths in use.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

static const char meta_version[] = "\0V";
static const char meta_lens4[] = "\0L4";
static const char meta_lens6[] = "\0L6";

static int
name_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* A decimal octet without leading zeros; returns chars used or 0. */
static size_t
octet_parse(const char *s, size_t len, unsigned int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < len && i < 3 && isdigit((unsigned char)s[i]); i++)
		*v = *v * 10 + (unsigned int)(s[i] - '0');
	if (i == 0 || *v > 255 || (i > 1 && s[0] == '0'))
		return 0;
	if (i < len && isdigit((unsigned char)s[i]))
		return 0;
	return i;
}

/* tcprules syntax: "1.2.3.4", "10.0.", "1.2.3.37-53", "1.2.37-53." */
static int
compat_parse(const char *s, size_t len, struct rule *r, char *err,
    size_t errlen)
{
	unsigned int	oct[4], lo = 0, hi = 0, v;
	size_t		n = 0, used, pos = 0;
	int		range = 0, trailing = 0;

	while (pos < len) {
		if (n == 4)
			goto bad;
		if ((used = octet_parse(s + pos, len - pos, &oct[n])) == 0)
			goto bad;
		pos += used;
		if (pos < len && s[pos] == '-') {
			pos++;
			if ((used = octet_parse(s + pos, len - pos, &hi)) == 0)
				goto bad;
			pos += used;
			lo = oct[n];
			if (hi < lo) {
				snprintf(err, errlen, "range %u-%u runs "
				    "backwards", lo, hi);
				return -1;
			}
			range = 1;
		}
		n++;
		if (pos == len)
			break;
		if (s[pos] != '.')
			goto bad;
		pos++;
		if (pos == len)
			trailing = 1;
		else if (range)
			goto bad;	/* a range must be the last octet */
	}
	if ((n == 4 && trailing) || (n < 4 && !trailing))
		goto bad;
	for (v = range ? lo : oct[n - 1];; v++) {
		struct rule_pfx *p = &r->pfx[r->npfx++];
		size_t i;

		memset(p, 0, sizeof(*p));
		p->net.family = AF_INET;
		for (i = 0; i + 1 < n; i++)
			p->net.a[i] = (unsigned char)oct[i];
		p->net.a[n - 1] = (unsigned char)v;
		p->len = (unsigned int)(8 * n);
		if (!range || v == hi)
			break;
	}
	return 0;
bad:
	snprintf(err, errlen, "%.*s: not an address, a CIDR prefix or a "
	    "tcprules prefix ending in a dot", (int)(len > 64 ? 64 : len), s);
	return -1;
}

static int
address_parse(const char *s, size_t len, struct rule *r, char *err,
    size_t errlen)
{
	char		buf[64], *slash;
	const char	*errstr;
	struct ip	masked;
	struct rule_pfx	*p;
	unsigned int	bits;

	r->npfx = 0;
	if (len == 0) {
		/* tcprules' catch-all: every IPv4 and IPv6 client */
		memset(r->pfx, 0, 2 * sizeof(r->pfx[0]));
		r->pfx[0].net.family = AF_INET;
		r->pfx[1].net.family = AF_INET6;
		r->npfx = 2;
		return 0;
	}
	if (memchr(s, '=', len) || memchr(s, '@', len)) {
		snprintf(err, errlen, "%.*s: host name and TCPREMOTEINFO rules "
		    "need DNS or ident lookups, which relaygate does not make: "
		    "rule ignored", (int)(len > 64 ? 64 : len), s);
		return RULES_SKIP;
	}
	if (!memchr(s, '/', len) && !memchr(s, ':', len))
		return compat_parse(s, len, r, err, errlen);
	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = &r->pfx[0];
	memset(p, 0, sizeof(*p));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	/* "::ffff:1.2.3.4/120" would change meaning when normalised */
	if (ip_parse(&p->net, buf) == -1 ||
	    (strchr(buf, ':') && p->net.family == AF_INET && slash))
		goto bad;
	bits = ip_bits(&p->net);
	p->len = bits;
	if (slash) {
		p->len = (unsigned int)strtonum(slash, 0, bits, &errstr);
		if (errstr != NULL || !isdigit((unsigned char)*slash) ||
		    (slash[0] == '0' && slash[1] != '\0')) {
			snprintf(err, errlen, "%s/%s: prefix length must be "
			    "0 to %u", buf, slash, bits);
			return -1;
		}
	}
	masked = p->net;
	ip_mask(&masked, p->len);
	if (memcmp(&masked, &p->net, sizeof(masked)) != 0) {
		char want[IP_FMTLEN + 8];

		rules_fmt_pfx(&masked, p->len, want, sizeof(want));
		snprintf(err, errlen, "%s/%u: bits set past the prefix length "
		    "(did you mean %s?)", buf, p->len, want);
		return -1;
	}
	r->npfx = 1;
	return 0;
bad:
	snprintf(err, errlen, "%.*s: not an address or a CIDR prefix",
	    (int)(len > 64 ? 64 : len), s);
	return -1;
}

/*
 * Where the address ends: the first ':' followed by "allow" or "deny" and
 * then the end, a ',' or white space.  IPv6 addresses contain colons.
 */
static const char *
instr_find(const char *s, size_t len)
{
	size_t	i, rest;

	for (i = 0; i < len; i++) {
		if (s[i] != ':')
			continue;
		rest = len - i - 1;
		if (rest >= 5 && memcmp(s + i + 1, "allow", 5) == 0 &&
		    (rest == 5 || strchr(", \t", s[i + 6])))
			return s + i;
		if (rest >= 4 && memcmp(s + i + 1, "deny", 4) == 0 &&
		    (rest == 4 || strchr(", \t", s[i + 5])))
			return s + i;
	}
	return NULL;
}

int
rules_parse(const char *line, size_t len, struct rule *r, char *err,
    size_t errlen)
{
	const char	*colon, *p, *end, *eq, *close;
	size_t		i;
	int		rc;

	err[0] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	    line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[i] == '#')
		return RULES_EMPTY;
	line += i;
	len -= i;
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "NUL byte in rule");
		return RULES_ERROR;
	}
	if ((colon = instr_find(line, len)) == NULL) {
		snprintf(err, errlen, "missing :allow or :deny");
		return RULES_ERROR;
	}
	if ((rc = address_parse(line, (size_t)(colon - line), r, err,
	    errlen)) != 0)
		return rc;
	end = line + len;
	p = colon + 1;
	r->deny = (*p == 'd');
	p += r->deny ? 4 : 5;
	r->data[0] = r->deny ? 'D' : 'A';
	r->datalen = 1;
	while (p < end) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p != ',') {
			snprintf(err, errlen, "expected ',' before \"%.*s\"",
			    (int)(end - p > 32 ? 32 : end - p), p);
			return RULES_ERROR;
		}
		p++;
		if (p == end)
			break;	/* tcprules accepts a trailing comma */
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    !name_valid(p, (size_t)(eq - p))) {
			snprintf(err, errlen, "\"%.*s\": expected NAME=\"value\"",
			    (int)(end - p > 32 ? 32 : end - p), p);
			return RULES_ERROR;
		}
		if (eq + 1 >= end ||
		    (close = memchr(eq + 2, eq[1], (size_t)(end - eq - 2))) ==
		    NULL) {
			snprintf(err, errlen, "%.*s: value has no closing quote",
			    (int)(eq - p), p);
			return RULES_ERROR;
		}
		/* NAME=value\0 */
		if (r->datalen + (size_t)(eq - p) + 1 +
		    (size_t)(close - eq - 2) + 1 > sizeof(r->data)) {
			snprintf(err, errlen, "variables longer than %zu bytes",
			    sizeof(r->data));
			return RULES_ERROR;
		}
		memcpy(r->data + r->datalen, p, (size_t)(eq - p) + 1);
		r->datalen += (size_t)(eq - p) + 1;
		memcpy(r->data + r->datalen, eq + 2, (size_t)(close - eq - 2));
		r->datalen += (size_t)(close - eq - 2);
		r->data[r->datalen++] = '\0';
		p = close + 1;
	}
	return RULES_OK;
}

size_t
rules_key(const struct ip *net, unsigned int len, unsigned char *key)
{
	size_t	n = (len + 7) / 8;

	key[0] = net->family == AF_INET ? '4' : '6';
	key[1] = (unsigned char)len;
	memcpy(key + 2, net->a, n);
	return n + 2;
}

void
rules_fmt_pfx(const struct ip *net, unsigned int len, char *buf, size_t n)
{
	char	a[IP_FMTLEN];

	ip_fmt(net, a, sizeof(a));
	snprintf(buf, n, "%s/%u", a, len);
}

/* Compile rules text into a cdb on fd; 0 when every line was good. */
int
rules_compile(FILE *in, const char *name, int fd, FILE *diag)
{
	struct cdb_make	cm;
	struct rule	*r;
	char		*line = NULL, err[256];
	unsigned char	key[18], lens4[5] = { 0 }, lens6[17] = { 0 };
	size_t		cap = 0, i, klen;
	ssize_t		n;
	unsigned long	lineno = 0;
	int		bad = 0, rc, saved;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (cdb_make_start(&cm, fd) == -1) {
		free(r);
		return -1;
	}
	while ((n = getline(&line, &cap, in)) != -1) {
		lineno++;
		if ((size_t)n > RULES_LINEMAX) {
			fprintf(diag, "%s:%lu: line longer than %d bytes\n",
			    name, lineno, RULES_LINEMAX);
			bad++;
			continue;
		}
		rc = rules_parse(line, (size_t)n, r, err, sizeof(err));
		if (rc == RULES_EMPTY)
			continue;
		if (rc == RULES_SKIP) {
			fprintf(diag, "%s:%lu: warning: %s\n", name, lineno,
			    err);
			continue;
		}
		if (rc == RULES_ERROR) {
			fprintf(diag, "%s:%lu: %s\n", name, lineno, err);
			bad++;
			continue;
		}
		for (i = 0; i < r->npfx; i++) {
			klen = rules_key(&r->pfx[i].net, r->pfx[i].len, key);
			rc = cdb_make_put(&cm, key, (unsigned)klen, r->data,
			    (unsigned)r->datalen, CDB_PUT_INSERT);
			if (rc < 0)
				goto fail;
			if (rc > 0) {
				char p[IP_FMTLEN + 8];

				rules_fmt_pfx(&r->pfx[i].net, r->pfx[i].len,
				    p, sizeof(p));
				fprintf(diag, "%s:%lu: warning: %s repeats an "
				    "earlier rule, which wins\n", name, lineno,
				    p);
			}
			if (r->pfx[i].net.family == AF_INET)
				lens4[r->pfx[i].len / 8] |=
				    (unsigned char)(1 << (r->pfx[i].len % 8));
			else
				lens6[r->pfx[i].len / 8] |=
				    (unsigned char)(1 << (r->pfx[i].len % 8));
		}
	}
	if (ferror(in))
		goto fail;
	if (cdb_make_add(&cm, meta_version, 2, RULES_VERSION,
	    sizeof(RULES_VERSION) - 1) == -1 ||
	    cdb_make_add(&cm, meta_lens4, 3, lens4, sizeof(lens4)) == -1 ||
	    cdb_make_add(&cm, meta_lens6, 3, lens6, sizeof(lens6)) == -1)
		goto fail;
	if (cdb_make_finish(&cm) == -1) {
		free(line);
		free(r);
		return -1;
	}
	free(line);
	free(r);
	return bad ? 1 : 0;
fail:
	/* finishing is tinycdb's one way to free a half-made database;
	 * the caller removes the temporary file */
	saved = errno;
	cdb_make_finish(&cm);
	errno = saved;
	free(line);
	free(r);
	return -1;
}

/* Each variable is NAME=value\0 with a valid name; first byte A or D. */
int
rules_data_valid(const char *d, size_t len)
{
	const char	*p, *end = d + len, *nul, *eq;

	if (len == 0 || (d[0] != 'A' && d[0] != 'D'))
		return 0;
	for (p = d + 1; p < end; p = nul + 1) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return 0;
		if ((eq = memchr(p, '=', (size_t)(nul - p))) == NULL ||
		    !name_valid(p, (size_t)(eq - p)))
			return 0;
	}
	return 1;
}

int
rules_open(struct rules_db *db, const char *path)
{
	unsigned int	vlen;
	const void	*v;

	memset(db, 0, sizeof(*db));
	db->fd = -1;
	if ((db->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (cdb_init(&db->cdb, db->fd) == -1)
		goto corrupt;
	if (cdb_find(&db->cdb, meta_version, 2) <= 0)
		goto corrupt;
	vlen = cdb_datalen(&db->cdb);
	v = cdb_get(&db->cdb, vlen, cdb_datapos(&db->cdb));
	if (v == NULL || vlen != sizeof(RULES_VERSION) - 1 ||
	    memcmp(v, RULES_VERSION, vlen) != 0)
		goto corrupt;
	if (cdb_find(&db->cdb, meta_lens4, 3) <= 0 ||
	    cdb_datalen(&db->cdb) != sizeof(db->lens4) ||
	    cdb_read(&db->cdb, db->lens4, sizeof(db->lens4),
	    cdb_datapos(&db->cdb)) == -1)
		goto corrupt;
	if (cdb_find(&db->cdb, meta_lens6, 3) <= 0 ||
	    cdb_datalen(&db->cdb) != sizeof(db->lens6) ||
	    cdb_read(&db->cdb, db->lens6, sizeof(db->lens6),
	    cdb_datapos(&db->cdb)) == -1)
		goto corrupt;
	return 0;
corrupt:
	rules_close(db);
	errno = EPROTO;
	return -1;
}

void
rules_close(struct rules_db *db)
{
	if (db->fd >= 0) {
		cdb_free(&db->cdb);
		close(db->fd);
	}
	db->fd = -1;
}

/* Longest prefix first: 1 found, 0 no rule, -1 corrupt database. */
int
rules_find(struct rules_db *db, const struct ip *ip, struct rules_match *m)
{
	const unsigned char	*lens;
	unsigned char		 key[18];
	unsigned int		 bits = ip_bits(ip), len, vlen;
	const char		*v;
	size_t			 klen;
	int			 rc;

	lens = ip->family == AF_INET ? db->lens4 : db->lens6;
	for (len = bits + 1; len-- > 0;) {
		if (!(lens[len / 8] & (1 << (len % 8))))
			continue;
		m->net = *ip;
		ip_mask(&m->net, len);
		klen = rules_key(&m->net, len, key);
		if ((rc = cdb_find(&db->cdb, key, (unsigned)klen)) < 0)
			return -1;
		if (rc == 0)
			continue;
		vlen = cdb_datalen(&db->cdb);
		v = cdb_get(&db->cdb, vlen, cdb_datapos(&db->cdb));
		if (v == NULL || !rules_data_valid(v, vlen))
			return -1;
		m->len = len;
		m->deny = v[0] == 'D';
		m->vars = v + 1;
		m->varslen = vlen - 1;
		return 1;
	}
	return 0;
}

static char
quote_pick(const char *v, size_t len)
{
	int	c;

	if (!memchr(v, '"', len))
		return '"';
	for (c = '!'; c <= '~'; c++)
		if (!memchr(v, c, len))
			return (char)c;
	return '"';	/* a value holding every printable byte */
}

/* Print a cdb's rules back as text, in the order they were compiled. */
int
rules_dump(const char *path, FILE *out)
{
	struct rules_db	 db;
	struct ip	 net;
	unsigned int	 cpos, klen, vlen;
	const unsigned char *k;
	const char	*v, *p, *nul, *eq;
	char		 pfx[IP_FMTLEN + 8], q;
	int		 rc;

	if (rules_open(&db, path) == -1)
		return -1;
	cdb_seqinit(&cpos, &db.cdb);
	while ((rc = cdb_seqnext(&cpos, &db.cdb)) > 0) {
		klen = cdb_keylen(&db.cdb);
		k = cdb_get(&db.cdb, klen, cdb_keypos(&db.cdb));
		if (k == NULL || klen < 2)
			goto corrupt;
		if (k[0] == '\0')
			continue;
		memset(&net, 0, sizeof(net));
		net.family = k[0] == '4' ? AF_INET : AF_INET6;
		if ((k[0] != '4' && k[0] != '6') || k[1] > ip_bits(&net) ||
		    klen != 2 + (k[1] + 7u) / 8)
			goto corrupt;
		memcpy(net.a, k + 2, klen - 2);
		vlen = cdb_datalen(&db.cdb);
		v = cdb_get(&db.cdb, vlen, cdb_datapos(&db.cdb));
		if (v == NULL || !rules_data_valid(v, vlen))
			goto corrupt;
		rules_fmt_pfx(&net, k[1], pfx, sizeof(pfx));
		fprintf(out, "%s:%s", pfx, v[0] == 'D' ? "deny" : "allow");
		for (p = v + 1; p < v + vlen; p = nul + 1) {
			nul = memchr(p, '\0', (size_t)(v + vlen - p));
			eq = memchr(p, '=', (size_t)(nul - p));
			q = quote_pick(eq + 1, (size_t)(nul - eq - 1));
			fprintf(out, ",%.*s=%c%s%c", (int)(eq - p), p, q,
			    eq + 1, q);
		}
		fputc('\n', out);
	}
	if (rc < 0)
		goto corrupt;
	rules_close(&db);
	return 0;
corrupt:
	rules_close(&db);
	errno = EPROTO;
	return -1;
}
