/* refuse.h: rblsmtpd's refusal conversation */
#ifndef RG_REFUSE_H
#define RG_REFUSE_H

#include <stddef.h>

#define REFUSE_LINEMAX	1000	/* longer command lines are cut here */

enum refuse_reply { REFUSE_OK, REFUSE_QUIT, REFUSE_ERROR };

struct refuse_conv {
	char	buf[REFUSE_LINEMAX];
	size_t	have;
	int	skipping;	/* inside an overlong line */
	char	ok[80], quit[80];
};

enum refuse_reply refuse_classify(const char *, size_t);
int	refuse_message(char *, size_t, int, const char *);
void	refuse_init(struct refuse_conv *, const char *);
int	refuse_pending(const struct refuse_conv *);
int	refuse_lines(struct refuse_conv *, const char *, char *, size_t,
	    size_t *);
void	refuse_session(const char *, const char *, unsigned int)
	    __attribute__((noreturn));

#endif
