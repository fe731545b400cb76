/*
 * Fuzz target: what sendlimit parses.  Every line of the input through
 * the limits file's line parser; for each accepted line, its name is
 * canonical (canonicalising it again gives it back, it holds no space or
 * control byte) and has a key.  The whole input as the head of a message
 * from qmail-smtpd: a mailbox found is non-empty and clean, an address is
 * an address, and a local caller is always its uid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limfile.h"
#include "lib/sender.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*p = (const char *)data, *end = p + len, *nl;
	struct limit	 l;
	char		 why[256], again[LIMIT_NAMEMAX], key[LIMIT_KEYMAX];
	size_t		 i;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (limits_line(p, (size_t)(nl - p), &l, why, sizeof(why)) != 1)
			continue;
		if (limits_canon(l.kind, l.name, again, sizeof(again)) != 0 ||
		    strcmp(again, l.name) != 0)
			abort();
		for (i = 0; l.name[i]; i++)
			if ((unsigned char)l.name[i] <= ' ' ||
			    (unsigned char)l.name[i] >= 0x7f)
				abort();
		if (limits_key(l.kind, l.name, key, sizeof(key)) == 0)
			abort();
	}
	{
		struct sender	snd;
		struct ip	ip;

		sender_identify((const char *)data, len, 7, 1, &snd);
		if (snd.kind == SND_MAILBOX) {
			if (snd.mailbox[0] == '\0')
				abort();
			for (i = 0; snd.mailbox[i]; i++)
				if ((unsigned char)snd.mailbox[i] <= ' ')
					abort();
		}
		if (snd.kind == SND_ADDRESS && ip_parse(&ip, snd.address) != 0)
			abort();
		sender_identify((const char *)data, len, 7, 0, &snd);
		if (snd.kind != SND_USER || snd.uid != 7)
			abort();
	}
	return 0;
}
