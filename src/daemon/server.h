/* SPDX-License-Identifier: MIT */
/*
 * server: rvisord's HTTP/1.1 server on its unix socket (owner-only, mode
 * 0600). One thread per connection (at most SERVER_MAX_CONNS at once; more
 * get 503), keep-alive, an idle timeout, Expect: 100-continue; requests go
 * to routes_dispatch and its answers come back as JSON (or text, for
 * /metrics). Parsing is api/http.c.
 *
 * Threads: server_start/stop on the main thread (accepting runs on its
 * evloop); connections on their own threads.
 */
#ifndef RV_DAEMON_SERVER_H
#define RV_DAEMON_SERVER_H

#include "daemon/daemon.h"

#define SERVER_MAX_CONNS 64
#define SERVER_IDLE_MS 60000

struct server;

/* Listen on `path` and accept on `loop`. 0 or -errno with `e`. */
int server_start(struct server **out, struct daemon *d, const char *path, struct evloop *loop,
                 struct err *e) __attribute__((warn_unused_result));
/* Stop accepting and remove the socket file (connections in flight finish
 * on their own threads or die with the process). */
void server_stop(struct server *s);

#endif
