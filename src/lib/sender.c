/*
 * sender.c: who sends, for the limits, from what cannot be forged.  Why
 * it is shaped so:
 *
 * - Called by qmail-smtpd (the caller's uid is the one that runs it), the
 *   message's first header is the Received line qmail-smtpd wrote before
 *   the client's first byte: its account, present only "with ESMTPA" or
 *   "ESMTPSA", is the login; otherwise the client is its address.  What
 *   the client says (an ident answer, MAIL's AUTH=, a Received line of its
 *   own further down) is never an account: qmail-smtpd writes those as
 *   remote info on a line that says SMTP or ESMTP, and only the first line
 *   is read.
 * - Called by anyone else (sendmail, qmail-inject from a web script), the
 *   sender is the uid the kernel reports, whatever the message says: a
 *   local user writes every byte of it, a first line that looks like
 *   qmail-smtpd's included.
 */
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "sender.h"

/* The first header of head[0..len), folded lines joined, into buf. */
static size_t
first_header(const char *head, size_t len, char *buf, size_t n)
{
	size_t	i, k = 0;

	for (i = 0; i < len && k + 1 < n; i++) {
		if (head[i] == '\n') {
			if (i + 1 < len && (head[i + 1] == ' ' ||
			    head[i + 1] == '\t')) {
				buf[k++] = '\n';	/* as queue_received takes it */
				continue;
			}
			break;
		}
		buf[k++] = head[i];
	}
	buf[k] = '\0';
	return k;
}

/*
 * head: the start of the message as qmail-queue gets it; uid: the
 * caller's real uid; network: that uid is the one qmail-smtpd runs as.
 * Returns 0 and fills s; -1 when out of memory.  The first header is
 * read whole, however long: a HELO a client made long must not hide the
 * login written after it.
 */
int
sender_identify(const char *head, size_t len, uid_t uid, int network,
    struct sender *s)
{
	struct qmsg	 m;
	struct ip	 ip;
	char		*h, *c;
	const char	*at;
	size_t		 hl;
	int		 ok;

	memset(s, 0, sizeof(*s));
	s->uid = uid;
	if (!network) {
		s->kind = SND_USER;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	if ((h = malloc(len + 1)) == NULL)
		return -1;
	hl = first_header(head, len, h, len + 1);
	ok = queue_received(h, hl, &m);
	free(h);
	if (!ok) {
		s->kind = SND_UNKNOWN;
		return 0;
	}
	/* "*" names every object's default in the limits file: no sender */
	if (strcmp(m.user, "*") == 0) {
		s->kind = SND_UNKNOWN;
		return 0;
	}
	if (strlen(m.user) >= LIMIT_NAMEMAX) {
		/* no mailbox is that long: a cut name would be another's */
		s->kind = SND_UNKNOWN;
		s->toolong = 1;
		return 0;
	}
	if (m.user[0] != '\0' && limits_canon(L_MAILBOX, m.user, s->mailbox,
	    sizeof(s->mailbox)) == 0) {
		s->kind = SND_MAILBOX;
		at = strrchr(s->mailbox, '@');
		strlcpy(s->domain, at + 1, sizeof(s->domain));
		return 0;
	}
	if (m.user[0] != '\0') {
		/* a login without a domain (a system account's name); bytes
		 * qmail's safeput never writes make it no name at all */
		strlcpy(s->mailbox, m.user, sizeof(s->mailbox));
		for (c = s->mailbox; *c; c++) {
			if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
				s->mailbox[0] = '\0';
				s->kind = SND_UNKNOWN;
				return 0;
			}
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		s->kind = SND_MAILBOX;
		return 0;
	}
	if (ip_parse(&ip, m.ip) == 0) {
		ip_fmt(&ip, s->address, sizeof(s->address));
		s->kind = SND_ADDRESS;
		return 0;
	}
	s->kind = SND_UNKNOWN;
	return 0;
}

/* Has head[0..n) its first header whole (a line not folded on)?  from:
 * where to look, bytes before it were looked at. */
int
sender_head_done(const char *head, size_t n, size_t from)
{
	size_t	i;

	for (i = from; i < n; i++)
		if (head[i] == '\n' && (i + 1 == n ? 0 : head[i + 1] != ' ' &&
		    head[i + 1] != '\t'))
			return 1;
	return 0;
}

/* Recipients of a whole envelope as qmail-queue reads it; -1 if it is
 * not one (qmail-queue will say why; nothing is counted). */
long
sender_rcpts(const char *e, size_t len)
{
	const char	*p = e, *end = e + len, *z;
	long		 n = 0;

	if (len == 0 || *p != 'F')
		return -1;
	for (;;) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL ||
		    z + 1 == end)
			return -1;
		p = z + 1;
		if (*p == '\0')
			return n;
		if (*p != 'T')
			return -1;
		n++;
	}
}
