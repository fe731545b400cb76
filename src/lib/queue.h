/* queue.h: a qmail queue on disk, read without qmail's help */
#ifndef RG_QUEUE_H
#define RG_QUEUE_H

#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <stdio.h>
#include <time.h>

#define Q_ADDRMAX	1024	/* qmail-queue takes 1,002 bytes; qmail-smtpd 899 */
#define Q_TEXTMAX	200
#define Q_USERMAX	512	/* over a mailbox's most: a cut name shows */
#define Q_HEADERMAX	65536	/* one unfolded header line, kept */
#define Q_HEADERSMAX	(1 << 20)	/* the header read, at most */

/* Who handed the message to qmail-queue, from the line it wrote first. */
enum q_origin {
	Q_UNKNOWN = 0,		/* no qmail-queue line: not read, or damaged */
	Q_NETWORK,		/* "invoked from network": qmail-smtpd */
	Q_LOCAL,		/* "invoked by uid N": sendmail, qmail-inject */
	Q_ALIAS,		/* "invoked by alias": a forward */
	Q_BOUNCE		/* "invoked for bounce" */
};

struct qrcpt {
	char	addr[Q_ADDRMAX];
	int	remote;
	int	done;
};

struct qmsg {
	unsigned long	 id;
	unsigned int	 split;		/* id % conf-split */
	off_t		 size;		/* of mess; -1 until queue_size() */
	time_t		 qtime;		/* info's mtime, as qmail-qread;
					   -1 until queue_qtime() */
	int		 preprocessed;	/* has info; else in todo */
	int		 bouncing;
	char		 sender[Q_ADDRMAX];
	struct qrcpt	*rcpt;
	int		 nrcpt;
	/*
	 * From the headers.  Client, HELO and account come only from the
	 * Received line qmail-smtpd wrote, the one right after qmail-queue's
	 * "invoked from network"; any other Received line is the sender's.
	 */
	enum q_origin	 origin;
	char		 ip[64];
	char		 host[Q_TEXTMAX];	/* TCPREMOTEHOST or "unknown" */
	char		 helo[Q_TEXTMAX];
	char		 user[Q_USERMAX];	/* the AUTH account: ESMTPA only */
	char		 rinfo[Q_TEXTMAX];	/* remote info, unverified: ident
						   or MAIL's AUTH= */
	char		 subject[Q_TEXTMAX];
	char		 from[Q_TEXTMAX];
	char		 script[Q_TEXTMAX];	/* X-PHP-Originating-Script, for
						   local mail only */
	long		 uid;		/* "invoked by uid N", else -1 */
	int		 headers;	/* headers were read */
};

#define Q_NSUBS		7	/* mess info local remote intd todo bounce */

struct queue {
	char		 dir[1024];
	int		 dirfd;		/* the queue; every file is opened
					   from here, no link followed */
	int		*subfd[Q_NSUBS];	/* [split] a split dir, [nsplit]
						   the flat one; -1 not yet */
	unsigned int	 split;
	int		 bigtodo;
	FILE		*warn;		/* where trouble is reported */
	unsigned long	 trouble;
	struct qids {
		unsigned long	*id;	/* sorted */
		size_t		 n;
	}		 bounce, local, remote;	/* who has a file there:
						   one listing, not one
						   failed open a message */
	int		 want_headers;	/* queue_scan reads them too */
	int		 have_rcpt;	/* local and remote are listed */
};

extern const char *const queue_subs[Q_NSUBS + 1];

int	 queue_open(struct queue *, const char *, FILE *);
int	 queue_sub(const char *);
int	 queue_split(const struct queue *, int);
int	 queue_dir(struct queue *, int, long);
DIR	*queue_opendir(struct queue *, int, long);
int	 queue_openat(struct queue *, const char *, unsigned long, int);
int	 queue_statat(struct queue *, const char *, unsigned long, int,
	    struct stat *);
int	 queue_scan(struct queue *, int (*)(struct queue *, struct qmsg *,
	    void *), void *);
int	 queue_headers(struct queue *, struct qmsg *);
void	 queue_path(const struct queue *, const char *, unsigned long, int,
	    char *, size_t);
int	 queue_received(const char *, size_t, struct qmsg *);
void	 queue_free(struct qmsg *);
void	 queue_close(struct queue *);
off_t	 queue_size(struct queue *, struct qmsg *);
time_t	 queue_qtime(struct queue *, struct qmsg *);
ssize_t	 queue_times(struct queue *, time_t **);
int	 queue_lock(struct queue *);
unsigned long queue_check(struct queue *, time_t, FILE *, unsigned long *,
	    unsigned long *);
void	 queue_date(time_t, char *, size_t);

#endif
