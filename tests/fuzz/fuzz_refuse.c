/*
 * Fuzz target: what a refused client sends.  The input is fed in chunks
 * (the first byte sets the chunk size) through the conversation's line
 * handling, as reads from the socket would arrive.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/refuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct refuse_conv	cv;
	char			out[4096], msg[256], text[300];
	size_t			chunk, n, outlen;

	if (len < 1)
		return 0;
	chunk = (size_t)data[0] * 8 + 1;
	data++;
	len--;
	/* the refusal text, as untrusted as the client's lines */
	n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (refuse_message(msg, sizeof(msg), 451, text) == -1)
		return 0;
	refuse_init(&cv, "fuzz.local");
	while (len > 0) {
		n = sizeof(cv.buf) - cv.have;
		if (n > chunk)
			n = chunk;
		if (n > len)
			n = len;
		memcpy(cv.buf + cv.have, data, n);
		cv.have += n;
		data += n;
		len -= n;
		do {
			if (refuse_lines(&cv, msg, out, sizeof(out),
			    &outlen) == 1)
				return 0;
		} while (refuse_pending(&cv));
	}
	return 0;
}
