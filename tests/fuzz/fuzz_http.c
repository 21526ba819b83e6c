/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http: the HTTP/1.1 parser (src/api/http.c), as rvisord meets it on
 * its unix socket. Input byte 0 picks request or response parsing, whether
 * the peer has closed, and where the stream is cut in two, so that both the
 * one-piece and the incremental paths run; the rest is the stream. A
 * complete request's path and query then go through the URL helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++, size--;
    /* An exact-size heap copy so that ASan sees any read past the end. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);

    struct http_message m;
    http_message_init(&m, (ctl & 1) ? HTTP_RESPONSE : HTTP_REQUEST);
    bool eof = ctl & 2;
    size_t cut = size ? ((size_t)(ctl >> 2) * 97) % (size + 1) : 0;
    size_t used = 0;
    int r = HTTP_NEED_MORE;
    if (ctl & 0x80) {
        /* byte by byte, as a slow client sends it */
        for (size_t n = 0; n <= size && r == HTTP_NEED_MORE; n++)
            r = http_parse(&m, buf, n, n == size && eof, &used);
    } else {
        if (cut < size)
            r = http_parse(&m, buf, cut, false, &used);
        if (r == HTTP_NEED_MORE)
            r = http_parse(&m, buf, size, eof, &used);
    }
    if (r == 0) {
        if (used > size)
            abort();
        if (m.body_len && !m.body)
            abort();
        for (int i = 0; i < m.nheaders; i++)
            (void)strlen(m.headers[i].name), (void)strlen(m.headers[i].value);
        (void)http_header(&m, "content-type");
        if (m.kind == HTTP_REQUEST) {
            char out[256];
            (void)http_url_decode(m.path, strlen(m.path), out, sizeof out);
            (void)http_query_get(m.query, "name", out, sizeof out);
            (void)http_query_get(m.query, "x", out, 1);
        }
    } else if (r != HTTP_NEED_MORE && r >= 0) {
        abort();
    }
    http_message_fini(&m);
    free(buf);
    return 0;
}
