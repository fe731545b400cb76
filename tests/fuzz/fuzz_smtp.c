/*
 * Fuzz target: the SMTP command and reply parsers authfirst uses.  The
 * first byte chooses: even, the input is a stream of client command
 * lines (verbs, AUTH mechanisms and responses); odd, a stream of backend
 * replies (reply ends, the EHLO filter).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*p, *end, *nl, *init;
	char		 user[SMTP_USERMAX], out[8192];
	size_t		 n, ilen;
	int		 code;
	enum smtp_mech	 m;

	if (len < 1)
		return 0;
	p = (const char *)data + 1;
	end = (const char *)data + len;
	if ((data[0] & 1) == 0) {
		for (; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			n = (size_t)(nl - p);
			if (smtp_verb(p, n) == V_AUTH) {
				m = smtp_auth_mech(p, n, &init, &ilen);
				smtp_auth_user(m, 0, init, ilen, user,
				    sizeof(user));
			}
			smtp_auth_user(M_PLAIN, 0, p, n, user, sizeof(user));
			smtp_auth_user(M_CRAM, 0, p, n, user, sizeof(user));
			if (nl == end)
				break;
		}
		return 0;
	}
	while (p < end && (n = smtp_reply_end(p, (size_t)(end - p), &code)) >
	    0) {
		smtp_ehlo_filter(p, n, data[0] & 2, out, sizeof(out));
		p += n;
	}
	return 0;
}
