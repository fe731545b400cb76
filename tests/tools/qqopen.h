/*
 * qqopen.h: TEST HELPER.  qmail.c's side of qmail-queue, as netqmail and
 * notqmail have it, for the stand-ins of its callers (qmail-smtpd,
 * qmail-inject): qq_open() starts the queue program with the message
 * pipe on its fd 0 and the envelope pipe on its fd 1 (exit 120 when it
 * cannot be run), qq_reply() turns its exit status into qmail_close()'s
 * text ("D" permanent, "Z" temporary, "" queued).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* qmail.c's qmail_close(): a queue program's exit status as its text. */
static const char *
qq_reply(int wstat)
{
	int	code;

	if (!WIFEXITED(wstat))
		return "Zqq crashed (#4.3.0)";
	switch ((code = WEXITSTATUS(wstat))) {
	case 115:
	case 11: return "Denvelope address too long for qq (#5.1.3)";
	case 31: return "Dmail server permanently rejected message (#5.3.0)";
	case 51: return "Zqq out of memory (#4.3.0)";
	case 52: return "Zqq timeout (#4.3.0)";
	case 53: return "Zqq write error or disk full (#4.3.0)";
	case 0: return "";
	case 54: return "Zqq read error (#4.3.0)";
	case 55: return "Zqq unable to read configuration (#4.3.0)";
	case 56: return "Zqq trouble making network connection (#4.3.0)";
	case 61: return "Zqq trouble in home directory (#4.3.0)";
	case 62: case 63: case 64: case 65: case 66:
		return "Zqq trouble creating files in queue (#4.3.0)";
	case 71: return "Zmail server temporarily rejected message (#4.3.0)";
	case 72: return "Zconnection to mail server timed out (#4.4.1)";
	case 73: return "Zconnection to mail server rejected (#4.4.1)";
	case 74: return "Zcommunication with mail server failed (#4.4.2)";
	case 91:
	case 81: return "Zqq internal bug (#4.3.0)";
	case 120: return "Zunable to exec qq (#4.3.0)";
	default:
		return code >= 11 && code <= 40 ?
		    "Dqq permanent problem (#5.3.0)" :
		    "Zqq temporary problem (#4.3.0)";
	}
}

/* qmail_open(): the queue program, with pipes on its fds 0 and 1. */
static pid_t
qq_open(const char *prog, int *fdm, int *fde)
{
	int	pim[2], pie[2];
	pid_t	pid;

	if (pipe(pim) == -1)
		return -1;
	if (pipe(pie) == -1) {
		close(pim[0]);
		close(pim[1]);
		return -1;
	}
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(pim[1]);
		close(pie[1]);
		if (dup2(pim[0], 0) == -1 || dup2(pie[0], 1) == -1)
			_exit(120);
		close(pim[0]);
		close(pie[0]);
		execl(prog, prog, (char *)NULL);
		_exit(120);
	}
	close(pim[0]);
	close(pie[0]);
	*fdm = pim[1];
	*fde = pie[1];
	return pid;
}

