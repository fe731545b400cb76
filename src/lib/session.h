/*
 * session.h: authfirst's SMTP session, apart from sockets, TLS and exec:
 * bytes from the client and from the backend go in, bytes to each come
 * out, in order.  Unit tests and the fuzzer drive it as authfirst does.
 */
#ifndef RG_SESSION_H
#define RG_SESSION_H

#include <stddef.h>

#include "dnsbl.h"
#include "smtp.h"

#define SESSION_BUFSZ	65536
#define SESSION_SLOTS	256	/* replies outstanding, at most */

struct sbuf {
	char	d[SESSION_BUFSZ];
	size_t	len;
};

/* What the next reply in the queue is, and where it comes from. */
enum slotkind {
	S_REPLY,	/* the backend's, passed on */
	S_EHLO,		/* the backend's, filtered when gated */
	S_AUTH,		/* the backend's; 334 goes on, 235 opens the gate */
	S_LOCAL		/* ours: the backend never saw the command */
};

struct slot {
	enum slotkind	 kind;
	const char	*text;		/* S_LOCAL */
	int		 starttls;	/* S_LOCAL: handshake after this */
};

enum smode {
	SM_CMD,		/* reading commands */
	SM_WAIT_AUTH,	/* AUTH (or a response) sent on, reply not back */
	SM_AUTH_CONT	/* the backend said 334: the next line is a response */
};

/* The state first, the buffers last: session_init clears the one and only
 * the lengths of the other, not 256 KB of pages a session may never use. */
struct session {
	struct slot	 q[SESSION_SLOTS];
	int		 qhead, qlen;
	int		 gated;		/* MAIL waits for a 235 */
	int		 authed;	/* the backend said 235 */
	int		 relay;		/* only bytes from here on */
	int		 have_cert, in_tls, want_handshake;
	int		 skipping;	/* the rest of an overlong line */
	enum smode	 mode;
	enum smtp_mech	 mech;
	int		 attempt_known;	/* the user of the AUTH under way */
	char		 attempt[SMTP_USERMAX];
	char		 user[SMTP_USERMAX];	/* whose AUTH got 235 */
	unsigned long	 auth_tries;	/* AUTH exchanges answered */
	unsigned long	 refused;	/* MAIL refused */
	char		 refusal[DNSBL_TEXTMAX + 64];
	const char	*ending;	/* for the log line */
	struct sbuf	 from_client;	/* not yet handled */
	struct sbuf	 to_backend;
	struct sbuf	 from_backend;	/* not yet a whole reply */
	struct sbuf	 to_client;
};

void	session_init(struct session *, int, int, const char *);
int	session_step(struct session *);
void	session_client_eof(struct session *);
void	session_backend_eof(struct session *);
void	session_take(struct sbuf *, size_t);
int	session_summary(const struct session *, const char *, const char *,
	    unsigned long long, unsigned long long, char *, size_t);

#endif
