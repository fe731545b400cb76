/* Fuzz target: relay rules text (both syntaxes) and cdb values. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct rule	r;
	char			err[256];
	FILE			*in, *diag;
	char			path[] = "/tmp/fuzzrules.XXXXXX";
	int			fd;

	rules_parse((const char *)data, len, &r, err, sizeof(err));
	rules_data_valid((const char *)data, len);
	/* the whole input as a rules file, compiled and read back */
	if ((fd = mkstemp(path)) == -1)
		return 0;
	in = fmemopen((void *)(uintptr_t)data, len ? len : 1, "r");
	diag = fopen("/dev/null", "w");
	if (in && diag && len && rules_compile(in, "fuzz", fd, diag) == 0) {
		struct rules_db		db;
		struct rules_match	m;
		struct ip		ip;

		close(fd);
		fd = -1;
		if (rules_open(&db, path) == 0) {
			ip_parse(&ip, "192.0.2.1");
			rules_find(&db, &ip, &m);
			ip_parse(&ip, "2001:db8::1");
			rules_find(&db, &ip, &m);
			rules_close(&db);
		}
		rules_dump(path, diag);
	}
	if (in)
		fclose(in);
	if (diag)
		fclose(diag);
	if (fd != -1)
		close(fd);
	unlink(path);
	return 0;
}
