/* limfile.h: hourly sending limits per mailbox, domain, local user and
 * client address, as text an admin edits and a cdb the sender reads */
#ifndef RG_LIMFILE_H
#define RG_LIMFILE_H

#include <stdint.h>
#include <stdio.h>

#include <cdb.h>

#define LIMIT_UNLIMITED	UINT32_MAX
#define LIMIT_NAMEMAX	256	/* a name, with its NUL */
#define LIMIT_KEYMAX	(LIMIT_NAMEMAX + 2)

enum limit_kind { L_MAILBOX, L_DOMAIN, L_USER, L_ADDRESS, L_KINDS };

struct limit {
	enum limit_kind	 kind;
	char		 name[LIMIT_NAMEMAX];	/* canonical; "*" the default */
	uint32_t	 messages;		/* an hour; LIMIT_UNLIMITED */
	uint32_t	 recipients;
};

int		 limits_line(const char *, size_t, struct limit *, char *,
		    size_t);
int		 limits_canon(enum limit_kind, const char *, char *, size_t);
size_t		 limits_key(enum limit_kind, const char *, char *, size_t);
int		 limits_compile(FILE *, const char *, int, FILE *);
int		 limits_get(struct cdb *, enum limit_kind, const char *,
		    struct limit *);
const char	*limits_kind_word(enum limit_kind);

#endif
