/*
 * log.c: the logging rule every program follows.  Under xinetd and systemd
 * fd 2 is the client's socket, and a line written there would be read by
 * the SMTP client; so when fd 2 is a socket, lines go to syslog (mail).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "relaygate";
static int		 log_to = LOG_TO_STDERR;

void
log_init(const char *prog, int mode)
{
	struct stat	st;

	log_prog = prog;
	if (mode == LOG_TO_AUTO)
		mode = (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode)) ?
		    LOG_TO_SYSLOG : LOG_TO_STDERR;
	if (mode == LOG_TO_SYSLOG && log_to != LOG_TO_SYSLOG)
		openlog(prog, 0, LOG_MAIL);
	log_to = mode;
}

/*
 * Connect to syslog now, not at the first line: a program about to
 * chroot keeps the socket it will log through.
 */
void
log_connect(void)
{
	if (log_to != LOG_TO_SYSLOG)
		return;
	closelog();
	openlog(log_prog, LOG_NDELAY, LOG_MAIL);
}

int
log_mode_parse(const char *s)
{
	if (strcmp(s, "syslog") == 0)
		return LOG_TO_SYSLOG;
	if (strcmp(s, "stderr") == 0)
		return LOG_TO_STDERR;
	return -1;
}

/*
 * The one sanitiser for untrusted text.  Copies at most dstlen-1 bytes
 * of src: printable ASCII as it is, well-formed UTF-8 for characters
 * from U+00A0 up as it is, and every other byte as '?': C0 controls,
 * DEL, the C1 controls (U+0080-U+009F, whether raw bytes or encoded, such
 * as the 8-bit CSI a terminal obeys), and bytes that are not UTF-8; an
 * encoded character that is not allowed is one '?'.
 * With LOG_ASCII, for text that goes into an SMTP reply or an AUTH user
 * name (7-bit by RFC 5321), every byte outside printable ASCII is one '?',
 * as rblsmtpd does it.
 * Returns the length written.
 */
size_t
log_clean(char *dst, size_t dstlen, const char *src, size_t srclen,
    int flags)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0, k = 0, n, j;
	unsigned long		 cp;

	if (dstlen == 0)
		return 0;
	while (i < srclen && k + 1 < dstlen) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			dst[k++] = (char)s[i++];
			continue;
		}
		if (flags & LOG_ASCII) {
			dst[k++] = '?';
			i++;
			continue;
		}
		/* the length and first bits of a UTF-8 sequence */
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 2;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 3;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 4;
			cp = s[i] & 0x07;
		} else
			n = 0;
		for (j = 1; n && j < n; j++) {
			if (i + j >= srclen || (s[i + j] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (n == 0) {		/* not UTF-8: one '?' a byte */
			dst[k++] = '?';
			i++;
			continue;
		}
		/* a C1 control, overlong, a surrogate, beyond Unicode, or
		 * not room for it whole: one '?' for the sequence */
		if (cp < 0xa0 || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || k + n >= dstlen) {
			dst[k++] = '?';
			i += n;
			continue;
		}
		memcpy(dst + k, s + i, n);
		k += n;
		i += n;
	}
	dst[k] = '\0';
	return k;
}

/* Text for a log line or a terminal: log_clean without LOG_ASCII. */
size_t
log_sanitise(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return log_clean(dst, dstlen, src, srclen, 0);
}

static void
log_emit(int pri, const char *fmt, va_list ap)
{
	char	raw[LOG_LINEMAX], line[LOG_LINEMAX + 64];
	int	n, m;

	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	if (log_to == LOG_TO_SYSLOG) {
		log_sanitise(line, sizeof(line), raw, (size_t)n);
		syslog(pri, "pid %ld: %s", (long)getpid(), line);
		return;
	}
	m = snprintf(line, sizeof(line), "%s: pid %ld: ", log_prog,
	    (long)getpid());
	if (m < 0 || (size_t)m >= sizeof(line))
		return;
	m += (int)log_sanitise(line + m, sizeof(line) - (size_t)m - 1, raw,
	    (size_t)n);
	line[m++] = '\n';
	/* One write, so that concurrent lines do not interleave. */
	while (write(2, line, (size_t)m) < 0 && errno == EINTR)
		;
}

/* A usage text of ours, lines as written (see stage_usage). */
void
log_usage(const char *text)
{
	char		 line[LOG_LINEMAX];
	const char	*p, *nl;

	if (log_to != LOG_TO_SYSLOG) {
		(void)!write(2, text, strlen(text));
		(void)!write(2, "\n", 1);
		return;
	}
	for (p = text; *p; p = *nl ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		log_sanitise(line, sizeof(line), p, (size_t)(nl - p));
		syslog(LOG_ERR, "pid %ld: %s", (long)getpid(), line);
	}
}

void
log_line(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* "fatal: " and the line, then exit with code. */
void
log_fatal(int code, const char *fmt, ...)
{
	char	f[LOG_LINEMAX];
	va_list	ap;

	snprintf(f, sizeof(f), "fatal: %s", fmt);
	va_start(ap, fmt);
	log_emit(LOG_ERR, f, ap);
	va_end(ap);
	_exit(code);
}

/* As log_fatal, with ": " and strerror(errno) after the line. */
void
log_fatalsys(int code, const char *fmt, ...)
{
	char	msg[LOG_LINEMAX];
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fatal(code, "%s: %s", msg, strerror(saved));
}
