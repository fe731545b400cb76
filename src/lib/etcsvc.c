/*
 * etcsvc.c: /etc/services, edited the way an admin would: existing lines,
 * comments and order untouched; our lines appended, each marked so that
 * they can be found and taken out again; a name or a port that already
 * means something else is reported and never overwritten.  A line is ours
 * only when it is exactly a line we write: an admin's own line that
 * mentions relaygate-gen, or copies our comment, is never taken out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcsvc.h"

struct entry {
	char		name[64];
	unsigned int	port;
	int		tcp;
	int		ours;
	char		aliases[256];	/* " a b c " */
};

/*
 * Is line[0..len) exactly one of ours, "NAME\tPORT/tcp\t\t" ETCSVC_MARK,
 * then ETCSVC_NLMARK or nothing?  *nl tells which.
 */
static int
line_ours(const char *line, size_t len, int *nl)
{
	const char	*p = line, *end = line + len;
	size_t		 n, m = sizeof(ETCSVC_MARK) - 1;
	size_t		 k = sizeof(ETCSVC_NLMARK) - 1;

	for (n = 0; p < end && ((*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9') || (*p == '-' && n > 0)); p++)
		n++;
	if (n == 0 || n > 32 || p == end || *p++ != '\t')
		return 0;
	for (n = 0; p < end && *p >= '0' && *p <= '9'; p++)
		n++;
	if (n == 0 || n > 5 || (size_t)(end - p) < 6 + m ||
	    memcmp(p, "/tcp\t\t", 6) != 0)
		return 0;
	p += 6;
	if (memcmp(p, ETCSVC_MARK, m) != 0)
		return 0;
	p += m;
	*nl = 0;
	if (p == end)
		return 1;
	if ((size_t)(end - p) == k && memcmp(p, ETCSVC_NLMARK, k) == 0) {
		*nl = 1;
		return 1;
	}
	return 0;
}

/* Parse one line (no newline); 0 when it holds an entry. */
static int
entry_parse(const char *line, size_t len, struct entry *e)
{
	char	 buf[1024], *p, *tok, *save = NULL, *slash, *end;
	size_t	 n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	int	 nl;

	memset(e, 0, sizeof(*e));
	memcpy(buf, line, n);
	buf[n] = '\0';
	e->ours = line_ours(line, len, &nl);
	if ((p = strchr(buf, '#')) != NULL)
		*p = '\0';
	if ((tok = strtok_r(buf, " \t", &save)) == NULL)
		return -1;
	strlcpy(e->name, tok, sizeof(e->name));
	if ((tok = strtok_r(NULL, " \t", &save)) == NULL ||
	    (slash = strchr(tok, '/')) == NULL)
		return -1;
	*slash = '\0';
	e->port = (unsigned int)strtoul(tok, &end, 10);
	if (*end != '\0')
		return -1;
	e->tcp = strcmp(slash + 1, "tcp") == 0;
	strlcpy(e->aliases, " ", sizeof(e->aliases));
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		strlcat(e->aliases, tok, sizeof(e->aliases));
		strlcat(e->aliases, " ", sizeof(e->aliases));
	}
	return 0;
}

static int
entry_names(const struct entry *e, const char *name)
{
	char	pat[80];

	if (strcmp(e->name, name) == 0)
		return 1;
	snprintf(pat, sizeof(pat), " %s ", name);
	return strstr(e->aliases, pat) != NULL;
}

/*
 * Write to out the file in[0..len) with a line for each wanted service
 * it lacks.  Returns 1 when nothing needs adding (out untouched), 0 when
 * out holds the new file, -1 after clashes reported to diag.  With share,
 * a port that another name already holds gets our name as a line of its
 * own (a second name for the port, as /etc/services allows), noted on diag.
 */
int
etcsvc_merge(const char *in, size_t len, const struct etcsvc_want *w, int n,
    int share, FILE *out, const char *fname, FILE *diag)
{
	const char	*p = in, *end = in + len, *nl;
	struct entry	 e;
	unsigned long	 lineno = 0;
	int		 i, bad = 0, missing = 0, first = 1;
	int		 present[64] = { 0 };

	if (n > 64)
		return -1;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		if (entry_parse(p, (size_t)(nl - p), &e) == -1 || !e.tcp)
			continue;
		for (i = 0; i < n; i++) {
			if (entry_names(&e, w[i].name)) {
				if (e.port == w[i].port)
					present[i] = 1;
				else {
					fprintf(diag, "%s:%lu: %s is already "
					    "port %u/tcp, not %u: not changed\n",
					    fname, lineno, w[i].name, e.port,
					    w[i].port);
					bad++;
				}
			} else if (e.port == w[i].port && !e.ours && share) {
				fprintf(diag, "%s:%lu: port %u/tcp is also %s: "
				    "%s added as a second name for it\n", fname,
				    lineno, e.port, e.name, w[i].name);
			} else if (e.port == w[i].port && !e.ours) {
				fprintf(diag, "%s:%lu: port %u/tcp is already "
				    "%s, not %s: not changed\n", fname, lineno,
				    e.port, e.name, w[i].name);
				bad++;
			}
		}
	}
	if (bad)
		return -1;
	for (i = 0; i < n; i++)
		missing += !present[i];
	if (missing == 0)
		return 0 + 1;
	fwrite(in, 1, len, out);
	for (i = 0; i < n; i++) {
		if (present[i])
			continue;
		if (first && len > 0 && in[len - 1] != '\n') {
			fprintf(out, "\n%s\t%u/tcp\t\t%s%s\n", w[i].name,
			    w[i].port, ETCSVC_MARK, ETCSVC_NLMARK);
		} else
			fprintf(out, "%s\t%u/tcp\t\t%s\n", w[i].name,
			    w[i].port, ETCSVC_MARK);
		first = 0;
	}
	return 0;
}

/*
 * What the file says of name and port, for tcp: ETCSVC_FREE (neither is
 * there), ETCSVC_SAME (the name is that port), ETCSVC_NAMETAKEN (the name
 * is another port, in *other_port), ETCSVC_PORTTAKEN (the port is another
 * name, in other).  *lineno is the line that decided.
 */
int
etcsvc_lookup(const char *in, size_t len, const char *name, unsigned int port,
    char *other, size_t olen, unsigned int *other_port, unsigned long *lineno)
{
	const char	*p = in, *end = in + len, *nl;
	struct entry	 e;
	unsigned long	 n = 0, portline = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n++;
		if (entry_parse(p, (size_t)(nl - p), &e) == -1 || !e.tcp)
			continue;
		if (entry_names(&e, name)) {
			*lineno = n;
			if (e.port == port)
				return ETCSVC_SAME;
			*other_port = e.port;
			return ETCSVC_NAMETAKEN;
		}
		if (e.port == port && portline == 0) {
			portline = n;
			strlcpy(other, e.name, olen);
		}
	}
	*lineno = portline;
	return portline ? ETCSVC_PORTTAKEN : ETCSVC_FREE;
}

/* The file without our lines, byte for byte as it was before them. */
int
etcsvc_unmerge(const char *in, size_t len, FILE *out)
{
	const char	*p = in, *end = in + len, *nl;
	char		*keep;
	size_t		 klen = 0, linelen;
	int		 nladded = 0, removed = 0, thisnl;

	if ((keep = malloc(len + 1)) == NULL)
		return -1;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		linelen = (size_t)(nl - p);
		if (line_ours(p, linelen, &thisnl)) {
			removed++;
			if (thisnl)
				nladded = 1;
			continue;
		}
		memcpy(keep + klen, p, linelen);
		klen += linelen;
		if (nl < end)
			keep[klen++] = '\n';
		nladded = 0;	/* a line of the admin's came after ours */
	}
	if (nladded && klen > 0 && keep[klen - 1] == '\n')
		klen--;
	fwrite(keep, 1, klen, out);
	free(keep);
	return removed;
}
