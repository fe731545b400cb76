/*
 * smtp.c: command verbs, where a (multi-line) reply ends, the EHLO
 * reply with STARTTLS taken out or put in, and the user name in an AUTH
 * exchange, never the password.
 */
#include <ctype.h>
#include <resolv.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtp.h"

static int
word(const char *l, size_t len, const char *w)
{
	size_t	n = strlen(w);

	return len >= n && strncasecmp(l, w, n) == 0 &&
	    (len == n || l[n] == ' ' || l[n] == '\r' || l[n] == '\n' ||
	    l[n] == ':');
}

enum smtp_verb
smtp_verb(const char *l, size_t len)
{
	static const struct { const char *w; enum smtp_verb v; } verbs[] = {
		{ "HELO", V_HELO }, { "EHLO", V_EHLO }, { "MAIL", V_MAIL },
		{ "RCPT", V_RCPT }, { "DATA", V_DATA }, { "RSET", V_RSET },
		{ "QUIT", V_QUIT }, { "AUTH", V_AUTH },
		{ "STARTTLS", V_STARTTLS }, { "BDAT", V_BDAT },
	};
	size_t	i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word(l, len, verbs[i].w))
			return verbs[i].v;
	return V_OTHER;
}

/*
 * If buf holds a complete reply (lines "ddd-..." then "ddd ..."), return
 * its length and its code; else 0.  A line that is not a reply line ends
 * the reply where it stands, so that garbage is passed on, not hoarded.
 */
size_t
smtp_reply_end(const char *buf, size_t len, int *code)
{
	const char	*p = buf, *nl;
	size_t		 linelen;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		linelen = (size_t)(nl - p);
		if (linelen >= 3 && isdigit((unsigned char)p[0]) &&
		    isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2])) {
			*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
			    (p[2] - '0');
			if (linelen > 3 && p[3] == '-') {
				p = nl + 1;
				continue;
			}
		} else
			*code = 0;
		return (size_t)(nl + 1 - buf);
	}
	return 0;
}

/*
 * Copy a complete EHLO reply, without its STARTTLS line, with one of our
 * own when starttls is set.  Returns the new length (0 if out is short).
 */
size_t
smtp_ehlo_filter(const char *in, size_t len, int starttls, char *out,
    size_t cap)
{
	const char	*p = in, *nl, *lines[64];
	size_t		 lens[64], n = 0, i, off = 0;

	while (p < in + len && n < 63 &&
	    (nl = memchr(p, '\n', len - (size_t)(p - in))) != NULL) {
		size_t l = (size_t)(nl - p);

		while (l > 0 && (p[l - 1] == '\r'))
			l--;
		if (!(l >= 12 && strncasecmp(p + 4, "STARTTLS", 8) == 0 &&
		    (l == 12 || p[12] == ' '))) {
			lines[n] = p;
			lens[n++] = l;
		}
		p = nl + 1;
	}
	if (n == 0)
		return 0;
	if (starttls) {
		/* after the greeting line, before the others */
		for (i = n; i > 1; i--) {
			lines[i] = lines[i - 1];
			lens[i] = lens[i - 1];
		}
		lines[1] = "250 STARTTLS";
		lens[1] = 12;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (off + lens[i] + 2 > cap || lens[i] < 3)
			return 0;
		memcpy(out + off, lines[i], 3);
		out[off + 3] = i + 1 == n ? ' ' : '-';
		memcpy(out + off + 4, lines[i] + 4, lens[i] > 4 ? lens[i] - 4 :
		    0);
		if (lens[i] == 3)
			off += 4;
		else
			off += lens[i];
		out[off++] = '\r';
		out[off++] = '\n';
	}
	return off;
}

/* "AUTH LOGIN [initial]": the mechanism, and any initial response. */
enum smtp_mech
smtp_auth_mech(const char *l, size_t len, const char **init, size_t *ilen)
{
	const char	*p = l + 4, *end = l + len, *m;
	enum smtp_mech	 mech = M_OTHER;
	size_t		 mlen;

	while (end > p && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	while (p < end && *p == ' ')
		p++;
	m = p;
	while (p < end && *p != ' ')
		p++;
	mlen = (size_t)(p - m);
	if (mlen == 5 && strncasecmp(m, "LOGIN", 5) == 0)
		mech = M_LOGIN;
	else if (mlen == 5 && strncasecmp(m, "PLAIN", 5) == 0)
		mech = M_PLAIN;
	else if (mlen == 8 && strncasecmp(m, "CRAM-MD5", 8) == 0)
		mech = M_CRAM;
	else if (mlen == 0)
		mech = M_NONE;
	while (p < end && *p == ' ')
		p++;
	*init = p;
	*ilen = (size_t)(end - p);
	return mech;
}

/*
 * The user name in a base64 AUTH response: step 0 is the first response
 * (initial or after the first 334).  Returns 1 when user was found.
 */
int
smtp_auth_user(enum smtp_mech mech, int step, const char *b64, size_t len,
    char *user, size_t n)
{
	char		 enc[1400];
	unsigned char	 dec[1100];
	int		 dlen;
	size_t		 i, ulen;
	const unsigned char *u, *nul;

	while (len > 0 && (b64[len - 1] == '\r' || b64[len - 1] == '\n'))
		len--;
	if (step != 0 || len == 0 || len >= sizeof(enc) || n == 0)
		return 0;
	memcpy(enc, b64, len);
	enc[len] = '\0';
	if ((dlen = b64_pton(enc, dec, sizeof(dec))) <= 0)
		return 0;
	u = dec;
	ulen = (size_t)dlen;
	switch (mech) {
	case M_LOGIN:
		break;
	case M_PLAIN:		/* authzid \0 authcid \0 password */
		if ((nul = memchr(dec, '\0', (size_t)dlen)) == NULL)
			return 0;
		u = nul + 1;
		if ((nul = memchr(u, '\0', (size_t)(dec + dlen - u))) == NULL)
			return 0;
		ulen = (size_t)(nul - u);
		break;
	case M_CRAM:		/* user SP digest */
		for (i = (size_t)dlen; i > 0 && dec[i - 1] != ' '; i--)
			;
		if (i == 0)
			return 0;
		ulen = i - 1;
		break;
	default:
		return 0;
	}
	return log_clean(user, n, (const char *)u, ulen, LOG_ASCII) > 0;
}
