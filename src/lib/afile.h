/* afile.h: replace a file atomically */
#ifndef RG_AFILE_H
#define RG_AFILE_H

#include <sys/types.h>
#include <stddef.h>

int	afile_write(const char *, const void *, size_t, mode_t);
int	afile_same(const char *, const void *, size_t);
char	*afile_read(const char *, size_t *);

#endif
