/*
 * client.c: the client's address, from the socket on fd 0 when there is
 * one (xinetd, systemd), else from tcp-environ(5) variables (tcpserver).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* 0 when fd is a connected TCP socket and both ends were read. */
int
client_from_socket(struct client *c, int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	memset(c, 0, sizeof(*c));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ip_from_sockaddr(&c->remote, &c->remoteport,
	    (struct sockaddr *)&ss, len) == -1)
		return -1;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ip_from_sockaddr(&c->local, &c->localport,
	    (struct sockaddr *)&ss, len) == 0)
		c->has_local = 1;
	c->from_socket = 1;
	return 0;
}

static int
port_parse(const char *s, unsigned int *port)
{
	const char	*errstr;

	if (s == NULL)
		return -1;
	*port = (unsigned int)strtonum(s, 0, 65535, &errstr);
	return errstr == NULL ? 0 : -1;
}

/* 0 when TCPREMOTEIP holds one valid address. */
int
client_from_env(struct client *c)
{
	memset(c, 0, sizeof(*c));
	if (ip_parse(&c->remote, getenv("TCPREMOTEIP")) == -1)
		return -1;
	if (port_parse(getenv("TCPREMOTEPORT"), &c->remoteport) == -1)
		c->remoteport = 0;
	if (ip_parse(&c->local, getenv("TCPLOCALIP")) == 0 &&
	    port_parse(getenv("TCPLOCALPORT"), &c->localport) == 0)
		c->has_local = 1;
	return 0;
}

int
client_get(struct client *c)
{
	if (client_from_socket(c, 0) == 0)
		return 0;
	return client_from_env(c);
}

/* 1 when TCPREMOTEIP is not already in canonical form. */
int
client_env_stale(const struct client *c)
{
	const char	*env = getenv("TCPREMOTEIP");
	char		 buf[IP_FMTLEN];

	ip_fmt(&c->remote, buf, sizeof(buf));
	return env == NULL || strcmp(env, buf) != 0;
}

/* Set PROTO and the TCP* variables of tcp-environ(5). */
int
client_setenv(const struct client *c)
{
	char	buf[IP_FMTLEN], port[8];

	ip_fmt(&c->remote, buf, sizeof(buf));
	snprintf(port, sizeof(port), "%u", c->remoteport);
	if (setenv("PROTO", "TCP", 1) == -1 ||
	    setenv("TCPREMOTEIP", buf, 1) == -1 ||
	    setenv("TCPREMOTEPORT", port, 1) == -1)
		return -1;
	if (!c->has_local)
		return 0;
	ip_fmt(&c->local, buf, sizeof(buf));
	snprintf(port, sizeof(port), "%u", c->localport);
	if (setenv("TCPLOCALIP", buf, 1) == -1 ||
	    setenv("TCPLOCALPORT", port, 1) == -1)
		return -1;
	return 0;
}
