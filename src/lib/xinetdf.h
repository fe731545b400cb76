/* xinetdf.h: derive an alternative-port service from an xinetd file */
#ifndef RG_XINETDF_H
#define RG_XINETDF_H

#include <stdio.h>

struct derive_opt {
	const char	*name;		/* the new service's name */
	unsigned int	 port;
	int		 unlisted;	/* type = UNLISTED and port = */
	int		 defer;		/* rblskip -D and authfirst */
	const char	*bindir;	/* where rblskip and authfirst live */
	const char	*smtpd;		/* -D: the program authfirst goes before
					   (its name); NULL: qmail-smtpd* */
};

int	xinetd_derive(const char *, size_t, const struct derive_opt *, FILE *,
	    FILE *);

#endif
