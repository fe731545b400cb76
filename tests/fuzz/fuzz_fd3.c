/* Fuzz target: checkpassword data on fd 3, and the weak-password rules. */
#include <stddef.h>
#include <stdint.h>

#include "lib/guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct guard_creds	c;
	struct guard_slot	s = { 0 };

	if (guard_parse((const char *)data, len, &c) == 0) {
		guard_weak(c.user, c.pass, -1);
		guard_hash("u", c.user);
	}
	if (len >= sizeof(s)) {
		__builtin_memcpy(&s, data, sizeof(s));
		guard_count(&s, 1000000, 900);
		guard_fail(&s, 1000000, 900);
	}
	return 0;
}
