/* SPDX-License-Identifier: MIT */
/*
 * ctl: the control protocol between rvisord (or any client) and one rvisor
 * VM process, spoken over the unix socket given by `rvisor run --control`.
 * It is defined here once; the VM side (vm/control.c) and the daemon side
 * (daemon/supervise.c) both encode and decode through these functions.
 *
 * Framing: JSON lines. Every message is one JSON object on one line, ended by
 * '\n', at most CTL_LINE_MAX bytes. Every message carries "v": the protocol
 * version (CTL_VERSION); a peer rejects versions it does not know.
 *
 *   server, on connect:  {"v":1,"type":"hello","name":"vm1","pid":4242}
 *   client request:      {"v":1,"id":7,"type":"query"}
 *                        (types: query pause resume powerdown stop reboot)
 *   server response:     {"v":1,"id":7,"ok":true,"result":{...}}
 *                        {"v":1,"id":7,"ok":false,"error":"already paused"}
 *   server event:        {"v":1,"event":"exit","data":{"status":0,"reason":"poweroff"}}
 *                        {"v":1,"event":"state","data":{"state":"paused"}}
 *                        {"v":1,"event":"reboot","data":{"reboots":2,"guest_reboots":1}}
 *
 * Responses come in request order. Events may arrive between responses.
 * The "exit" event is the last line a VM sends before its process ends;
 * reasons: poweroff, stopped (stop request or Ctrl-A x), crash (fatal guest
 * error), failure (the guest reported failure), signal. A "reboot" event
 * follows every reset of the guest (the process lives on), with the totals
 * since the process started; a client that missed one sees the same totals
 * in the next query.
 *
 * Threads: the encode/decode functions are pure; a ctl_client is used by one
 * thread at a time.
 */
#ifndef RV_API_CTL_H
#define RV_API_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CTL_VERSION 1
#define CTL_LINE_MAX 65536
#define CTL_NAME_MAX 64

enum ctl_type { CTL_QUERY, CTL_PAUSE, CTL_RESUME, CTL_POWERDOWN, CTL_STOP, CTL_REBOOT, CTL_NTYPES };

#define CTL_MAX_DISKS 8
#define CTL_MAX_NICS 4

/* Counters of one virtio-blk device, kept by the device since the VM
 * process started (guest reboots keep them). Requests count when they
 * succeeded; errors are the requests that did not. */
struct ctl_disk_stats {
    char device[8]; /* "vda", "vdb"...: the disks in --disk order */
    uint64_t read_requests, write_requests;
    uint64_t read_bytes, write_bytes;
    uint64_t flushes, errors;
};

/* Counters of one virtio-net device and its back end: packets and bytes
 * (Ethernet frames) to the guest (rx) and from it (tx), and frames dropped
 * on the way. */
struct ctl_nic_stats {
    char device[8];  /* "net0", "net1"...: the NICs in --net order */
    char backend[8]; /* "user", "tap" */
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_dropped, tx_dropped;
};

/* The result of a query. */
struct ctl_status {
    char name[CTL_NAME_MAX];
    char state[16]; /* "running" or "paused" */
    int pid;
    int vcpus;
    uint64_t mem_bytes;          /* guest RAM size */
    uint64_t uptime_ms;          /* since the VM process started the guest */
    uint64_t cpu_ns;             /* host CPU time of the VM process (user + system) */
    uint64_t rss_bytes;          /* resident set of the VM process */
    uint64_t ram_resident_bytes; /* guest RAM the host actually holds (touched pages) */
    bool powerbtn_ready;         /* a guest driver listens to the power button */
    /* Optional in the reply (absent from VM processes older than them):
     * has_devices says whether the disk and NIC lists were there. */
    uint64_t reboots;       /* guest resets since the process started, any cause */
    uint64_t guest_reboots; /* those the guest asked for itself (SBI SRST, syscon) */
    bool has_devices;
    int ndisks, nnics;
    struct ctl_disk_stats disks[CTL_MAX_DISKS];
    struct ctl_nic_stats nics[CTL_MAX_NICS];
};

enum ctl_msg_kind { CTL_MSG_HELLO, CTL_MSG_REQUEST, CTL_MSG_RESPONSE, CTL_MSG_EVENT };

/* A decoded message. `result` and `data` are owned by the message. */
struct ctl_msg {
    enum ctl_msg_kind kind;
    uint64_t id;             /* request, response */
    enum ctl_type type;      /* request */
    bool ok;                 /* response */
    char error[256];         /* response with ok == false */
    json_t *result;          /* response with ok == true; may be NULL */
    char event[16];          /* event name */
    json_t *data;            /* event data; may be NULL */
    char name[CTL_NAME_MAX]; /* hello */
    int pid;                 /* hello */
};

/* "query", "pause", ...; NULL for an out-of-range value. */
const char *ctl_type_name(enum ctl_type t);
/* 0 or -EINVAL. */
int ctl_type_parse(const char *s, enum ctl_type *out) __attribute__((warn_unused_result));

/* Decode one line (without or with its '\n'). 0, or -EINVAL with `e` saying
 * what is wrong (not JSON, wrong version, missing field...). On success the
 * caller must ctl_msg_fini(m). */
int ctl_parse(struct ctl_msg *m, const char *line, size_t len, struct err *e)
    __attribute__((warn_unused_result));
void ctl_msg_fini(struct ctl_msg *m);

/* Encoders: each returns a malloc'ed, NUL-terminated line ending in '\n'.
 * `result`/`data` references are stolen (may be NULL). */
char *ctl_format_hello(const char *name, int pid);
char *ctl_format_request(uint64_t id, enum ctl_type t);
char *ctl_format_ok(uint64_t id, json_t *result);
char *ctl_format_error(uint64_t id, const char *msg);
char *ctl_format_event(const char *event, json_t *data);

json_t *ctl_status_to_json(const struct ctl_status *s);
/* 0 or -EINVAL with `e` naming the bad field. */
int ctl_status_from_json(struct ctl_status *s, const json_t *j, struct err *e)
    __attribute__((warn_unused_result));

/* Line assembly for a stream socket. */
struct ctl_linebuf {
    char *buf;
    size_t len, cap;
    size_t skip; /* bytes of the line last returned, dropped on the next call */
};

/* Read what `fd` has (one read(2)). Returns bytes read (> 0), 0 at end of
 * stream, -EAGAIN if nothing is ready on a non-blocking fd, -EMSGSIZE if a
 * line exceeds CTL_LINE_MAX, or another -errno. */
int ctl_linebuf_read(struct ctl_linebuf *lb, int fd);
/* The next complete line (without '\n', NUL-terminated in place), or NULL.
 * Valid until the next call on `lb`. */
char *ctl_linebuf_next(struct ctl_linebuf *lb, size_t *len);
void ctl_linebuf_fini(struct ctl_linebuf *lb);

/* A blocking client, as rvisord uses it. */
struct ctl_client;

/* Connect to the socket at `path` and read the hello, waiting at most
 * `timeout_ms`. 0 or -errno with `e` filled. */
int ctl_client_connect(struct ctl_client **out, const char *path, int timeout_ms, struct err *e)
    __attribute__((warn_unused_result));
void ctl_client_close(struct ctl_client *c);
/* From the hello. */
const char *ctl_client_name(const struct ctl_client *c);
int ctl_client_pid(const struct ctl_client *c);
int ctl_client_fd(const struct ctl_client *c);

/* Send a request and wait at most `timeout_ms` for its response; events
 * arriving meanwhile are kept for ctl_client_pump. On ok, *result (if
 * non-NULL) receives the result (caller json_decref's it; may be NULL).
 * Returns 0, -EIO with `e` holding the VM's error message when it answered
 * "ok": false, or another -errno (-ETIMEDOUT, -EPIPE...) with `e` filled. */
int ctl_client_call(struct ctl_client *c, enum ctl_type t, json_t **result, int timeout_ms,
                    struct err *e) __attribute__((warn_unused_result));

/* Send a request without waiting for its answer, which ctl_client_pump
 * delivers (a CTL_MSG_RESPONSE with this id). 0 with *id set, -EAGAIN if
 * the socket cannot take the request now, or another -errno. Do not mix
 * with ctl_client_call, which drops answers to other requests. */
int ctl_client_send(struct ctl_client *c, enum ctl_type t, uint64_t *id)
    __attribute__((warn_unused_result));

typedef void (*ctl_event_cb)(void *opaque, const struct ctl_msg *m);
/* Deliver pending events, then read what the socket has without blocking
 * and deliver the events and responses in it, in order (a callback that
 * only wants events checks m->kind). Returns 0, or -EPIPE once the VM has
 * closed the connection (its process is ending). */
int ctl_client_pump(struct ctl_client *c, ctl_event_cb cb, void *opaque);

#endif
