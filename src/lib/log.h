/* log.h: one line per decision, to syslog or stderr; "fatal: " lines */
#ifndef RG_LOG_H
#define RG_LOG_H

#define LOG_TO_AUTO	0	/* syslog when fd 2 is a socket */
#define LOG_TO_SYSLOG	1
#define LOG_TO_STDERR	2

#define LOG_LINEMAX	1024

void	log_init(const char *, int);
void	log_connect(void);
int	log_mode_parse(const char *);
void	log_usage(const char *);
void	log_line(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_fatal(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	log_fatalsys(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
#define LOG_ASCII	1	/* log_clean: printable ASCII only */

size_t	log_clean(char *, size_t, const char *, size_t, int);
size_t	log_sanitise(char *, size_t, const char *, size_t);

#endif
