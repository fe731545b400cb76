/* Address parsing, normalisation, formatting and masking. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "lib/ip.h"

static void
roundtrip(const char *in, int family, const char *out)
{
	struct ip	ip;
	char		buf[IP_FMTLEN];

	assert_int_equal(ip_parse(&ip, in), 0);
	assert_int_equal(ip.family, family);
	ip_fmt(&ip, buf, sizeof(buf));
	assert_string_equal(buf, out);
}

static void
test_ipv4_parses(void **state)
{
	roundtrip("127.0.0.1", AF_INET, "127.0.0.1");
	roundtrip("0.0.0.0", AF_INET, "0.0.0.0");
	roundtrip("255.255.255.255", AF_INET, "255.255.255.255");
}

static void
test_ipv6_parses_and_is_canonical(void **state)
{
	roundtrip("::1", AF_INET6, "::1");
	roundtrip("2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1");
	roundtrip("fe80::", AF_INET6, "fe80::");
}

static void
test_ipv4_mapped_becomes_ipv4(void **state)
{
	roundtrip("::ffff:127.0.0.2", AF_INET, "127.0.0.2");
	roundtrip("::FFFF:7f00:1", AF_INET, "127.0.0.1");
	/* IPv4-compatible (deprecated) is not mapped: stays IPv6 */
	roundtrip("::127.0.0.1", AF_INET6, "::127.0.0.1");
}

static void
test_junk_is_refused(void **state)
{
	static const char *junk[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
		"01.2.3.4", "1.2.3.4/32", "[::1]", "::1%lo", ":::", "1::2::3",
		"localhost", "1.2.3.-1", "../../etc", "0x7f.0.0.1",
	};
	struct ip	ip;
	size_t		i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(ip_parse(&ip, junk[i]), -1);
	assert_int_equal(ip_parse(&ip, NULL), -1);
}

static void
test_sockaddr_v6_mapped_is_v4(void **state)
{
	struct sockaddr_in6	sin6;
	struct ip		ip;
	unsigned int		port = 0;
	char			buf[IP_FMTLEN];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(4321);
	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	sin6.sin6_addr.s6_addr[12] = 10;
	sin6.sin6_addr.s6_addr[15] = 7;
	assert_int_equal(ip_from_sockaddr(&ip, &port,
	    (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(port, 4321);
	ip_fmt(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.7");
}

static void
test_sockaddr_short_is_refused(void **state)
{
	struct sockaddr_in	sin;
	struct ip		ip;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(ip_from_sockaddr(&ip, NULL, (struct sockaddr *)&sin,
	    sizeof(sin) - 1), -1);
	sin.sin_family = AF_UNIX;
	assert_int_equal(ip_from_sockaddr(&ip, NULL, (struct sockaddr *)&sin,
	    sizeof(sin)), -1);
}

static void
masked(const char *in, unsigned int len, const char *out)
{
	struct ip	ip;
	char		buf[IP_FMTLEN];

	assert_int_equal(ip_parse(&ip, in), 0);
	ip_mask(&ip, len);
	ip_fmt(&ip, buf, sizeof(buf));
	assert_string_equal(buf, out);
}

static void
test_mask_every_boundary(void **state)
{
	masked("255.255.255.255", 32, "255.255.255.255");
	masked("255.255.255.255", 31, "255.255.255.254");
	masked("255.255.255.255", 25, "255.255.255.128");
	masked("255.255.255.255", 24, "255.255.255.0");
	masked("255.255.255.255", 9, "255.128.0.0");
	masked("255.255.255.255", 1, "128.0.0.0");
	masked("255.255.255.255", 0, "0.0.0.0");
	masked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	masked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	masked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64,
	    "ffff:ffff:ffff:ffff::");
	masked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::");
	masked("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_parses),
		cmocka_unit_test(test_ipv6_parses_and_is_canonical),
		cmocka_unit_test(test_ipv4_mapped_becomes_ipv4),
		cmocka_unit_test(test_junk_is_refused),
		cmocka_unit_test(test_sockaddr_v6_mapped_is_v4),
		cmocka_unit_test(test_sockaddr_short_is_refused),
		cmocka_unit_test(test_mask_every_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
