/* sender.h: who sends a message that is on its way into qmail-queue */
#ifndef RG_SENDER_H
#define RG_SENDER_H

#include <sys/types.h>
#include <stddef.h>

#include "ip.h"
#include "limfile.h"

enum sender_kind {
	SND_MAILBOX,	/* an SMTP login: the account, and its domain */
	SND_ADDRESS,	/* SMTP without a login: the client's address */
	SND_USER,	/* local injection: the uid the kernel reports */
	SND_UNKNOWN	/* SMTP, but no line of qmail-smtpd's to read */
};

struct sender {
	enum sender_kind kind;
	char		 mailbox[LIMIT_NAMEMAX];	/* canonical */
	char		 domain[LIMIT_NAMEMAX];		/* "" when none */
	char		 address[IP_FMTLEN];		/* canonical */
	uid_t		 uid;
	int		 toolong;	/* SND_UNKNOWN: a login too long */
};

int	sender_identify(const char *, size_t, uid_t, int, struct sender *);
int	sender_head_done(const char *, size_t, size_t);
long	sender_rcpts(const char *, size_t);

#endif
