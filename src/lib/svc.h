/* svc.h: service definitions (services.d) and the chains they make */
#ifndef RG_SVC_H
#define RG_SVC_H

#include <stdio.h>

#define SVC_MAX		32	/* definitions in one directory */
#define SVC_ARGSMAX	16000	/* xinetd drops longer server_args lines */

enum svc_key {
	K_NAME, K_DESCRIPTION, K_PORT, K_BIND, K_USER, K_GROUP,
	K_INSTANCES, K_PER_SOURCE, K_CPS, K_CPS_PAUSE,
	K_RELAY_RULES, K_POP_DIR, K_POP_EXPIRE,
	K_RBL, K_RBL_ALLOW, K_RBL_DNS, K_RBL_DEADLINE, K_LISTED,
	K_AUTH, K_TLS, K_TLS_CERT, K_TLS_KEY,
	K_BACKEND, K_BACKEND_ARGS, K_CHECKPASSWORD, K_CHAIN, K_ENV,
	K_QMAIL_BIN, K_RELAYGATE_BIN, K_LOG_DIR, K_SENDLIMIT, K_REDIS,
	K_COUNT
};

struct svc {
	char		*v[K_COUNT];	/* raw values, NULL when unset */
	char		 file[256];	/* where it came from */
	char		*argv[2048];	/* the composed chain */
	int		 argc;
	char		 words[32768];	/* storage for argv */
	char		 env[4096];	/* env, with QMAILQUEUE for sendlimit */
};

int	 svc_parse(FILE *, const char *, struct svc *, const struct svc *,
	    FILE *);
int	 svc_compose(struct svc *, FILE *);
int	 svc_check_exec(const struct svc *, FILE *);
int	 svc_clash(const struct svc *, int, FILE *);
void	 svc_free(struct svc *);
const char *svc_get(const struct svc *, enum svc_key);
const char *svc_env(const struct svc *);
unsigned int svc_num(const struct svc *, enum svc_key);
int	 svc_load_dir(const char *, struct svc *, int, FILE *);

void	 svc_xinetd(const struct svc *, FILE *);
void	 svc_systemd_socket(const struct svc *, FILE *);
void	 svc_systemd_service(const struct svc *, FILE *);
void	 svc_run(const struct svc *, FILE *);
void	 svc_log_run(const struct svc *, int, FILE *);

#endif
