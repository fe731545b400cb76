/*
 * Fuzz target: what sendlimit parses.  Every line of the input through
 * the limits file's line parser; for each accepted line, its name is
 * canonical (canonicalising it again gives it back, it holds no space or
 * control byte) and has a key.  The whole input as the head of a message
 * from qmail-smtpd: a mailbox found is non-empty and clean, an address is
 * an address, and a local caller is always its uid.  The whole input as
 * an envelope: the recipients counted are its T records up to the empty
 * one, counted here another way, and none when it is not an envelope.
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
	{
		long	 n = sender_rcpts((const char *)data, len), t = 0;
		size_t	 k, start = 0;
		int	 whole = 0;

		/* records: F first, then T, until an empty one, before the end */
		for (k = 0; k < len; k++) {
			if (data[k] != '\0')
				continue;
			if (k == start) {
				whole = start > 0;
				break;
			}
			if (data[start] != (start == 0 ? 'F' : 'T'))
				break;
			if (start > 0)
				t++;
			start = k + 1;
		}
		if (whole ? n != t : n != -1)
			abort();
	}
	{
		size_t	k;
		int	done = 0;

		for (k = 0; k + 1 < len && !done; k++)
			done = data[k] == '\n' && data[k + 1] != ' ' &&
			    data[k + 1] != '\t';
		if (sender_head_done((const char *)data, len, 0) != done)
			abort();
	}
	return 0;
}
