// SPDX-License-Identifier: MIT
/*
 * gdb_socket.c: where gdb connects to minivmm's stub: 127.0.0.1:PORT or
 * unix:PATH, nothing else (a debugger connection can read and write all
 * of guest memory: never on a network, docs/security.md). minivmm takes
 * one connection, before the first instruction, and then stops listening,
 * so a second one is refused.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gdb.h"
#include "vmm.h"

bool gdb_addr_parse(const char *s, struct gdb_addr *a, char *err, size_t errlen)
{
	static const char lo[] = "127.0.0.1:";
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!strncmp(s, "unix:", 5)) {
		n = strlen(s + 5);
		if (n == 0 || n >= sizeof(a->path)) {
			snprintf(err, errlen,
				 "--gdb unix:PATH: the path must have 1 to "
				 "%zu bytes",
				 sizeof(a->path) - 1);
			return false;
		}
		a->is_unix = true;
		memcpy(a->path, s + 5, n + 1);
		return true;
	}
	if (!strncmp(s, lo, sizeof(lo) - 1)) {
		const char *p = s + sizeof(lo) - 1;
		unsigned long port = 0;

		n = strspn(p, "0123456789");
		if (n > 0 && n <= 5 && p[n] == '\0')
			port = strtoul(p, NULL, 10);
		if (port >= 1 && port <= 65535) {
			a->port = (uint16_t)port;
			return true;
		}
	}
	snprintf(err, errlen,
		 "--gdb %s: expected 127.0.0.1:PORT (1..65535) or unix:PATH "
		 "(the stub listens on loopback or a unix socket only)",
		 s);
	return false;
}

int gdb_accept_one(const struct gdb_addr *a)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(a->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, fd, conn;

	fd = socket(a->is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		err(VMM_STATUS_HOST, "gdb: socket");
	if (a->is_unix) {
		memcpy(un.sun_path, a->path, sizeof(a->path));
		unlink(a->path); /* a socket left by an earlier run */
		if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
			err(VMM_STATUS_HOST, "gdb: bind %s", a->path);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
			err(VMM_STATUS_HOST, "gdb: bind 127.0.0.1:%u", a->port);
	}
	if (listen(fd, 1) < 0)
		err(VMM_STATUS_HOST, "gdb: listen");
	if (a->is_unix)
		fprintf(stderr, "minivmm: waiting for gdb on unix:%s\n",
			a->path);
	else
		fprintf(stderr, "minivmm: waiting for gdb on 127.0.0.1:%u\n",
			a->port);
	do
		conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		err(VMM_STATUS_HOST, "gdb: accept");
	close(fd); /* one debugger: a second connection is refused */
	if (a->is_unix)
		unlink(a->path);
	else /* small packets, one at a time: no Nagle delay */
		setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fprintf(stderr, "minivmm: gdb connected\n");
	return conn;
}
