/*
 * Fuzz target: queue files and Received headers.  The input is written
 * as the message file (and, after a NUL, the info file) of a one-message
 * queue, which is then read as qtriage reads it.
 */
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
one(struct queue *q, struct qmsg *m, void *arg)
{
	queue_headers(q, m);
	return 0;
}

static void
put(const char *path, const void *d, size_t n)
{
	FILE	*f = fopen(path, "w");

	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

static char	dir[64];

static void
cleanup(void)
{
	static const char *p[] = { "mess/0/7", "info/0/7", "mess/0", "info/0",
	    "mess", "info", "", NULL };
	char	path[256];
	int	i;

	for (i = 0; p[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, p[i]);
		if (remove(path) == -1 && i < 2)
			continue;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct queue	q;
	struct qmsg	m;
	char		path[256];
	const uint8_t	*nul = memchr(data, 0, len);
	size_t		mlen = nul ? (size_t)(nul - data) : len;
	FILE		*devnull;

	memset(&m, 0, sizeof(m));
	queue_received((const char *)data, len, &m);
	if (dir[0] == '\0') {
		strcpy(dir, "/tmp/fuzzqueue.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 0;
		atexit(cleanup);
		snprintf(path, sizeof(path), "%s/mess", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/mess/0", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/info", dir);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/info/0", dir);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/mess/0/7", dir);
	put(path, data, mlen);
	snprintf(path, sizeof(path), "%s/info/0/7", dir);
	put(path, nul ? nul + 1 : (const uint8_t *)"Fx", nul ? len - mlen - 1 : 3);
	devnull = fopen("/dev/null", "w");
	if (queue_open(&q, dir, devnull) == 0) {
		queue_scan(&q, one, NULL);
		queue_close(&q);
	}
	if (devnull)
		fclose(devnull);
	return 0;
}
