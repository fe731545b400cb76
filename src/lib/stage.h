/* stage.h: the options, usage and exec every chain stage shares */
#ifndef RG_STAGE_H
#define RG_STAGE_H

void		stage_logopt(const char *, const char *);
long long	stage_number(const char *, const char *, long long, long long);
void		stage_exec(char **) __attribute__((noreturn));
void		stage_usage(const char *) __attribute__((noreturn));

#endif
