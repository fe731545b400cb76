/*
 * dnsbl.c: what rblskip asks and how it reads the answers.
 *
 * Answers follow RFC 5782: any A record in 127.0.0.0/8 lists the client
 * (optionally only the return codes the admin picked), TXT only carries
 * the text.  Answers in 127.255.255.0/24 are list operators' error codes
 * (Spamhaus: "query via a public resolver") and, like answers outside
 * 127.0.0.0/8, are DNS errors, never listings.
 *
 * The decision reproduces rblsmtpd's: sources are consulted in the order
 * given, the first decisive one wins, and a DNS error on any source
 * consulted before the decision makes a refusal temporary (451).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "log.h"

static const char hexdigit[] = "0123456789abcdef";

/* 2.0.0.127.zone, or 32 reversed nibbles for IPv6. */
int
dnsbl_name(const struct ip *ip, const char *zone, char *buf, size_t n)
{
	char	rev[72], *p = rev;
	int	i, len;

	if (ip->family == AF_INET)
		p += snprintf(rev, sizeof(rev), "%u.%u.%u.%u", ip->a[3],
		    ip->a[2], ip->a[1], ip->a[0]);
	else {
		for (i = 15; i >= 0; i--) {
			*p++ = hexdigit[ip->a[i] & 15];
			*p++ = '.';
			*p++ = hexdigit[ip->a[i] >> 4];
			*p++ = '.';
		}
		*--p = '\0';
	}
	len = snprintf(buf, n, "%s.%s", rev, zone);
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

static int
code_parse(const char *s, size_t len, uint32_t *v)
{
	char		buf[INET_ADDRSTRLEN];
	struct in_addr	a;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*v = ntohl(a.s_addr);
	return (*v >> 24) == 127 ? 0 : -1;
}

/* "127.0.0.2,127.0.0.4-11": codes, and ranges in the last octet. */
int
dnsbl_codes_parse(const char *s, struct dnsbl_codes *c)
{
	const char	*end, *dash;
	unsigned int	 hi;
	size_t		 len;
	char		*ep;

	c->n = 0;
	for (;;) {
		end = s + strcspn(s, ",");
		len = (size_t)(end - s);
		if (c->n == DNSBL_MAXCODES)
			return -1;
		dash = memchr(s, '-', len);
		if (code_parse(s, dash ? (size_t)(dash - s) : len,
		    &c->lo[c->n]) == -1)
			return -1;
		c->hi[c->n] = c->lo[c->n];
		if (dash) {
			if (!isdigit((unsigned char)dash[1]))
				return -1;
			hi = (unsigned int)strtoul(dash + 1, &ep, 10);
			if (ep != end || hi > 255 || hi < (c->lo[c->n] & 255))
				return -1;
			c->hi[c->n] = (c->lo[c->n] & 0xffffff00u) | hi;
		}
		c->n++;
		if (*end == '\0')
			return 0;
		s = end + 1;
	}
}

/* ZONE or ZONE=CODES, as given to -r or -a. */
int
dnsbl_src_parse(struct dnsbl_src *src, enum dnsbl_kind kind, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	size_t		 len = eq ? (size_t)(eq - arg) : strlen(arg), i;

	memset(src, 0, sizeof(*src));
	src->kind = kind;
	if (len == 0 || len > DNSBL_ZONEMAX)
		return -1;
	for (i = 0; i < len; i++)
		if (!(isalnum((unsigned char)arg[i]) || arg[i] == '.' ||
		    arg[i] == '-' || arg[i] == '_'))
			return -1;
	if (arg[0] == '.' || strstr(arg, "..") != NULL)
		return -1;
	memcpy(src->zone, arg, len);
	src->zone[len] = '\0';
	if (src->zone[len - 1] == '.')
		src->zone[len - 1] = '\0';
	if (eq && dnsbl_codes_parse(eq + 1, &src->codes) == -1)
		return -1;
	return 0;
}

/*
 * The A records of one answer: LISTED (first hit in *hit), CLEAN, or
 * ERROR with the reason in why.
 */
enum dnsbl_state
dnsbl_classify(const uint32_t *a, int n, const struct dnsbl_codes *c,
    uint32_t *hit, char *why, size_t whylen)
{
	int	i, j, listed = 0;

	for (i = 0; i < n; i++) {
		if ((a[i] >> 24) != 127 || (a[i] >> 8) == 0x7fffff) {
			snprintf(why, whylen, "answer %u.%u.%u.%u is an error "
			    "code", a[i] >> 24, (a[i] >> 16) & 255,
			    (a[i] >> 8) & 255, a[i] & 255);
			return DNSBL_ERROR;
		}
		if (listed)
			continue;
		for (j = 0; j < c->n; j++)
			if (a[i] >= c->lo[j] && a[i] <= c->hi[j])
				break;
		if (c->n == 0 || j < c->n) {
			listed = 1;
			*hit = a[i];
		}
	}
	return listed ? DNSBL_LISTED : DNSBL_CLEAN;
}

/*
 * Once its queries are in: a block list lists by A, or by TXT alone when
 * no A came back and no codes were picked (lists that publish only TXT,
 * which rblsmtpd reads).
 */
void
dnsbl_settle(struct dnsbl_src *s)
{
	if (s->a == DNSBL_PENDING ||
	    (s->kind == DNSBL_BLOCK && !s->txt_done)) {
		s->state = DNSBL_PENDING;
		return;
	}
	s->state = s->a;
	if (s->kind == DNSBL_BLOCK && s->a == DNSBL_CLEAN && s->code == 0 &&
	    s->codes.n == 0 && s->text[0] != '\0')
		s->state = DNSBL_LISTED;
}

void
dnsbl_decide(const struct dnsbl_src *s, int n, struct dnsbl_decision *d)
{
	int	i, mustnotbounce = 0;

	memset(d, 0, sizeof(*d));
	d->src = -1;
	for (i = 0; i < n; i++) {
		if (s[i].state == DNSBL_PENDING)
			return;		/* not done */
		if (s[i].state == DNSBL_ERROR) {
			mustnotbounce = 1;
			if (s[i].kind == DNSBL_BLOCK && s[i].failclosed) {
				d->refuse = 1;
				d->src = i;
				strlcpy(d->text, "temporary RBL lookup error",
				    sizeof(d->text));
				break;
			}
			if (s[i].kind == DNSBL_ALLOW && !s[i].failclosed) {
				d->src = i;
				break;
			}
			continue;
		}
		if (s[i].state != DNSBL_LISTED)
			continue;
		d->src = i;
		if (s[i].kind == DNSBL_ALLOW)
			break;
		d->refuse = 1;
		if (s[i].text[0] != '\0')
			strlcpy(d->text, s[i].text, sizeof(d->text));
		else
			snprintf(d->text, sizeof(d->text), "listed in %s",
			    s[i].zone);
		break;
	}
	d->done = 1;
	if (d->refuse)
		d->code = (s[d->src].bounce && !mustnotbounce &&
		    s[d->src].state == DNSBL_LISTED) ? 553 : 451;
}

/* rblsmtpd's rule: at most 200 bytes, anything outside 32..126 is '?'. */
size_t
dnsbl_sanitise(char *dst, size_t n, const char *src, size_t len)
{
	return log_clean(dst, n, src, len > DNSBL_TEXTMAX ? DNSBL_TEXTMAX :
	    len, LOG_ASCII);
}
