/* Fuzz target: checkpassword data on fd 3, the weak-password rules, and
 * the window arithmetic over any slot contents. */
#include <stddef.h>
#include <stdint.h>

#include "lib/guard.h"
#include "lib/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct guard_creds	c;
	uint32_t		ts[WIN_EVENTS];
	static const unsigned char key[WIN_KEYLEN];

	if (guard_parse((const char *)data, len, &c) == 0) {
		guard_weak(c.user, c.pass, -1);
		win_hash(key, "u", c.user);
	}
	if (len >= sizeof(ts)) {
		__builtin_memcpy(ts, data, sizeof(ts));
		if (win_count(ts, data[0], 1000000, 900) > WIN_EVENTS)
			__builtin_trap();
	}
	return 0;
}
