/* winfill DIR N: N live keys in DIR's failure windows, one event each. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/window.h"

int
main(int argc, char *argv[])
{
	struct win	w;
	struct win_key	k = { .kind = "u", .limit = WIN_EVENTS };
	char		why[1200], name[32];
	time_t		now = time(NULL);
	long		i, n;

	if (argc != 3 || (n = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: winfill dir n\n");
		return 100;
	}
	if (win_open(&w, argv[1], why, sizeof(why)) < 0) {
		fprintf(stderr, "winfill: %s\n", why);
		return 111;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bench%ld", i);
		k.name = name;
		if (win_take(&w, &k, 1, now, 900, why, sizeof(why)) !=
		    WIN_ADMITTED) {
			fprintf(stderr, "winfill: key %ld: %s\n", i, why);
			return 111;
		}
	}
	printf("%u\n", w.nslots);
	return 0;
}
