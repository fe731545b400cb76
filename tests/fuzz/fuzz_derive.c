/* Fuzz target: xinetd files (derive) and /etc/services (merge, unmerge). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/etcsvc.h"
#include "lib/xinetdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct derive_opt	o = { "smtp-alt", 1025, 0, 0, "/var/qmail/bin",
				    NULL };
	struct etcsvc_want	w[2] = { { "smtp-alt", 1025 }, { "smtp", 25 } };
	FILE			*out = fopen("/dev/null", "w");

	if (out == NULL)
		return 0;
	o.unlisted = len & 1;
	o.defer = (len >> 1) & 1;
	o.smtpd = (len >> 2) & 1 ? "smtpd-wrapper" : NULL;
	xinetd_derive((const char *)data, len, &o, out, out);
	etcsvc_merge((const char *)data, len, w, 2, (len >> 3) & 1, out, "fuzz",
	    out);
	etcsvc_unmerge((const char *)data, len, out);
	{
		char		other[64];
		unsigned int	oport;
		unsigned long	line;

		etcsvc_lookup((const char *)data, len, "smtp-alt", 1025, other,
		    sizeof(other), &oport, &line);
	}
	fclose(out);
	return 0;
}
