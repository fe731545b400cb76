/* authlog.h: successful logins in the log lines of authguard, authfirst
 * and Plesk's smtp_auth */
#ifndef RG_AUTHLOG_H
#define RG_AUTHLOG_H

#include <stddef.h>

enum authlog_src {
	AUTHLOG_AUTHGUARD,
	AUTHLOG_AUTHFIRST,
	AUTHLOG_SMTP_AUTH,
	AUTHLOG_NSRC
};

struct authlog {
	enum authlog_src	 src;
	const char		*ip, *user;	/* into the line, not ended */
	size_t			 iplen, ulen;
};

int	authlog_parse(const char *, struct authlog *);

#endif
