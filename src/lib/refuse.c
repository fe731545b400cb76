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

/* 1 when the buffer holds a line (or a full buffer) to answer. */
int
refuse_pending(const struct refuse_conv *cv)
{
	return cv->have == sizeof(cv->buf) ||
	    memchr(cv->buf, '\n', cv->have) != NULL;
}

/*
 * Answer the complete lines in the buffer while their replies fit in out
 * (outcap must hold the longest reply), and keep what is left.  A line
 * that fills the buffer without a newline is answered once and the rest
 * of it skipped.  Returns 1 after QUIT.
 */
int
refuse_lines(struct refuse_conv *cv, const char *msg, char *out,
    size_t outcap, size_t *outlen)
{
	const char	*reply;
	char		*nl;
	size_t		 i, rlen, longest;
	int		 quit = 0;

	longest = strlen(msg);
	if (strlen(cv->ok) > longest)
		longest = strlen(cv->ok);
	if (strlen(cv->quit) > longest)
		longest = strlen(cv->quit);
	*outlen = 0;
	while (!quit && *outlen + longest <= outcap &&
	    ((nl = memchr(cv->buf, '\n', cv->have)) != NULL ||
	    cv->have == sizeof(cv->buf))) {
		i = nl ? (size_t)(nl - cv->buf) + 1 : cv->have;
		reply = NULL;
		if (!cv->skipping) {
			switch (refuse_classify(cv->buf, i)) {
			case REFUSE_QUIT:
				reply = cv->quit;
				quit = 1;
				break;
			case REFUSE_OK:
				reply = cv->ok;
				break;
			default:
				reply = msg;
			}
		}
		if (reply != NULL) {
			rlen = strlen(reply);
			memcpy(out + *outlen, reply, rlen);
			*outlen += rlen;
		}
		cv->skipping = nl == NULL;
		memmove(cv->buf, cv->buf + i, cv->have - i);
		cv->have -= i;
	}
	return quit;
}

void
refuse_init(struct refuse_conv *cv, const char *host)
{
	memset(cv, 0, sizeof(*cv));
	snprintf(cv->ok, sizeof(cv->ok), "250 %s\r\n", host);
	snprintf(cv->quit, sizeof(cv->quit), "221 %s\r\n", host);
}

/*
 * Hold the conversation on fds 0 and 1 for at most timeout seconds;
 * timeout 0 sends only the error line.  Never returns.
 */
void
refuse_session(const char *msg, const char *host, unsigned int timeout)
{
	struct refuse_conv	cv;
	char			out[4096], greet[128];
	size_t			outlen;
	ssize_t			r;
	int			quit, len;

	if (host == NULL)
		host = refuse_host;
	if (timeout == 0) {
		say(msg, strlen(msg));
		_exit(0);
	}
	signal(SIGALRM, drop);
	alarm(timeout);
	refuse_init(&cv, host);
	len = snprintf(greet, sizeof(greet), "220 %s\r\n", host);
	say(greet, (size_t)len);
	for (;;) {
		if ((r = read(0, cv.buf + cv.have, sizeof(cv.buf) - cv.have)) <=
		    0)
			_exit(0);
		cv.have += (size_t)r;
		do {
			quit = refuse_lines(&cv, msg, out, sizeof(out),
			    &outlen);
			say(out, outlen);
			if (quit)
				_exit(0);
		} while (refuse_pending(&cv));
	}
}
