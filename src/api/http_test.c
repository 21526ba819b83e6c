/* SPDX-License-Identifier: MIT */
/*
 * http_test: the HTTP/1.1 parser on well-formed messages as curl and rvctl
 * send them, on every way of splitting them across reads, and on the
 * malformed and hostile inputs it must refuse with the right status.
 */
#include <stdlib.h>
#include <string.h>

#include "api/check.h"
#include "api/http.h"

/* Parse `s` as one request fed in one piece; returns http_parse's result. */
static int parse_req(struct http_message *m, const char *s, size_t *used)
{
    http_message_init(m, HTTP_REQUEST);
    return http_parse(m, s, strlen(s), false, used);
}

static void test_simple_get(void)
{
    struct http_message m;
    size_t used = 0;
    const char *s = "GET /vms?all=1&x=a%20b HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88\r\n"
                    "Accept: */*\r\n\r\n";
    CHECK(parse_req(&m, s, &used) == 0);
    CHECK(used == strlen(s));
    CHECK_STR(m.method, "GET");
    CHECK_STR(m.path, "/vms");
    CHECK_STR(m.query, "all=1&x=a%20b");
    CHECK(m.minor == 1);
    CHECK(m.keep_alive);
    CHECK(m.body_len == 0 && m.body[0] == 0);
    CHECK_STR(http_header(&m, "user-agent"), "curl/7.88");
    char v[32];
    CHECK(http_query_get(m.query, "x", v, sizeof(v)) == 1);
    CHECK_STR(v, "a b");
    CHECK(http_query_get(m.query, "all", v, sizeof(v)) == 1);
    CHECK_STR(v, "1");
    CHECK(http_query_get(m.query, "none", v, sizeof(v)) == 0);
    http_message_fini(&m);
}

static void test_post_body_split_everywhere(void)
{
    const char *s = "POST /vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 16\r\n\r\n{\"name\": \"vm1\"}\nGET /next HTTP/1.1\r\n";
    size_t total = strlen(s);
    for (size_t cut = 0; cut <= total; cut++) {
        struct http_message m;
        http_message_init(&m, HTTP_REQUEST);
        size_t used = 0;
        int r = http_parse(&m, s, cut, false, &used);
        if (r == HTTP_NEED_MORE)
            r = http_parse(&m, s, total, false, &used);
        CHECK(r == 0);
        CHECK(m.body_len == 16);
        CHECK(!strcmp(m.body, "{\"name\": \"vm1\"}\n"));
        CHECK(!strncmp(s + used, "GET /next", 9));
        http_message_fini(&m);
    }
}

static void test_chunked(void)
{
    const char *s = "POST /vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    size_t total = strlen(s);
    for (size_t cut = 0; cut <= total; cut++) {
        struct http_message m;
        http_message_init(&m, HTTP_REQUEST);
        size_t used = 0;
        int r = http_parse(&m, s, cut, false, &used);
        if (r == HTTP_NEED_MORE)
            r = http_parse(&m, s, total, false, &used);
        CHECK(r == 0);
        CHECK_STR(m.body, "hello world");
        CHECK(m.body_len == 11);
        CHECK_STR(s + used, "NEXT");
        http_message_fini(&m);
    }
}

static void test_keepalive_rules(void)
{
    struct http_message m;
    size_t used;
    CHECK(parse_req(&m, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &used) == 0);
    CHECK(!m.keep_alive);
    http_message_fini(&m);
    CHECK(parse_req(&m, "GET / HTTP/1.0\r\n\r\n", &used) == 0);
    CHECK(!m.keep_alive);
    http_message_fini(&m);
    CHECK(parse_req(&m, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &used) == 0);
    CHECK(m.keep_alive);
    http_message_fini(&m);
    CHECK(parse_req(&m,
                    "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    "Content-Length: 2\r\n\r\n",
                    &used) == HTTP_NEED_MORE);
    CHECK(m.expect_continue);
    http_message_fini(&m);
    /* absolute form and leading empty line */
    CHECK(parse_req(&m, "\r\nGET http://rvisord/vms/a HTTP/1.1\r\nHost: x\r\n\r\n", &used) == 0);
    CHECK_STR(m.path, "/vms/a");
    http_message_fini(&m);
    /* bare LF line endings are accepted */
    CHECK(parse_req(&m, "GET /x HTTP/1.1\nHost: x\n\n", &used) == 0);
    CHECK_STR(m.path, "/x");
    http_message_fini(&m);
}

static void expect_status(const char *s, int status, const char *why)
{
    struct http_message m;
    size_t used;
    int r = parse_req(&m, s, &used);
    if (r != -status)
        fprintf(stderr, "for %s: got %d, expected %d (%s)\n", why, r, -status, m.error);
    CHECK(r == -status);
    CHECK(m.error[0] || r == 0);
    http_message_fini(&m);
}

static void test_rejections(void)
{
    expect_status("GET /\r\n\r\n", 400, "no version");
    expect_status("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2");
    expect_status("GET / HTTP/1.1\r\n\r\n", 400, "no Host");
    expect_status("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400, "bad version");
    expect_status("GET vms HTTP/1.1\r\nHost: x\r\n\r\n", 400, "relative target");
    expect_status("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "obs-fold");
    expect_status("GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400, "space in name");
    expect_status("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "no colon");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  400, "conflicting lengths");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "negative");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400, "CL and TE");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "gzip");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413, "big");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
                  "bad chunk size");
    expect_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "fffffffffff\r\n",
                  413, "huge chunk");
    expect_status("G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad method");
    expect_status("GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n", 400, "control char");

    /* a head that never ends */
    char *big = malloc(HTTP_HEAD_MAX + 100);
    strcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    memset(big + strlen(big), 'a', HTTP_HEAD_MAX);
    big[HTTP_HEAD_MAX + 50] = 0;
    expect_status(big, 431, "huge head");
    free(big);

    /* too many headers */
    char many[8192] = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    expect_status(many, 431, "too many headers");

    /* EOF in the middle */
    struct http_message m;
    size_t used;
    http_message_init(&m, HTTP_REQUEST);
    const char *part = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc";
    CHECK(http_parse(&m, part, strlen(part), true, &used) == -400);
    http_message_fini(&m);
}

static void test_responses(void)
{
    struct http_message m;
    size_t used;
    const char *s = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2\r\n\r\n{}";
    http_message_init(&m, HTTP_RESPONSE);
    CHECK(http_parse(&m, s, strlen(s), false, &used) == 0);
    CHECK(m.status == 404);
    CHECK_STR(m.reason, "Not Found");
    CHECK_STR(m.body, "{}");
    http_message_fini(&m);

    /* delimited by close */
    s = "HTTP/1.0 200 OK\r\n\r\nhello";
    http_message_init(&m, HTTP_RESPONSE);
    CHECK(http_parse(&m, s, strlen(s), false, &used) == HTTP_NEED_MORE);
    CHECK(http_parse(&m, s, strlen(s), true, &used) == 0);
    CHECK_STR(m.body, "hello");
    CHECK(!m.keep_alive);
    http_message_fini(&m);

    /* 204 has no body even without a length */
    s = "HTTP/1.1 204 No Content\r\n\r\n";
    http_message_init(&m, HTTP_RESPONSE);
    CHECK(http_parse(&m, s, strlen(s), false, &used) == 0);
    http_message_fini(&m);
}

static void test_format_roundtrip(void)
{
    size_t len, used;
    char *r =
        http_format_response(409, "application/json", "Allow: GET\r\n", "{\"a\":1}", 7, true, &len);
    struct http_message m;
    http_message_init(&m, HTTP_RESPONSE);
    CHECK(http_parse(&m, r, len, false, &used) == 0 && used == len);
    CHECK(m.status == 409 && m.keep_alive);
    CHECK_STR(http_header(&m, "allow"), "GET");
    CHECK_STR(m.body, "{\"a\":1}");
    http_message_fini(&m);
    free(r);

    r = http_format_request("POST", "/vms/a/start", "rvisord", "{}", 2, &len);
    http_message_init(&m, HTTP_REQUEST);
    CHECK(http_parse(&m, r, len, false, &used) == 0 && used == len);
    CHECK_STR(m.method, "POST");
    CHECK_STR(m.path, "/vms/a/start");
    CHECK_STR(m.body, "{}");
    http_message_fini(&m);
    free(r);
}

static void test_url_decode(void)
{
    char out[16];
    CHECK(http_url_decode("a%2Fb", 5, out, sizeof(out)) == 3);
    CHECK_STR(out, "a/b");
    CHECK(http_url_decode("%zz", 3, out, sizeof(out)) < 0);
    CHECK(http_url_decode("%4", 2, out, sizeof(out)) < 0);
    CHECK(http_url_decode("%", 1, out, sizeof(out)) < 0);
    CHECK(http_url_decode("a%00", 4, out, sizeof(out)) < 0);
    CHECK(http_url_decode("0123456789abcdefgh", 18, out, sizeof(out)) < 0);
    CHECK(http_query_get("a=%zz", "a", out, sizeof(out)) < 0);
    CHECK(http_query_get("flag&b=2", "flag", out, sizeof(out)) == 1);
    CHECK_STR(out, "");
}

int main(void)
{
    test_simple_get();
    test_post_body_split_everywhere();
    test_chunked();
    test_keepalive_rules();
    test_rejections();
    test_responses();
    test_format_roundtrip();
    test_url_decode();
    return check_report();
}
