/* queue.h: a qmail queue on disk, read without qmail's help */
#ifndef RG_QUEUE_H
#define RG_QUEUE_H

#include <sys/types.h>
#include <stdio.h>
#include <time.h>

#define Q_ADDRMAX	256
#define Q_TEXTMAX	200

struct qrcpt {
	char	addr[Q_ADDRMAX];
	int	remote;
	int	done;
};

struct qmsg {
	unsigned long	 id;
	unsigned int	 split;		/* id % conf-split */
	off_t		 size;		/* of mess; -1 until queue_size() */
	time_t		 qtime;		/* info's mtime, as qmail-qread */
	int		 preprocessed;	/* has info; else in todo */
	int		 bouncing;
	char		 sender[Q_ADDRMAX];
	struct qrcpt	*rcpt;
	int		 nrcpt;
	/* from the headers */
	char		 ip[64];
	char		 helo[Q_TEXTMAX];
	char		 user[Q_TEXTMAX];	/* remoteinfo: the AUTH user */
	char		 subject[Q_TEXTMAX];
	char		 from[Q_TEXTMAX];
	long		 uid;		/* "invoked by uid N", else -1 */
	int		 headers;	/* headers were read */
};

struct queue {
	char		 dir[1024];
	unsigned int	 split;
	int		 bigtodo;
	FILE		*warn;		/* where trouble is reported */
	unsigned long	 trouble;
	unsigned long	*bounce;	/* ids in bounce/, sorted */
	size_t		 nbounce;
};

int	 queue_open(struct queue *, const char *, FILE *);
int	 queue_scan(struct queue *, int (*)(struct queue *, struct qmsg *,
	    void *), void *);
int	 queue_headers(struct queue *, struct qmsg *);
void	 queue_path(const struct queue *, const char *, unsigned long, int,
	    char *, size_t);
int	 queue_received(const char *, size_t, struct qmsg *);
void	 queue_free(struct qmsg *);
void	 queue_close(struct queue *);
off_t	 queue_size(struct queue *, struct qmsg *);
void	 queue_date(time_t, char *, size_t);

#endif
