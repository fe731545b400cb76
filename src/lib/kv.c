/*
 * kv.c: one way to read "key = value" lines, so that every file of ours
 * takes the same spaces, comments and line ends.
 */
#include <string.h>

#include "kv.h"

/* s without the blanks and line ends around it (in place). */
char *
kv_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Split a line into a trimmed key and value: 1, or 0 for a blank line or
 * a comment, -1 for a line without '='.
 */
int
kv_split(char *line, char **k, char **v)
{
	char	*eq;

	*k = kv_trim(line);
	if (**k == '\0' || **k == '#')
		return 0;
	if ((eq = strchr(*k, '=')) == NULL)
		return -1;
	*eq = '\0';
	*k = kv_trim(*k);
	*v = kv_trim(eq + 1);
	return 1;
}
