/* SPDX-License-Identifier: MIT */
/*
 * http: a small, strict HTTP/1.1 message parser and formatter (RFC 9112),
 * enough for the REST API on rvisord's unix socket: rvisord parses requests
 * with it and rvctl parses responses.
 *
 * Supported: request lines in origin form ("/vms?x=1") and absolute form
 * ("http://host/vms"), HTTP/1.0 and 1.1, Content-Length and chunked bodies
 * (chunk extensions and trailers are skipped), keep-alive rules, Expect:
 * 100-continue, bodies delimited by end of stream (responses only).
 * Rejected, with the status to answer: head over HTTP_HEAD_MAX (431), body
 * over HTTP_BODY_MAX (413), obsolete line folding, bad header names,
 * conflicting Content-Length, Content-Length together with
 * Transfer-Encoding (400), transfer codings other than chunked (501),
 * versions other than 1.x (505).
 *
 * Use: init a message, then call http_parse() with everything received so
 * far until it returns 0 (complete: `*consumed` bytes belong to this
 * message; keep the rest for the next one) or a negative status.
 *
 * Threads: pure functions on caller-owned structs.
 */
#ifndef RV_API_HTTP_H
#define RV_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 16384
#define HTTP_BODY_MAX (1u << 20)
#define HTTP_MAX_HEADERS 64

enum http_kind { HTTP_REQUEST, HTTP_RESPONSE };

struct http_header {
    const char *name;  /* as sent; compare with strcasecmp */
    const char *value; /* surrounding white space removed */
};

struct http_message {
    enum http_kind kind;
    /* request line */
    char method[16];
    const char *target; /* as sent, origin form ("/vms/a?x=1") */
    const char *path;   /* target without the query, still %-encoded */
    const char *query;  /* after '?', or "" */
    /* status line */
    int status;
    const char *reason;
    int minor; /* HTTP/1.minor */
    int nheaders;
    struct http_header headers[HTTP_MAX_HEADERS];
    bool keep_alive;      /* the connection may carry another message */
    bool expect_continue; /* the client waits for "100 Continue" before the body */
    char *body;           /* NUL-terminated; "" when there is none */
    size_t body_len;
    char error[128]; /* why parsing failed */
    /* parser state */
    bool head_done;
    char *head; /* private copy of the head, parsed in place */
    size_t head_len;
    long long content_length; /* -1 if none */
    bool chunked, until_eof;
};

#define HTTP_NEED_MORE 1

void http_message_init(struct http_message *m, enum http_kind kind);
void http_message_fini(struct http_message *m);

/* Parse from `buf` (all bytes received so far for this message; `eof` once
 * the peer has closed). Returns 0 when the message is complete (`*consumed`
 * is its length), HTTP_NEED_MORE, or -STATUS (-400, -413, -431, -501,
 * -505) with `m->error` saying why. */
int http_parse(struct http_message *m, const char *buf, size_t len, bool eof, size_t *consumed);

/* Header value by name (case-insensitive), or NULL. */
const char *http_header(const struct http_message *m, const char *name);

/* Percent-decode `len` bytes of `in` into `out` (size `outsz`, NUL-terminated).
 * '+' is kept. Returns the decoded length, or -1 on a bad escape, a decoded
 * NUL, or overflow. */
int http_url_decode(const char *in, size_t len, char *out, size_t outsz);

/* Value of `key` in a query string "a=1&b=x%20y" (decoded into `out`).
 * Returns 1 if found, 0 if absent, -1 if malformed. */
int http_query_get(const char *query, const char *key, char *out, size_t outsz);

/* "OK", "Not Found", ...; "Unknown" otherwise. */
const char *http_reason(int status);

/* A complete response: status line, Content-Type (if given), `extra`
 * header lines (each ending in "\r\n"; may be NULL), Content-Length,
 * Connection, then the body. malloc'ed; length in *outlen. */
char *http_format_response(int status, const char *content_type, const char *extra,
                           const char *body, size_t len, bool keep_alive, size_t *outlen);

/* A complete request for `host` (e.g. "rvisord"). malloc'ed. */
char *http_format_request(const char *method, const char *target, const char *host,
                          const char *body, size_t len, size_t *outlen);

#endif
