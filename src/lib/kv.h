/* kv.h: "key = value" lines, as services.d and authguard.conf hold them */
#ifndef RG_KV_H
#define RG_KV_H

char	*kv_trim(char *);
int	 kv_split(char *, char **, char **);

#endif
