/*
 * svc.c: services.d definitions.  One file per service, "key = value"
 * lines; a file named "defaults" gives values every service inherits.
 * The chain is composed here, in the one right order:
 *
 *	relaygate -> rblskip -> authfirst -> backend [checkpassword ...]
 *
 * so that no definition can put, say, the RBL check before the relay
 * rules.  "chain" gives a raw command line instead.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv.h"
#include "svc.h"

enum kind { WORD, PATH, NUM, WORDS, TEXT, CHOICE };

static const struct {
	const char	*name;
	enum kind	 kind;
	const char	*choices;	/* "a|b|c" for CHOICE */
	int		 inherit;	/* may come from "defaults" */
} keys[K_COUNT] = {
	[K_NAME] = { "name", WORD, NULL, 0 },
	[K_DESCRIPTION] = { "description", TEXT, NULL, 0 },
	[K_PORT] = { "port", NUM, NULL, 0 },
	[K_BIND] = { "bind", WORD, NULL, 1 },
	[K_USER] = { "user", WORD, NULL, 1 },
	[K_GROUP] = { "group", WORD, NULL, 1 },
	[K_INSTANCES] = { "instances", NUM, NULL, 1 },
	[K_PER_SOURCE] = { "per_source", NUM, NULL, 1 },
	[K_CPS] = { "cps", NUM, NULL, 1 },
	[K_CPS_PAUSE] = { "cps_pause", NUM, NULL, 1 },
	[K_RELAY_RULES] = { "relay_rules", PATH, NULL, 1 },
	[K_POP_DIR] = { "pop_dir", PATH, NULL, 1 },
	[K_POP_EXPIRE] = { "pop_expire", NUM, NULL, 1 },
	[K_RBL] = { "rbl", WORDS, NULL, 1 },
	[K_RBL_ALLOW] = { "rbl_allow", WORDS, NULL, 1 },
	[K_RBL_DNS] = { "rbl_dns", WORDS, NULL, 1 },
	[K_RBL_DEADLINE] = { "rbl_deadline", NUM, NULL, 1 },
	[K_LISTED] = { "listed", CHOICE, "refuse|auth", 1 },
	[K_AUTH] = { "auth", CHOICE, "optional|required", 1 },
	[K_TLS] = { "tls", CHOICE, "none|starttls|implicit", 1 },
	[K_TLS_CERT] = { "tls_cert", PATH, NULL, 1 },
	[K_TLS_KEY] = { "tls_key", PATH, NULL, 1 },
	[K_BACKEND] = { "backend", PATH, NULL, 1 },
	[K_BACKEND_ARGS] = { "backend_args", WORDS, NULL, 1 },
	[K_CHECKPASSWORD] = { "checkpassword", WORDS, NULL, 1 },
	[K_CHAIN] = { "chain", WORDS, NULL, 0 },
	[K_ENV] = { "env", WORDS, NULL, 1 },
	[K_QMAIL_BIN] = { "qmail_bin", PATH, NULL, 1 },
	[K_RELAYGATE_BIN] = { "relaygate_bin", PATH, NULL, 1 },
	[K_LOG_DIR] = { "log_dir", PATH, NULL, 1 },
	[K_SENDLIMIT] = { "sendlimit", CHOICE, "no|yes", 1 },
	[K_REDIS] = { "redis", WORD, NULL, 1 },
};

static const char *defaults[K_COUNT] = {
	[K_USER] = "root",
	[K_INSTANCES] = "100",
	[K_PER_SOURCE] = "20",
	[K_CPS] = "100",
	[K_CPS_PAUSE] = "10",
	[K_LISTED] = "refuse",
	[K_AUTH] = "optional",
	[K_TLS] = "none",
	[K_QMAIL_BIN] = "/var/qmail/bin",	/* Plesk's layout */
	[K_SENDLIMIT] = "no",
};

const char *
svc_get(const struct svc *s, enum svc_key k)
{
	if (s->v[k] != NULL)
		return s->v[k];
	if (k == K_RELAYGATE_BIN)
		return svc_get(s, K_QMAIL_BIN);
	return defaults[k];
}

/* The chain's environment: env's words, and QMAILQUEUE naming sendlimit
 * when the service has it; NULL when none.  Set by svc_compose. */
const char *
svc_env(const struct svc *s)
{
	return s->env[0] != '\0' ? s->env : NULL;
}

unsigned int
svc_num(const struct svc *s, enum svc_key k)
{
	const char	*v = svc_get(s, k);

	return v ? (unsigned int)strtoul(v, NULL, 10) : 0;
}

void
svc_free(struct svc *s)
{
	int	i;

	for (i = 0; i < K_COUNT; i++)
		free(s->v[i]);
	memset(s, 0, sizeof(*s));
}

static int
value_check(enum svc_key k, const char *v, char *err, size_t n)
{
	const char	*c, *p;
	size_t		 len;
	char		*end;
	unsigned long	 num;

	for (c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err, n, "%s: control character in value",
			    keys[k].name);
			return -1;
		}
	switch (keys[k].kind) {
	case TEXT:
	case WORDS:
		return 0;
	case WORD:
	case PATH:
		if (strpbrk(v, " \t") != NULL) {
			snprintf(err, n, "%s: \"%s\" contains white space, "
			    "which xinetd cannot quote", keys[k].name, v);
			return -1;
		}
		if (keys[k].kind == PATH && v[0] != '/') {
			snprintf(err, n, "%s: \"%s\" is not an absolute path",
			    keys[k].name, v);
			return -1;
		}
		if (k == K_NAME) {
			for (c = v; *c; c++)
				if (!(islower((unsigned char)*c) ||
				    isdigit((unsigned char)*c) || *c == '-'))
					break;
			if (*c || v[0] == '-' || strlen(v) > 32) {
				snprintf(err, n, "name: \"%s\": use a-z, 0-9 "
				    "and '-', at most 32 (xinetd skips file "
				    "names with a dot)", v);
				return -1;
			}
		}
		return 0;
	case NUM:
		errno = 0;
		num = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno ||
		    num == 0 || num > (k == K_PORT ? 65535 : 1000000)) {
			snprintf(err, n, "%s: \"%s\" is not a number from 1 to "
			    "%u", keys[k].name, v, k == K_PORT ? 65535 : 1000000);
			return -1;
		}
		return 0;
	case CHOICE:
		len = strlen(v);
		for (p = keys[k].choices; p != NULL;
		    p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
			if (strncmp(p, v, len) == 0 &&
			    (p[len] == '|' || p[len] == '\0') && len > 0)
				return 0;
		snprintf(err, n, "%s: \"%s\" is not one of %s", keys[k].name, v,
		    keys[k].choices);
		return -1;
	}
	return 0;
}

/*
 * Read one definition.  base (may be NULL) supplies inherited values.
 * Errors go to diag as "file:line: ..."; returns the number of errors.
 */
int
svc_parse(FILE *in, const char *file, struct svc *s, const struct svc *base,
    FILE *diag)
{
	char		*line = NULL, *k, *v, err[512];
	const char	*slash;
	size_t		 cap = 0;
	unsigned long	 lineno = 0;
	int		 i, bad = 0;

	memset(s, 0, sizeof(*s));
	strlcpy(s->file, file, sizeof(s->file));
	while (getline(&line, &cap, in) != -1) {
		lineno++;
		if ((i = kv_split(line, &k, &v)) == 0)
			continue;
		if (i == -1) {
			fprintf(diag, "%s:%lu: expected \"key = value\"\n",
			    file, lineno);
			bad++;
			continue;
		}
		for (i = 0; i < K_COUNT; i++)
			if (strcmp(keys[i].name, k) == 0)
				break;
		if (i == K_COUNT) {
			fprintf(diag, "%s:%lu: unknown key \"%.64s\"\n", file,
			    lineno, k);
			bad++;
			continue;
		}
		if (s->v[i] != NULL) {
			fprintf(diag, "%s:%lu: %s given twice\n", file, lineno,
			    k);
			bad++;
			continue;
		}
		if (value_check((enum svc_key)i, v, err, sizeof(err)) == -1) {
			fprintf(diag, "%s:%lu: %s\n", file, lineno, err);
			bad++;
			continue;
		}
		if ((s->v[i] = strdup(v)) == NULL) {
			free(line);
			return bad + 1;
		}
	}
	free(line);
	if (base != NULL)
		for (i = 0; i < K_COUNT; i++)
			if (s->v[i] == NULL && base->v[i] != NULL &&
			    keys[i].inherit)
				s->v[i] = strdup(base->v[i]);
	if (s->v[K_NAME] == NULL) {
		slash = strrchr(file, '/');
		s->v[K_NAME] = strdup(slash ? slash + 1 : file);
		if (value_check(K_NAME, s->v[K_NAME], err, sizeof(err)) == -1) {
			fprintf(diag, "%s: %s\n", file, err);
			bad++;
		}
	}
	return bad;
}

static int
push(struct svc *s, size_t *off, const char *a, const char *b)
{
	int	n;

	if (s->argc + 1 >= (int)(sizeof(s->argv) / sizeof(s->argv[0])))
		return -1;
	n = snprintf(s->words + *off, sizeof(s->words) - *off, "%s%s",
	    a, b ? b : "");
	if (n < 0 || (size_t)n >= sizeof(s->words) - *off)
		return -1;
	s->argv[s->argc++] = s->words + *off;
	s->argv[s->argc] = NULL;
	*off += (size_t)n + 1;
	return 0;
}

/* Programs of ours that may stand among the checkpassword words. */
static const char *const ours[] = { "authguard", "poplock", NULL };

/*
 * Push each word of a WORDS value, optionally after a flag.  With dir, a
 * bare program name is taken from dir (relaygate's own from rgdir).
 */
static int
push_words_in(struct svc *s, size_t *off, const char *flag, const char *v,
    const char *dir, const char *rgdir)
{
	char	*buf, *w, *save = NULL;
	int	 rc = 0;

	if (v == NULL)
		return 0;
	if ((buf = strdup(v)) == NULL)
		return -1;
	for (w = strtok_r(buf, " \t", &save); w && rc == 0;
	    w = strtok_r(NULL, " \t", &save)) {
		if (flag && push(s, off, flag, NULL) == -1) {
			rc = -1;
			break;
		}
		if (dir && w[0] != '/' && w[0] != '-') {
			char	path[1024];
			int	k;

			for (k = 0; ours[k] && strcmp(ours[k], w) != 0; k++)
				;
			snprintf(path, sizeof(path), "%s/",
			    ours[k] ? rgdir : dir);
			rc = push(s, off, path, w);
		} else
			rc = push(s, off, w, NULL);
	}
	free(buf);
	return rc;
}

static int
push_words(struct svc *s, size_t *off, const char *flag, const char *v,
    const char *dir)
{
	return push_words_in(s, off, flag, v, dir, dir);
}

static int
has(const struct svc *s, enum svc_key k, const char *v)
{
	return strcmp(svc_get(s, k), v) == 0;
}

/* Build s->argv from the definition; errors to diag, returns count. */
int
svc_compose(struct svc *s, FILE *diag)
{
	const char	*rg = svc_get(s, K_RELAYGATE_BIN);
	const char	*qb = svc_get(s, K_QMAIL_BIN);
	size_t		 off = 0, total = 0;
	int		 i, bad = 0, gated, rc = 0;
	char		 path[1024];

	s->argc = 0;
	s->env[0] = '\0';
	if (has(s, K_SENDLIMIT, "yes")) {
		/* qmail-smtpd runs what QMAILQUEUE names as qmail-queue */
		if (svc_get(s, K_ENV) != NULL &&
		    strstr(svc_get(s, K_ENV), "QMAILQUEUE=") != NULL) {
			fprintf(diag, "%s: sendlimit = yes and QMAILQUEUE in env: "
			    "one queue program\n", s->file);
			bad++;
		}
		snprintf(s->env, sizeof(s->env), "QMAILQUEUE=%s/sendlimit%s%s",
		    rg, svc_get(s, K_ENV) ? " " : "", svc_get(s, K_ENV) ?
		    svc_get(s, K_ENV) : "");
	} else if (svc_get(s, K_ENV) != NULL)
		strlcpy(s->env, svc_get(s, K_ENV), sizeof(s->env));
	if (svc_get(s, K_REDIS) != NULL) {
		/* the shared counts for authguard and sendlimit alike; a
		 * password belongs in their settings files, not here */
		size_t	e = strlen(s->env);

		snprintf(s->env + e, sizeof(s->env) - e,
		    "%sAUTHGUARD_REDIS=%s SENDLIMIT_REDIS=%s", e ? " " : "",
		    svc_get(s, K_REDIS), svc_get(s, K_REDIS));
	}
	if (s->v[K_PORT] == NULL) {
		fprintf(diag, "%s: port is missing\n", s->file);
		bad++;
	}
	if (has(s, K_LISTED, "auth") && s->v[K_RBL] == NULL) {
		fprintf(diag, "%s: listed = auth needs rbl zones\n", s->file);
		bad++;
	}
	if (!has(s, K_TLS, "none") && (s->v[K_TLS_CERT] == NULL ||
	    s->v[K_TLS_KEY] == NULL)) {
		fprintf(diag, "%s: tls = %s needs tls_cert and tls_key\n",
		    s->file, svc_get(s, K_TLS));
		bad++;
	}
	gated = has(s, K_LISTED, "auth") || has(s, K_AUTH, "required") ||
	    !has(s, K_TLS, "none");
	if (gated && s->v[K_CHECKPASSWORD] == NULL && s->v[K_CHAIN] == NULL) {
		fprintf(diag, "%s: AUTH is needed (listed = auth, auth = "
		    "required or tls) but checkpassword is missing\n", s->file);
		bad++;
	}
	if (s->v[K_CHAIN] != NULL) {
		for (i = K_RELAY_RULES; i <= K_CHECKPASSWORD; i++)
			if (s->v[i] != NULL && i != K_LISTED && i != K_AUTH &&
			    i != K_TLS && keys[i].inherit == 1 &&
			    i != K_RBL_DNS) {
				fprintf(diag, "%s: chain replaces %s: give one "
				    "or the other\n", s->file, keys[i].name);
				bad++;
			}
		rc |= push_words(s, &off, NULL, s->v[K_CHAIN], NULL);
	} else {
		snprintf(path, sizeof(path), "%s/relaygate", rg);
		rc |= push(s, &off, path, NULL);
		if (s->v[K_RELAY_RULES])
			rc |= push_words(s, &off, "-x", s->v[K_RELAY_RULES],
			    NULL);
		if (s->v[K_POP_DIR])
			rc |= push_words(s, &off, "-p", s->v[K_POP_DIR], NULL);
		if (s->v[K_POP_EXPIRE])
			rc |= push_words(s, &off, "-e", s->v[K_POP_EXPIRE],
			    NULL);
		if (s->v[K_RBL] || s->v[K_RBL_ALLOW]) {
			snprintf(path, sizeof(path), "%s/rblskip", rg);
			rc |= push(s, &off, path, NULL);
			if (has(s, K_LISTED, "auth"))
				rc |= push(s, &off, "-D", NULL);
			rc |= push_words(s, &off, "-n", s->v[K_RBL_DNS], NULL);
			if (s->v[K_RBL_DEADLINE])
				rc |= push_words(s, &off, "-T",
				    s->v[K_RBL_DEADLINE], NULL);
			rc |= push_words(s, &off, "-a", s->v[K_RBL_ALLOW], NULL);
			rc |= push_words(s, &off, "-r", s->v[K_RBL], NULL);
		}
		if (gated) {
			snprintf(path, sizeof(path), "%s/authfirst", rg);
			rc |= push(s, &off, path, NULL);
			if (has(s, K_AUTH, "required"))
				rc |= push_words(s, &off, "-m", "always", NULL);
			if (!has(s, K_TLS, "none")) {
				rc |= push_words(s, &off, "-c",
				    s->v[K_TLS_CERT], NULL);
				rc |= push_words(s, &off, "-k",
				    s->v[K_TLS_KEY], NULL);
			}
			if (has(s, K_TLS, "implicit"))
				rc |= push(s, &off, "-s", NULL);
		}
		if (s->v[K_BACKEND])
			rc |= push(s, &off, s->v[K_BACKEND], NULL);
		else {
			snprintf(path, sizeof(path), "%s/qmail-smtpd", qb);
			rc |= push(s, &off, path, NULL);
		}
		rc |= push_words(s, &off, NULL, s->v[K_BACKEND_ARGS], NULL);
		rc |= push_words_in(s, &off, NULL, s->v[K_CHECKPASSWORD], qb,
		    rg);
	}
	if (rc) {
		fprintf(diag, "%s: the chain is too long\n", s->file);
		return bad + 1;
	}
	if (s->argc == 0) {
		fprintf(diag, "%s: chain is empty\n", s->file);
		bad++;
	}
	for (i = 1; i < s->argc; i++)
		total += strlen(s->argv[i]) + 1;
	if (total > SVC_ARGSMAX) {
		fprintf(diag, "%s: server_args would be %zu bytes; xinetd "
		    "drops a service whose server_args exceed about 16 KB\n",
		    s->file, total);
		bad++;
	}
	return bad;
}

/* Every absolute program the chain runs must exist and be executable. */
int
svc_check_exec(const struct svc *s, FILE *diag)
{
	int	i, bad = 0, prev_flag = 0;

	for (i = 0; i < s->argc; i++) {
		const char *a = s->argv[i];

		if (a[0] == '-') {
			prev_flag = a[1] != '\0' && strchr("xpeTnarmck", a[1])
			    && a[2] == '\0';
			continue;
		}
		if (prev_flag) {	/* an option's value, not a program */
			prev_flag = 0;
			continue;
		}
		if (a[0] == '/' && access(a, X_OK) == -1) {
			fprintf(diag, "%s: %s: %s\n", s->file, a,
			    strerror(errno));
			bad++;
		}
	}
	if (has(s, K_SENDLIMIT, "yes")) {
		char	path[1024];

		snprintf(path, sizeof(path), "%s/sendlimit",
		    svc_get(s, K_RELAYGATE_BIN));
		if (access(path, X_OK) == -1) {
			fprintf(diag, "%s: %s: %s\n", s->file, path,
			    strerror(errno));
			bad++;
		}
	}
	return bad;
}

/* Two services with one name, or one port on the same address. */
int
svc_clash(const struct svc *s, int n, FILE *diag)
{
	int	i, j, bad = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (strcmp(svc_get(&s[i], K_NAME),
			    svc_get(&s[j], K_NAME)) == 0) {
				fprintf(diag, "%s: name %s is also %s's\n",
				    s[j].file, svc_get(&s[j], K_NAME),
				    s[i].file);
				bad++;
			}
			if (svc_num(&s[i], K_PORT) == svc_num(&s[j], K_PORT) &&
			    (s[i].v[K_BIND] == NULL || s[j].v[K_BIND] == NULL ||
			    strcmp(s[i].v[K_BIND], s[j].v[K_BIND]) == 0)) {
				fprintf(diag, "%s: port %u is also %s's\n",
				    s[j].file, svc_num(&s[j], K_PORT),
				    s[i].file);
				bad++;
			}
		}
	return bad;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Load every definition in dir (files whose names hold no dot; "defaults"
 * first, as the base).  Returns the number loaded, or -1 after errors.
 */
int
svc_load_dir(const char *dir, struct svc *out, int max, FILE *diag)
{
	DIR		*d;
	struct dirent	*de;
	struct svc	 base;
	char		*names[SVC_MAX * 2], path[1024];
	FILE		*f;
	int		 n = 0, nn = 0, i, bad = 0, havebase = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(diag, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		/* like xinetd's includedir: skip dotted names, backups */
		if (strchr(de->d_name, '.') || strchr(de->d_name, '~') ||
		    strcmp(de->d_name, "README") == 0)
			continue;
		if (nn == (int)(sizeof(names) / sizeof(names[0])))
			break;
		names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)nn, sizeof(names[0]), namecmp);
	memset(&base, 0, sizeof(base));
	for (i = 0; i < nn; i++) {
		if (strcmp(names[i], "defaults") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((f = fopen(path, "r")) == NULL) {
			fprintf(diag, "%s: %s\n", path, strerror(errno));
			bad++;
			continue;
		}
		bad += svc_parse(f, path, &base, NULL, diag);
		fclose(f);
		havebase = 1;
	}
	for (i = 0; i < nn; i++) {
		if (strcmp(names[i], "defaults") == 0)
			continue;
		if (n == max) {
			fprintf(diag, "%s: more than %d services\n", dir, max);
			bad++;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((f = fopen(path, "r")) == NULL) {
			fprintf(diag, "%s: %s\n", path, strerror(errno));
			bad++;
			continue;
		}
		bad += svc_parse(f, path, &out[n], havebase ? &base : NULL,
		    diag);
		fclose(f);
		bad += svc_compose(&out[n], diag);
		n++;
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	svc_free(&base);
	bad += svc_clash(out, n, diag);
	if (bad) {
		for (i = 0; i < n; i++)
			svc_free(&out[i]);
		return -1;
	}
	return n;
}
