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

int
log_mode_parse(const char *s)
{
	if (strcmp(s, "syslog") == 0)
		return LOG_TO_SYSLOG;
	if (strcmp(s, "stderr") == 0)
		return LOG_TO_STDERR;
	return -1;
}

/* -l syslog|stderr, as every program takes it. */
void
log_option(const char *prog, const char *arg)
{
	int	mode;

	if ((mode = log_mode_parse(arg)) == -1)
		log_fatal(100, "fatal: -l %s: want syslog or stderr", arg);
	log_init(prog, mode);
}

/* A numeric option or setting in [lo, hi], or a usage error (100). */
long long
log_number(const char *what, const char *arg, long long lo, long long hi)
{
	const char	*errstr;
	long long	 v = strtonum(arg, lo, hi, &errstr);

	if (errstr != NULL)
		log_fatal(100, "fatal: %s %s: %s", what, arg, errstr);
	return v;
}

/* The end of every chain stage: become the next program, or say why not. */
void
log_exec(char **argv)
{
	execvp(argv[0], argv);
	log_fatal(errno == ENOENT ? 127 : 126, "fatal: unable to run %s: %s",
	    argv[0], strerror(errno));
}

/*
 * Copy at most dstlen-1 bytes of src, replacing control characters and
 * DEL with '?'.  Returns the length written.
 */
size_t
log_sanitise(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t	i;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
	return i;
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

void
log_line(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_fatal(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fmt, ap);
	va_end(ap);
	_exit(code);
}
