/* SPDX-License-Identifier: MIT */
/*
 * http: HTTP/1.1 message parsing and formatting. See http.h.
 *
 * The head is located in the received bytes, copied once and parsed in
 * place (NULs written over separators); the body is then assembled from the
 * bytes after it on every call until complete, so the parser needs no state
 * beyond "head parsed". All limits are checked before anything is copied.
 */
#include "api/http.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

static char empty_body[1];

void http_message_init(struct http_message *m, enum http_kind kind)
{
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->content_length = -1;
    m->body = empty_body;
    m->path = m->query = m->target = m->reason = "";
}

void http_message_fini(struct http_message *m)
{
    free(m->head);
    if (m->body != empty_body)
        free(m->body);
    http_message_init(m, m->kind);
}

static int fail(struct http_message *m, int status, const char *msg)
{
    snprintf(m->error, sizeof(m->error), "%s", msg);
    return -status;
}

/* Length of the head (through its empty line), 0 if not complete yet.
 * Leading empty lines (RFC 9112 §2.2) are part of it. */
static size_t head_end(const char *buf, size_t len)
{
    size_t pos = 0;
    bool first = true;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t end = (size_t)(nl - buf);
        size_t linelen = end - pos;
        if (linelen && buf[end - 1] == '\r')
            linelen--;
        if (linelen == 0 && !first)
            return end + 1;
        if (linelen)
            first = false;
        pos = end + 1;
    }
    return 0;
}

/* Next line of the in-place head: NUL-terminated, CR stripped. */
static char *next_line(char **cur)
{
    char *s = *cur;
    char *nl = strchr(s, '\n');
    if (!nl)
        return NULL;
    *nl = 0;
    if (nl > s && nl[-1] == '\r')
        nl[-1] = 0;
    *cur = nl + 1;
    return s;
}

static bool is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int parse_version(struct http_message *m, const char *v)
{
    if (strncmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) || v[6] != '.' ||
        !isdigit((unsigned char)v[7]) || v[8])
        return fail(m, 400, "malformed HTTP version");
    if (v[5] != '1')
        return fail(m, 505, "only HTTP/1.x is supported");
    m->minor = v[7] - '0';
    return 0;
}

/* Split the target into path and query (stored after the head copy). */
static int split_target(struct http_message *m, char *scratch)
{
    const char *t = m->target;
    if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8)) {
        t = strchr(t, ':') + 3;
        t = strchr(t, '/');
        if (!t)
            t = "/";
    }
    if (t[0] != '/')
        return fail(m, 400, "request target must be a path starting with /");
    const char *q = strchr(t, '?');
    size_t plen = q ? (size_t)(q - t) : strlen(t);
    memcpy(scratch, t, plen);
    scratch[plen] = 0;
    m->path = scratch;
    strcpy(scratch + plen + 1, q ? q + 1 : "");
    m->query = scratch + plen + 1;
    return 0;
}

static int parse_start_line(struct http_message *m, char *line, char *scratch)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || (!sp2 && m->kind == HTTP_REQUEST))
        return fail(m, 400, "malformed start line");
    *sp1 = 0;
    if (m->kind == HTTP_RESPONSE) {
        if (sp2)
            *sp2 = 0;
        int r = parse_version(m, line);
        if (r < 0)
            return r;
        const char *code = sp1 + 1;
        if (strlen(code) != 3 || !isdigit((unsigned char)code[0]) ||
            !isdigit((unsigned char)code[1]) || !isdigit((unsigned char)code[2]))
            return fail(m, 400, "malformed status code");
        m->status = atoi(code);
        m->reason = sp2 ? sp2 + 1 : "";
        return 0;
    }
    *sp2 = 0;
    size_t mlen = strlen(line);
    if (mlen == 0 || mlen >= sizeof(m->method))
        return fail(m, 400, "malformed method");
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)line[i]))
            return fail(m, 400, "malformed method");
    memcpy(m->method, line, mlen + 1);
    m->target = sp1 + 1;
    if (!*m->target || strchr(m->target, ' ') || strchr(sp2 + 1, ' '))
        return fail(m, 400, "malformed request line");
    int r = parse_version(m, sp2 + 1);
    return r < 0 ? r : split_target(m, scratch);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

static int parse_header(struct http_message *m, char *line)
{
    if (line[0] == ' ' || line[0] == '\t')
        return fail(m, 400, "obsolete header line folding");
    char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return fail(m, 400, "malformed header line");
    *colon = 0;
    for (char *p = line; *p; p++)
        if (!is_tchar((unsigned char)*p))
            return fail(m, 400, "malformed header name");
    for (char *p = colon + 1; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return fail(m, 400, "control character in a header value");
    if (m->nheaders == HTTP_MAX_HEADERS)
        return fail(m, 431, "too many header fields");
    m->headers[m->nheaders++] = (struct http_header){line, trim(colon + 1)};
    return 0;
}

const char *http_header(const struct http_message *m, const char *name)
{
    for (int i = 0; i < m->nheaders; i++)
        if (!strcasecmp(m->headers[i].name, name))
            return m->headers[i].value;
    return NULL;
}

/* Does the comma-separated token list `v` contain `tok`? */
static bool has_token(const char *v, const char *tok)
{
    size_t n = strlen(tok);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t len = strcspn(v, ",");
        size_t l = len;
        while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
            l--;
        if (l == n && !strncasecmp(v, tok, n))
            return true;
        v += len;
    }
    return false;
}

static int parse_length(struct http_message *m)
{
    for (int i = 0; i < m->nheaders; i++) {
        if (strcasecmp(m->headers[i].name, "Content-Length"))
            continue;
        const char *v = m->headers[i].value;
        if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15)
            return fail(m, 400, "malformed Content-Length");
        long long n = atoll(v);
        if (m->content_length >= 0 && m->content_length != n)
            return fail(m, 400, "conflicting Content-Length headers");
        m->content_length = n;
    }
    if (m->content_length > (long long)HTTP_BODY_MAX)
        return fail(m, 413, "body too large");
    return 0;
}

static int body_framing(struct http_message *m)
{
    const char *te = http_header(m, "Transfer-Encoding");
    int r = parse_length(m);
    if (r < 0)
        return r;
    if (te) {
        if (m->content_length >= 0)
            return fail(m, 400, "both Content-Length and Transfer-Encoding");
        if (strcasecmp(te, "chunked"))
            return fail(m, 501, "unsupported transfer coding (only chunked)");
        m->chunked = true;
    } else if (m->content_length < 0 && m->kind == HTTP_RESPONSE && m->status >= 200 &&
               m->status != 204 && m->status != 304) {
        m->until_eof = true;
    }
    const char *conn = http_header(m, "Connection");
    m->keep_alive = m->minor >= 1 ? !has_token(conn, "close") : has_token(conn, "keep-alive");
    if (m->until_eof)
        m->keep_alive = false;
    const char *expect = http_header(m, "Expect");
    m->expect_continue =
        m->kind == HTTP_REQUEST && m->minor >= 1 && expect && !strcasecmp(expect, "100-continue");
    if (m->kind == HTTP_REQUEST && m->minor >= 1 && !http_header(m, "Host"))
        return fail(m, 400, "missing Host header");
    return 0;
}

static int parse_head(struct http_message *m, const char *buf, size_t hlen)
{
    m->head = xmalloc(2 * hlen + 4);
    memcpy(m->head, buf, hlen);
    m->head[hlen] = 0;
    m->head_len = hlen;
    char *cur = m->head;
    char *line;
    while ((line = next_line(&cur)) && !*line)
        ; /* leading empty lines */
    if (!line)
        return fail(m, 400, "empty message");
    int r = parse_start_line(m, line, m->head + hlen + 1);
    if (r < 0)
        return r;
    while ((line = next_line(&cur)) && *line) {
        r = parse_header(m, line);
        if (r < 0)
            return r;
    }
    m->head_done = true;
    return body_framing(m);
}

/* Decode a chunked body starting at `p` (`len` bytes available). Returns 0
 * with the body set and *used bytes consumed, HTTP_NEED_MORE, or -status. */
static int decode_chunked(struct http_message *m, const char *p, size_t len, size_t *used)
{
    size_t pos = 0, total = 0;
    char *out = NULL;
    int r = HTTP_NEED_MORE;
    for (;;) {
        const char *nl = memchr(p + pos, '\n', len - pos);
        if (!nl) {
            if (len - pos > 1024)
                r = fail(m, 400, "malformed chunk size line");
            break;
        }
        const char *s = p + pos;
        size_t size = 0, digits = 0;
        for (; isxdigit((unsigned char)*s); s++, digits++) {
            if (size > (SIZE_MAX >> 4) || digits > 8) {
                r = fail(m, 413, "body too large");
                goto out;
            }
            size = size * 16 +
                   (size_t)(isdigit((unsigned char)*s) ? *s - '0' : (*s | 0x20) - 'a' + 10);
        }
        if (!digits || (*s != ';' && *s != '\r' && *s != '\n')) {
            r = fail(m, 400, "malformed chunk size line");
            break;
        }
        pos = (size_t)(nl - p) + 1;
        if (size == 0) {
            /* trailer section: skip field lines up to the empty line */
            bool done = false;
            const char *tnl;
            while ((tnl = memchr(p + pos, '\n', len - pos))) {
                size_t linelen = (size_t)(tnl - (p + pos));
                pos += linelen + 1;
                if (linelen == 0 || (linelen == 1 && tnl[-1] == '\r')) {
                    done = true;
                    break;
                }
            }
            if (!done)
                break;
            m->body = out ? out : xzalloc(1);
            m->body[total] = 0;
            m->body_len = total;
            out = NULL;
            *used = pos;
            r = 0;
            break;
        }
        if (total + size > HTTP_BODY_MAX) {
            r = fail(m, 413, "body too large");
            break;
        }
        if (len - pos < size + 1)
            break;
        out = xrealloc(out, total + size + 1);
        memcpy(out + total, p + pos, size);
        total += size;
        pos += size;
        if (p[pos] == '\r')
            pos++;
        if (pos >= len)
            break;
        if (p[pos] != '\n') {
            r = fail(m, 400, "chunk data not followed by CRLF");
            break;
        }
        pos++;
    }
out:
    free(out);
    return r;
}

int http_parse(struct http_message *m, const char *buf, size_t len, bool eof, size_t *consumed)
{
    if (!m->head_done) {
        size_t hlen = head_end(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
        if (!hlen) {
            if (len >= HTTP_HEAD_MAX)
                return fail(m, 431, "header section too large");
            return eof && len ? fail(m, 400, "connection closed inside the header section")
                              : HTTP_NEED_MORE;
        }
        int r = parse_head(m, buf, hlen);
        if (r < 0)
            return r;
    }
    const char *p = buf + m->head_len;
    size_t avail = len - m->head_len;
    if (m->chunked) {
        size_t used = 0;
        int r = decode_chunked(m, p, avail, &used);
        if (r == 0)
            *consumed = m->head_len + used;
        else if (r == HTTP_NEED_MORE && eof)
            return fail(m, 400, "connection closed inside a chunked body");
        return r;
    }
    size_t need = m->content_length > 0 ? (size_t)m->content_length : 0;
    if (m->until_eof) {
        if (avail > HTTP_BODY_MAX)
            return fail(m, 413, "body too large");
        if (!eof)
            return HTTP_NEED_MORE;
        need = avail;
    }
    if (avail < need)
        return eof ? fail(m, 400, "connection closed inside the body") : HTTP_NEED_MORE;
    if (need) {
        m->body = xmalloc(need + 1);
        memcpy(m->body, p, need);
        m->body[need] = 0;
        m->body_len = need;
    }
    *consumed = m->head_len + need;
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int http_url_decode(const char *in, size_t len, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int h = hexval((unsigned char)in[i + 1]), l = hexval((unsigned char)in[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= outsz)
            return -1;
        out[o++] = (char)c;
    }
    if (outsz == 0)
        return -1;
    out[o] = 0;
    return (int)o;
}

int http_query_get(const char *query, const char *key, char *out, size_t outsz)
{
    size_t klen = strlen(key);
    const char *p = query;
    while (p && *p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if (nlen == klen && !strncmp(p, key, klen)) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vlen = (size_t)(p + len - v);
            return http_url_decode(v, vlen, out, outsz) < 0 ? -1 : 1;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

char *http_format_response(int status, const char *content_type, const char *extra,
                           const char *body, size_t len, bool keep_alive, size_t *outlen)
{
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n%s%s%s%.512sContent-Length: %zu\r\nConnection: %s\r\n\r\n",
                     status, http_reason(status), content_type ? "Content-Type: " : "",
                     content_type ? content_type : "", content_type ? "\r\n" : "",
                     extra ? extra : "", len, keep_alive ? "keep-alive" : "close");
    char *out = xmalloc((size_t)n + len + 1);
    memcpy(out, head, (size_t)n);
    if (len)
        memcpy(out + n, body, len);
    out[(size_t)n + len] = 0;
    *outlen = (size_t)n + len;
    return out;
}

char *http_format_request(const char *method, const char *target, const char *host,
                          const char *body, size_t len, size_t *outlen)
{
    size_t hsize = strlen(method) + strlen(target) + strlen(host) + 256;
    char *out = xmalloc(hsize + len + 1);
    int n = snprintf(out, hsize,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: rvctl\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, target, host, len ? "Content-Type: application/json\r\n" : "", len);
    if (len)
        memcpy(out + n, body, len);
    out[(size_t)n + len] = 0;
    *outlen = (size_t)n + len;
    return out;
}
