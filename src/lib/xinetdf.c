/*
 * xinetdf.c: what the Plesk how-to does by hand to /etc/xinetd.d/smtp_psa
 * to make an alternative relay port: rename the service, set its port,
 * and take rblsmtpd and its options out of the chain; or, better, put
 * rblskip in defer mode and authfirst in their place, so that the new
 * port is no RBL-free door.  Every other line is kept as it was.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"
#include "xinetdf.h"


static const char *
base(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* "  key   = value": the key, and where the value starts. */
static int
attr(const char *line, size_t len, char *key, size_t klen, size_t *voff)
{
	size_t	i = 0, k = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_'))
		if (k + 1 < klen)
			key[k++] = line[i++];
		else
			i++;
	key[k] = '\0';
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (k == 0 || i == len || (line[i] != '=' && !(line[i] == '+' &&
	    i + 1 < len && line[i + 1] == '=')))
		return -1;
	i += line[i] == '=' ? 1 : 2;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*voff = i;
	return 0;
}

/*
 * rblsmtpd's options, read as its getopt("bBcCt:r:a:") reads them
 * (flags together, a value attached or in the next word, "--" ends
 * them): the index of the first word after them, or -1 with why.  What
 * rblskip would not take the same way is refused, never passed on.
 */
static int
rbl_options(char **tok, int n, int at, char *why, size_t wl)
{
	const char	*p, *val;
	int		 i = at + 1;

	for (; i < n && tok[i][0] == '-' && tok[i][1] != '\0'; i++) {
		if (strcmp(tok[i], "--") == 0)
			return i + 1;
		for (p = tok[i] + 1; *p; p++) {
			if (strchr("bBcC", *p) != NULL)
				continue;
			if (strchr("tra", *p) == NULL) {
				snprintf(why, wl, "rblsmtpd option -%c: not one "
				    "rblsmtpd takes (-b -B -c -C -t -r -a); a "
				    "patched rblsmtpd's options cannot be carried "
				    "over", *p);
				return -1;
			}
			val = p[1] ? p + 1 : i + 1 < n ? tok[++i] : NULL;
			if (val == NULL) {
				snprintf(why, wl, "rblsmtpd option -%c: no value",
				    *p);
				return -1;
			}
			if (*p != 't' && strchr(val, ':') != NULL) {
				snprintf(why, wl, "rblsmtpd -%c %s: a zone with a "
				    "text after ':' is a patched rblsmtpd's; "
				    "rblskip takes zone or zone=codes", *p, val);
				return -1;
			}
			break;
		}
	}
	return i;
}

/* Whether word is the SMTP program authfirst goes in front of. */
static int
smtpd(const char *word, const struct derive_opt *o)
{
	if (o->smtpd != NULL)
		return strcmp(base(word), o->smtpd) == 0;
	return strncmp(base(word), "qmail-smtpd", 11) == 0;
}

/*
 * Rewrite the command line tok[0..*n) (server, then server_args).
 * Returns 0, or -1 with why.  In defer mode authfirst always stands
 * before the SMTP program: without it rblskip -D would let every listed
 * client in, so no program found is a refusal.
 */
static int
rewrite(char **tok, int *n, const struct derive_opt *o, char *store,
    size_t storelen, char *why, size_t wl)
{
	char	**out;
	int	 i, j, k = 0, at = -1, end, placed = 0;
	size_t	 off = 0;

	for (i = 0; i < *n; i++)
		if (strcmp(base(tok[i]), "rblsmtpd") == 0) {
			at = i;
			break;
		}
	if (at < 0) {
		snprintf(why, wl, "no rblsmtpd in the server's command line");
		return -1;
	}
	if ((end = rbl_options(tok, *n, at, why, wl)) < 0)
		return -1;
	if ((out = calloc((size_t)*n + 4, sizeof(*out))) == NULL) {
		snprintf(why, wl, "out of memory");
		return -1;
	}
	for (i = 0; i < at; i++)
		out[k++] = tok[i];
	if (o->defer) {
		off = (size_t)snprintf(store, storelen, "%s/rblskip", o->bindir);
		out[k++] = store;
		out[k++] = "-D";
		for (i = at + 1; i < end && i < *n; i++)
			out[k++] = tok[i];
	}
	for (i = end; i < *n; i++) {
		if (o->defer && !placed && smtpd(tok[i], o)) {
			snprintf(store + off + 1, storelen - off - 1,
			    "%s/authfirst", o->bindir);
			out[k++] = store + off + 1;
			placed = 1;
		}
		out[k++] = tok[i];
	}
	if (o->defer && !placed) {
		snprintf(why, wl, "no %s after rblsmtpd, so authfirst has no "
		    "place and rblskip -D would let every listed client in: "
		    "name the SMTP program with -S", o->smtpd ? o->smtpd :
		    "qmail-smtpd");
		free(out);
		return -1;
	}
	for (j = 0; j < k; j++)
		tok[j] = out[j];
	*n = k;
	free(out);
	return 0;
}

int
xinetd_derive(const char *in, size_t len, const struct derive_opt *o,
    FILE *out, FILE *diag)
{
	const char	*p, *end = in + len, *nl, *line;
	char		 key[32], store[2048], *buf = NULL, **tok = NULL;
	char		 why[512];
	char		*server = NULL, *sargs = NULL, *save = NULL, *w;
	char		 indent[64] = "\t";
	size_t		 llen, voff, lead, total;
	int		 inblock = 0, done = 0, n = 0, i, seen_service = 0;
	int		 have_port = 0, have_type = 0, is_attr, rc = -1;
	int		 services = 0, crlf = 0, comment;
	const char	*eol;

	/* first pass: the service's command line, and whether it has a type */
	for (p = in; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		llen = (size_t)(nl - p);
		if (llen > 0 && p[llen - 1] == '\r')
			crlf = 1;
		for (lead = 0; lead < llen && (p[lead] == ' ' ||
		    p[lead] == '\t'); lead++)
			;
		if (llen >= lead + 8 && strncmp(p + lead, "service", 7) == 0 &&
		    (p[lead + 7] == ' ' || p[lead + 7] == '\t'))
			services++;
		if (attr(p, llen, key, sizeof(key), &voff) == -1)
			continue;
		if (strcmp(key, "server") == 0 && server == NULL)
			server = strndup(p + voff, llen - voff);
		else if (strcmp(key, "server_args") == 0 && sargs == NULL)
			sargs = strndup(p + voff, llen - voff);
		else if (strcmp(key, "type") == 0)
			have_type = 1;
	}
	if (services > 1) {
		fprintf(diag, "%d service blocks: derive takes a file with one "
		    "(renaming one and copying the others would define them "
		    "twice)\n", services);
		goto out;
	}
	if (server == NULL) {
		fprintf(diag, "no server line\n");
		goto out;
	}
	/* the whole command line, however long: nothing is ever cut */
	total = strlen(server) + (sargs ? strlen(sargs) : 0) + 2;
	if ((buf = malloc(total)) == NULL ||
	    (tok = calloc(total / 2 + 4, sizeof(*tok))) == NULL) {
		fprintf(diag, "out of memory\n");
		goto out;
	}
	snprintf(buf, total, "%s %s", server, sargs ? sargs : "");
	for (w = strtok_r(buf, " \t\r", &save); w;
	    w = strtok_r(NULL, " \t\r", &save))
		tok[n++] = w;
	if (rewrite(tok, &n, o, store, sizeof(store), why, sizeof(why)) ==
	    -1) {
		fprintf(diag, "%s\n", why);
		goto out;
	}
	for (total = 0, i = 1; i < n; i++)
		total += strlen(tok[i]) + 1;
	if (total > SVC_ARGSMAX) {
		fprintf(diag, "server_args would be %zu bytes; xinetd drops a "
		    "service whose server_args exceed about 16 KB\n", total);
		goto out;
	}

	for (p = in; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = p;
		llen = (size_t)(nl - p);
		/* the input need not end in a NUL: stay inside the line */
		for (lead = 0; lead < llen && (line[lead] == ' ' ||
		    line[lead] == '\t'); lead++)
			;
		is_attr = attr(line, llen, key, sizeof(key), &voff) == 0;
		/* a comment is kept as it is: a brace in it is no brace */
		comment = lead < llen && line[lead] == '#';
		eol = crlf ? "\r\n" : "\n";
		if (comment) {
			fprintf(out, "%.*s", (int)llen, line);
			if (nl < end)
				fputc('\n', out);
			continue;
		}
		if (!seen_service && llen >= lead + 7 &&
		    strncmp(line + lead, "service", 7) == 0) {
			fprintf(out, "%.*sservice %s%s", (int)lead, line,
			    o->name, eol);
			seen_service = 1;
			continue;
		}
		if (seen_service && !inblock && !done &&
		    memchr(line, '{', llen)) {
			inblock = 1;
		} else if (inblock && !is_attr && memchr(line, '}', llen)) {
			if (o->unlisted && !have_port)
				fprintf(out, "%sport\t\t= %u%s", indent,
				    o->port, eol);
			inblock = 0;
			done = 1;
		} else if (inblock && is_attr) {
			if (lead < sizeof(indent)) {
				memcpy(indent, line, lead);
				indent[lead] = '\0';
			}
			if (strcmp(key, "server") == 0) {
				fprintf(out, "%.*s%s%s", (int)voff, line,
				    tok[0], eol);
				continue;
			}
			if (strcmp(key, "server_args") == 0) {
				if (n > 1) {
					fprintf(out, "%.*s", (int)voff, line);
					for (i = 1; i < n; i++)
						fprintf(out, "%s%s", i > 1 ?
						    " " : "", tok[i]);
					fputs(eol, out);
				}
				continue;
			}
			if (strcmp(key, "port") == 0) {
				fprintf(out, "%.*s%u%s", (int)voff, line,
				    o->port, eol);
				have_port = 1;
				continue;
			}
			if (strcmp(key, "type") == 0 && o->unlisted &&
			    memmem(line + voff, llen - voff, "UNLISTED", 8) ==
			    NULL) {
				fprintf(out, "%.*s UNLISTED%s", (int)(llen -
				    (crlf && llen > 0 && line[llen - 1] == '\r')),
				    line, eol);
				continue;
			}
			if (strcmp(key, "socket_type") == 0 && o->unlisted &&
			    !have_type) {
				fprintf(out, "%stype\t\t= UNLISTED%s", indent,
				    eol);
				have_type = 1;
			}
		}
		fprintf(out, "%.*s", (int)llen, line);
		if (nl < end)
			fputc('\n', out);
	}
	if (!seen_service) {
		fprintf(diag, "no service block\n");
		goto out;
	}
	rc = 0;
out:
	free(server);
	free(sargs);
	free(buf);
	free(tok);
	return rc;
}
