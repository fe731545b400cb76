/*
 * replay: run a fuzz target over files without libFuzzer, so that every
 * committed corpus and regression input is replayed by make check.
 * Prints one TAP line for them all (a crash ends the run early, which
 * the test runner counts as a failure).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	static uint8_t	buf[1 << 20];
	FILE		*f;
	size_t		 n;
	int		 i, bad = 0;

	printf("1..1\n");
	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			printf("# %s: cannot open\n", argv[i]);
			bad++;
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%s 1 - replayed %d inputs\n", bad ? "not ok" : "ok", argc - 1);
	return bad != 0;
}
