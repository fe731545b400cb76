/*
 * relaygate-gen: services.d definitions to xinetd files, systemd units,
 * daemontools/runit run directories and /etc/services lines; and the
 * Plesk how-to's alternative port, derived from an existing xinetd file.
 * Everything is generated and checked before anything is written.
 */
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/afile.h"
#include "lib/etcsvc.h"
#include "lib/svc.h"
#include "lib/xinetdf.h"

#define USAGE \
"usage: relaygate-gen [-c] [-d services.d] xinetd|systemd|daemontools|runit dir\n" \
"       relaygate-gen [-d services.d] services [-s | -u] [-o out] file\n" \
"       relaygate-gen [-c] [-d services.d] check | chain name\n" \
"       relaygate-gen derive -n name -p port [-u] [-D [-S smtpd]] [-b bindir]\n" \
"                            [-f services] file"

struct out {
	char	path[1024];
	char	*data;
	size_t	 len;
	mode_t	 mode;
};

static struct svc	svcs[SVC_MAX];
static int		nsvc;

static void
usage(void)
{
	fprintf(stderr, "%s\n", USAGE);
	exit(100);
}

static void
load(const char *dir, int check)
{
	int	i, bad = 0;

	if ((nsvc = svc_load_dir(dir, svcs, SVC_MAX, stderr)) == -1)
		errx(100, "fatal: %s: bad definitions: nothing written", dir);
	if (check)
		for (i = 0; i < nsvc; i++)
			bad += svc_check_exec(&svcs[i], stderr);
	if (bad)
		errx(100, "fatal: %s: programs missing: nothing written", dir);
}

static struct out *
add(struct out *o, int *n, const char *dir, const char *name, mode_t mode,
    void (*fn)(const struct svc *, FILE *), const struct svc *s)
{
	FILE	*f;

	snprintf(o[*n].path, sizeof(o[*n].path), "%s/%s", dir, name);
	if ((f = open_memstream(&o[*n].data, &o[*n].len)) == NULL)
		err(111, "fatal: out of memory");
	fn(s, f);
	fclose(f);
	o[*n].mode = mode;
	return &o[(*n)++];
}

static void
log_daemontools(const struct svc *s, FILE *f)
{
	svc_log_run(s, 0, f);
}

static void
log_runit(const struct svc *s, FILE *f)
{
	svc_log_run(s, 1, f);
}

static int
mkdirs(const char *path)
{
	char	buf[1024], *p;

	strlcpy(buf, path, sizeof(buf));
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return 0;
}

static int
generate(const char *fmt, const char *dir)
{
	struct out	*o;
	char		 name[256];
	int		 i, n = 0, changed = 0;

	if ((o = calloc((size_t)nsvc * 3, sizeof(*o))) == NULL)
		err(111, "fatal: out of memory");
	for (i = 0; i < nsvc; i++) {
		const char *nm = svc_get(&svcs[i], K_NAME);

		if (strcmp(fmt, "xinetd") == 0)
			add(o, &n, dir, nm, 0644, svc_xinetd, &svcs[i]);
		else if (strcmp(fmt, "systemd") == 0) {
			snprintf(name, sizeof(name), "%s.socket", nm);
			add(o, &n, dir, name, 0644, svc_systemd_socket,
			    &svcs[i]);
			snprintf(name, sizeof(name), "%s@.service", nm);
			add(o, &n, dir, name, 0644, svc_systemd_service,
			    &svcs[i]);
		} else if (strcmp(fmt, "daemontools") == 0 ||
		    strcmp(fmt, "runit") == 0) {
			snprintf(name, sizeof(name), "%s/run", nm);
			add(o, &n, dir, name, 0755, svc_run, &svcs[i]);
			snprintf(name, sizeof(name), "%s/log/run", nm);
			add(o, &n, dir, name, 0755, fmt[0] == 'r' ?
			    log_runit : log_daemontools, &svcs[i]);
		} else
			usage();
	}
	/* only now, with every file made, touch the disk */
	for (i = 0; i < n; i++) {
		if (afile_same(o[i].path, o[i].data, o[i].len))
			continue;
		if (mkdirs(o[i].path) == -1 ||
		    afile_write(o[i].path, o[i].data, o[i].len, o[i].mode) == -1)
			err(111, "fatal: unable to write %s", o[i].path);
		printf("wrote %s\n", o[i].path);
		changed++;
	}
	for (i = 0; i < n; i++)
		free(o[i].data);
	free(o);
	if (changed == 0)
		printf("%s: up to date\n", dir);
	return 0;
}

static int
services(int argc, char *argv[])
{
	struct etcsvc_want	 want[SVC_MAX];
	const char		*outpath = NULL, *file;
	char			*in, *res = NULL, backup[1024];
	size_t			 len, rlen = 0;
	FILE			*f;
	int			 ch, unmerge = 0, share = 0, i, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "o:su")) != -1) {
		if (ch == 'o')
			outpath = optarg;
		else if (ch == 's')
			share = 1;
		else if (ch == 'u')
			unmerge = 1;
		else
			usage();
	}
	if (argc - optind != 1)
		usage();
	file = argv[optind];
	if ((in = afile_read(file, &len)) == NULL)
		err(111, "fatal: unable to read %s", file);
	if ((f = open_memstream(&res, &rlen)) == NULL)
		err(111, "fatal: out of memory");
	if (unmerge)
		rc = etcsvc_unmerge(in, len, f) > 0 ? 0 : 1;
	else {
		for (i = 0; i < nsvc; i++) {
			want[i].name = svc_get(&svcs[i], K_NAME);
			want[i].port = svc_num(&svcs[i], K_PORT);
		}
		rc = etcsvc_merge(in, len, want, nsvc, share, f, file, stderr);
	}
	fclose(f);
	if (rc == -1) {
		free(in);
		free(res);
		errx(100, "fatal: %s left unchanged: give the service another "
		    "port in its definition, or run services -s to add its "
		    "name as a second name for a port another name holds",
		    file);
	}
	if (rc == 1 || (outpath != NULL && strcmp(outpath, "-") == 0)) {
		if (outpath != NULL && strcmp(outpath, "-") == 0)
			fwrite(rc == 1 ? in : res, 1, rc == 1 ? len : rlen,
			    stdout);
		else
			printf("%s: up to date\n", file);
		free(in);
		free(res);
		return 0;
	}
	if (outpath == NULL) {
		/* the admin's original, kept once, before the first change */
		snprintf(backup, sizeof(backup), "%s.relaygate-orig", file);
		if (!unmerge && access(backup, F_OK) == -1 &&
		    afile_write(backup, in, len, 0644) == -1) {
			int saved = errno;

			free(in);
			free(res);
			errno = saved;
			err(111, "fatal: unable to back %s up", file);
		}
		outpath = file;
	}
	if (afile_write(outpath, res, rlen, 0644) == -1) {
		int saved = errno;

		free(in);
		free(res);
		errno = saved;
		err(111, "fatal: unable to write %s: %s left unchanged", outpath,
		    file);
	}
	printf("%s: %s\n", outpath, unmerge ? "relaygate lines removed" :
	    "relaygate lines added");
	free(in);
	free(res);
	return 0;
}

/* A program the derived file runs must be there, or every client is cut. */
static void
bin_check(const char *dir, const char *prog)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	if (access(path, X_OK) == -1)
		errx(100, "fatal: %s: %s: the derived file would run it: "
		    "install relaygate first, or name its directory with -b",
		    path, strerror(errno));
}

/*
 * Without -u, xinetd finds the port by the service's name in
 * /etc/services: a name at another port would serve the wrong port, and a
 * port that another name holds (1025 is blackjack on CentOS and RHEL)
 * needs our name as a second line for it.
 */
static void
services_check(const char *file, const char *name, unsigned int port)
{
	char		*in, other[64];
	size_t		 len;
	unsigned int	 oport = 0;
	unsigned long	 line = 0;
	int		 rc;

	if ((in = afile_read(file, &len)) == NULL) {
		if (errno == ENOENT)
			return;
		err(111, "fatal: unable to read %s", file);
	}
	rc = etcsvc_lookup(in, len, name, port, other, sizeof(other), &oport,
	    &line);
	free(in);
	if (rc == ETCSVC_NAMETAKEN)
		errx(100, "fatal: %s:%lu: %s is port %u/tcp there, so xinetd "
		    "would serve it on %u, not %u: choose another name (-n), "
		    "or use -u (UNLISTED, with its port)", file, line, name,
		    oport, oport, port);
	if (rc == ETCSVC_PORTTAKEN)
		fprintf(stderr, "relaygate-gen: note: %s:%lu: port %u/tcp is "
		    "%s there: add %s as a second name for it (relaygate-gen "
		    "services -s does), choose another port (-p), or use -u\n",
		    file, line, port, other, name);
}

static int
derive(int argc, char *argv[])
{
	struct derive_opt	 o = { NULL, 0, 0, 0, NULL, NULL };
	const char		*errstr, *etcservices = "/etc/services";
	char			*in, self[PATH_MAX], *slash;
	size_t			 len;
	int			 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "b:Df:n:p:S:u")) != -1) {
		switch (ch) {
		case 'f':
			etcservices = optarg;
			break;
		case 'S':
			if (strpbrk(optarg, "/ \t") != NULL || optarg[0] == '\0')
				errx(100, "fatal: -S %s: a program's name, not "
				    "a path", optarg);
			o.smtpd = optarg;
			break;
		case 'b':
			o.bindir = optarg;
			break;
		case 'D':
			o.defer = 1;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'p':
			o.port = (unsigned int)strtonum(optarg, 1, 65535,
			    &errstr);
			if (errstr != NULL)
				errx(100, "fatal: -p %s: %s", optarg, errstr);
			break;
		case 'u':
			o.unlisted = 1;
			break;
		default:
			usage();
		}
	}
	if (o.name == NULL || o.port == 0 || argc - optind != 1)
		usage();
	/* what /etc/services and xinetd both hold: [a-z0-9-], no - first */
	if (o.name[0] == '-' || o.name[0] == '\0' || strlen(o.name) > 32 ||
	    o.name[strspn(o.name, "abcdefghijklmnopqrstuvwxyz0123456789-")] !=
	    '\0')
		errx(100, "fatal: -n %s: not a service name (use a-z, 0-9 and "
		    "'-', not first; at most 32)", o.name);
	if (o.defer) {
		if (o.bindir == NULL) {
			/* where this relaygate-gen was installed, with them */
			ch = (int)readlink("/proc/self/exe", self,
			    sizeof(self) - 1);
			if (ch > 0)
				self[ch] = '\0';
			if (ch <= 0 || (slash = strrchr(self, '/')) == NULL)
				errx(111, "fatal: unable to tell where relaygate-"
				    "gen is installed: name it with -b");
			*slash = '\0';
			o.bindir = self;
		}
		bin_check(o.bindir, "rblskip");
		bin_check(o.bindir, "authfirst");
	}
	if (!o.unlisted)
		services_check(etcservices, o.name, o.port);
	if ((in = afile_read(argv[optind], &len)) == NULL)
		err(111, "fatal: unable to read %s", argv[optind]);
	if (xinetd_derive(in, len, &o, stdout, stderr) == -1) {
		free(in);
		errx(100, "fatal: %s: cannot derive a service from it",
		    argv[optind]);
	}
	if (!o.unlisted)
		fprintf(stderr, "relaygate-gen: add to /etc/services: "
		    "%s\t%u/tcp\n", o.name, o.port);
	free(in);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*dir = "services.d";
	int		 ch, check = 0, i;

	while ((ch = getopt(argc, argv, "+cd:h")) != -1) {
		switch (ch) {
		case 'c':
			check = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			puts(USAGE);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "derive") == 0)
		return derive(argc, argv);
	load(dir, check);
	if (strcmp(argv[0], "services") == 0)
		return services(argc, argv);
	if (strcmp(argv[0], "check") == 0 && argc == 1) {
		printf("%s: %d services, all good\n", dir, nsvc);
		return 0;
	}
	if (strcmp(argv[0], "chain") == 0 && argc == 2) {
		for (i = 0; i < nsvc; i++) {
			if (strcmp(svc_get(&svcs[i], K_NAME), argv[1]) != 0)
				continue;
			for (ch = 0; ch < svcs[i].argc; ch++)
				printf("%s%s", ch ? " " : "", svcs[i].argv[ch]);
			putchar('\n');
			return 0;
		}
		errx(100, "fatal: no service %s in %s", argv[1], dir);
	}
	if (argc != 2)
		usage();
	return generate(argv[0], argv[1]);
}
