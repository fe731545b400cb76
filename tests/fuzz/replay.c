/*
 * replay: run a fuzz target over files without libFuzzer, so that every
 * committed corpus and regression input is replayed by make check.
 * Prints one TAP line per file.
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

	printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			printf("not ok %d - %s: cannot open\n", i, argv[i]);
			bad = 1;
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %d - replay %s\n", i, argv[i]);
	}
	return bad;
}
