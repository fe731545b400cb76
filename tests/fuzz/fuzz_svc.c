/* Fuzz target: a services.d definition, composed and written out. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct svc	s;
	FILE			*in, *out;

	if (len == 0 || (in = fmemopen((void *)(uintptr_t)data, len, "r")) ==
	    NULL)
		return 0;
	out = fopen("/dev/null", "w");
	if (svc_parse(in, "fuzz", &s, NULL, out) == 0 &&
	    svc_compose(&s, out) == 0) {
		svc_xinetd(&s, out);
		svc_systemd_socket(&s, out);
		svc_systemd_service(&s, out);
		svc_run(&s, out);
		svc_log_run(&s, 1, out);
	}
	svc_free(&s);
	fclose(in);
	fclose(out);
	return 0;
}
