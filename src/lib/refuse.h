/* refuse.h: rblsmtpd's refusal conversation */
#ifndef RG_REFUSE_H
#define RG_REFUSE_H

#include <stddef.h>

#define REFUSE_LINEMAX	1000	/* longer command lines are cut here */

enum refuse_reply { REFUSE_OK, REFUSE_QUIT, REFUSE_ERROR };

enum refuse_reply refuse_classify(const char *, size_t);
int	refuse_message(char *, size_t, int, const char *);
void	refuse_session(const char *, const char *, unsigned int)
	    __attribute__((noreturn));

#endif
