/*
 * stage.c: what every stage of a chain does the same way: the -l option,
 * numeric options, the usage message, and the exec into the next program.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "stage.h"

/* -l syslog|stderr, as every program takes it. */
void
stage_logopt(const char *prog, const char *arg)
{
	int	mode;

	if ((mode = log_mode_parse(arg)) == -1)
		log_fatal(100, "-l %s: want syslog or stderr", arg);
	log_init(prog, mode);
}

/* A numeric option or setting in [lo, hi], or a usage error (100). */
long long
stage_number(const char *what, const char *arg, long long lo, long long hi)
{
	const char	*errstr;
	long long	 v = strtonum(arg, lo, hi, &errstr);

	if (errstr != NULL)
		log_fatal(100, "%s %s: %s", what, arg, errstr);
	return v;
}

/* The end of every chain stage: become the next program, or say why not. */
void
stage_exec(char **argv)
{
	execvp(argv[0], argv);
	log_fatalsys(errno == ENOENT ? 127 : 126, "unable to run %s",
	    argv[0]);
}

/*
 * The usage message, exit 100.  Printed as written, lines and all, on
 * standard error; to syslog a line at a time when that is where the log
 * goes (under xinetd fd 2 is the client's socket).
 */
void
stage_usage(const char *usage)
{
	log_usage(usage);
	_exit(100);
}
