/*
 * Fuzz target: DNS answers as rblskip reads them.  The first byte picks
 * the query type ('A' or anything else for TXT) and whether return codes
 * were picked; the rest is the answer packet.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/dnsbl.h"
#include "lib/dnsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dnsbl_src	s;
	struct dnsbl_decision	d;

	if (len < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.kind = DNSBL_BLOCK;
	strlcpy(s.zone, "fuzz.test", sizeof(s.zone));
	if (data[0] & 0x80)
		dnsbl_codes_parse("127.0.0.2,127.0.0.4-11", &s.codes);
	if ((data[0] & 0x7f) == 'A') {
		s.txt_done = 1;
		dnsq_answer_a(&s, 0, data + 1, (int)(len - 1));
	} else {
		s.a = DNSBL_LISTED;
		dnsq_answer_txt(&s, 0, data + 1, (int)(len - 1));
	}
	dnsbl_decide(&s, 1, &d);
	return 0;
}
