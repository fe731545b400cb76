/*
 * refuse.c: the conversation a refused client gets, as rblsmtpd holds it:
 * a 220 greeting, 250 to HELO, EHLO, MAIL, RSET and NOOP, 221 to QUIT and
 * the error line to everything else, so that the client's own log shows
 * the error against its RCPT (and it does not retry at once).  Lines
 * longer than REFUSE_LINEMAX are answered once and the rest discarded:
 * nothing is buffered without bound.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dnsbl.h"
#include "refuse.h"

static const char	*refuse_host = "rblskip.local";

enum refuse_reply
refuse_classify(const char *line, size_t len)
{
	static const char *ok[] = { "helo", "ehlo", "mail", "rset", "noop" };
	size_t	w, i;

	for (w = 0; w < len && line[w] != ' ' && line[w] != '\t' &&
	    line[w] != '\r' && line[w] != '\n'; w++)
		;
	if (w == 4 && strncasecmp(line, "quit", 4) == 0)
		return REFUSE_QUIT;
	for (i = 0; w == 4 && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncasecmp(line, ok[i], 4) == 0)
			return REFUSE_OK;
	return REFUSE_ERROR;
}

/* "553 text\r\n", text capped and made printable as rblsmtpd does. */
int
refuse_message(char *buf, size_t n, int code, const char *text)
{
	char	clean[DNSBL_TEXTMAX + 1];
	int	len;

	dnsbl_sanitise(clean, sizeof(clean), text, strlen(text));
	len = snprintf(buf, n, "%d %s\r\n", code, clean);
	return (len < 0 || (size_t)len >= n) ? -1 : len;
}

static void
say(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(1, s, len);

		if (w <= 0)
			_exit(0);	/* the client went away */
		s += w;
		len -= (size_t)w;
	}
}

static void
drop(int sig)
{
	_exit(0);
}

/*
 * Hold the conversation on fds 0 and 1 for at most timeout seconds;
 * timeout 0 sends only the error line.  Never returns.
 */
void
refuse_session(const char *msg, const char *host, unsigned int timeout)
{
	char	buf[REFUSE_LINEMAX + 1], reply[128];
	size_t	have = 0, i;
	ssize_t	r;
	int	skipping = 0, len;

	if (host != NULL)
		refuse_host = host;
	if (timeout == 0) {
		say(msg, strlen(msg));
		_exit(0);
	}
	signal(SIGALRM, drop);
	alarm(timeout);
	len = snprintf(reply, sizeof(reply), "220 %s\r\n", refuse_host);
	say(reply, (size_t)len);
	for (;;) {
		char *nl;

		if ((r = read(0, buf + have, sizeof(buf) - 1 - have)) <= 0)
			_exit(0);
		have += (size_t)r;
		while ((nl = memchr(buf, '\n', have)) != NULL ||
		    have == sizeof(buf) - 1) {
			i = nl ? (size_t)(nl - buf) + 1 : have;
			if (!skipping) {
				switch (refuse_classify(buf, i)) {
				case REFUSE_QUIT:
					len = snprintf(reply, sizeof(reply),
					    "221 %s\r\n", refuse_host);
					say(reply, (size_t)len);
					_exit(0);
				case REFUSE_OK:
					len = snprintf(reply, sizeof(reply),
					    "250 %s\r\n", refuse_host);
					say(reply, (size_t)len);
					break;
				default:
					say(msg, strlen(msg));
				}
			}
			/* an overlong line: answered once, rest skipped */
			skipping = nl == NULL;
			memmove(buf, buf + i, have - i);
			have -= i;
		}
	}
}
