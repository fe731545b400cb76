/* smtp.h: the little of SMTP that authfirst must understand */
#ifndef RG_SMTP_H
#define RG_SMTP_H

#include <stddef.h>

#define SMTP_LINEMAX	1000	/* a command line, CRLF included */
#define SMTP_USERMAX	64

enum smtp_verb {
	V_OTHER, V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_RSET, V_QUIT,
	V_AUTH, V_STARTTLS, V_BDAT
};

enum smtp_mech { M_NONE, M_LOGIN, M_PLAIN, M_CRAM, M_OTHER };

enum smtp_verb	smtp_verb(const char *, size_t);
size_t		smtp_reply_end(const char *, size_t, int *);
size_t		smtp_ehlo_filter(const char *, size_t, int, char *, size_t);
enum smtp_mech	smtp_auth_mech(const char *, size_t, const char **,
		    size_t *);
int		smtp_auth_user(enum smtp_mech, int, const char *, size_t,
		    char *, size_t);

#endif
