/* client.h: who is on the other end of this connection */
#ifndef RG_CLIENT_H
#define RG_CLIENT_H

#include "ip.h"

struct client {
	struct ip	remote;
	struct ip	local;
	unsigned int	remoteport;
	unsigned int	localport;
	int		has_local;
	int		from_socket;	/* 1: fd 0 was a TCP socket */
};

int	client_from_socket(struct client *, int);
int	client_from_env(struct client *);
int	client_get(struct client *);
int	client_setenv(const struct client *);
int	client_env_stale(const struct client *);

#endif
