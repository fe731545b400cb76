/*
 * lookup: nanoseconds per rules_find() on a compiled database, over a
 * fixed pseudo-random sequence of IPv4 clients.
 *
 *   lookup rules.cdb N
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/rules.h"

int
main(int argc, char *argv[])
{
	struct rules_db		db;
	struct rules_match	m;
	struct ip		ip;
	struct timespec		a, b;
	unsigned long		n, i, hits = 0;
	uint32_t		x = 2463534242u;

	if (argc != 3)
		errx(100, "usage: lookup rules.cdb N");
	n = strtoul(argv[2], NULL, 10);
	if (rules_open(&db, argv[1]) == -1)
		err(111, "%s", argv[1]);
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(ip.a, &x, 4);
		if (rules_find(&db, &ip, &m) < 0)
			errx(111, "corrupt");
		hits += m.len > 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a.tv_nsec)) / (double)n);
	fprintf(stderr, "lookup: %lu of %lu matched a rule longer than /0\n",
	    hits, n);
	return 0;
}
