/* SPDX-License-Identifier: MIT */
/*
 * routes: the REST API of src/api/openapi.yaml, mapped onto the daemon's
 * operations. Each request is validated here (path segments, query
 * parameters, body shape and unknown fields), and every failure becomes an
 * error object {"error": {"status", "message", "field"?}} with the status
 * the operation chose: 400 bad input (naming the field), 404 unknown VM or
 * template, 405 wrong method (with Allow), 409 wrong state or name taken,
 * 500 host-side failure.
 *
 * Threads: any API thread; the operations take d->lock themselves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/http.h"
#include "api/jsonx.h"
#include "daemon/daemon.h"
#include "util/alloc.h"

#define MAX_SEGS 4

struct req {
    struct daemon *d;
    const char *method;
    const char *query;
    const char *body;
    size_t body_len;
    int nsegs;
    char segs[MAX_SEGS][256];
};

void api_response_fini(struct api_response *rs)
{
    json_decref(rs->json);
    free(rs->text);
    memset(rs, 0, sizeof(*rs));
}

static void reply(struct api_response *rs, int status, json_t *j)
{
    rs->status = status;
    rs->json = j;
}

static void reply_err(struct api_response *rs, const struct api_err *ae)
{
    int status = ae->status ? ae->status : 500;
    json_t *err = json_pack("{s:i, s:s}", "status", status, "message",
                            ae->e.set ? ae->e.msg : "internal error");
    if (ae->field[0])
        json_object_set_new(err, "field", json_string(ae->field));
    reply(rs, status, json_pack("{s:o}", "error", err));
}

static void fail(struct api_response *rs, int status, const char *field, const char *fmt,
                 const char *arg)
{
    struct api_err ae = {.status = status};
    snprintf(ae.field, sizeof(ae.field), "%s", field ? field : "");
    err_set(&ae.e, fmt, arg);
    reply_err(rs, &ae);
}

/* The body as a JSON object; an empty body is {} when `optional`. */
static json_t *body_object(struct req *rq, struct api_response *rs, bool optional)
{
    if (rq->body_len == 0) {
        if (optional)
            return json_object();
        fail(rs, 400, NULL, "request body: expected a JSON object%s", "");
        return NULL;
    }
    struct err e = {0};
    json_t *j = jsonx_parse_object(rq->body, rq->body_len, &e);
    if (!j)
        fail(rs, 400, NULL, "request body: %s", e.msg);
    return j;
}

static bool method_is(struct req *rq, struct api_response *rs, const char *allow)
{
    /* allow: "GET", "POST", "GET, POST", "GET, DELETE" */
    char list[32];
    snprintf(list, sizeof(list), "%s", allow);
    for (char *m = strtok(list, ", "); m; m = strtok(NULL, ", "))
        if (!strcmp(m, rq->method))
            return true;
    fail(rs, 405, NULL, "method not allowed here (allowed: %s)", allow);
    rs->allow = allow;
    return false;
}

/* ---- /vms ------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
    return strcmp(x, y);
}

static json_t *sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = xcalloc(n ? n : 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(arr, i));
    qsort(items, n, sizeof(*items), by_name);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, items[i]);
    free(items);
    json_decref(arr);
    return out;
}

/* A collection: GET lists every item (sorted by name) under `key`; POST
 * makes one with `create`. */
struct collection {
    const char *key;
    void (*list)(struct daemon *d, json_t *a); /* lock held: append each item */
    int (*create)(struct daemon *d, json_t *body, json_t **out, struct api_err *ae);
};

/* An operation's outcome: `status` with `out`, or the error. */
static void reply_result(struct api_response *rs, int r, int status, json_t *out,
                         const struct api_err *ae)
{
    if (r < 0)
        reply_err(rs, ae);
    else
        reply(rs, status, out);
}

/* POST with a JSON object body that makes something: 201 with it. `c`
 * makes an item of that collection, unless `tname` asks for a clone of that
 * template. */
static void create(struct req *rq, struct api_response *rs, const struct collection *c,
                   const char *tname)
{
    json_t *body = body_object(rq, rs, false);
    if (!body)
        return;
    struct api_err ae = {0};
    json_t *out = NULL;
    int r =
        tname ? dtemplate_clone(rq->d, tname, body, &out, &ae) : c->create(rq->d, body, &out, &ae);
    reply_result(rs, r, 201, out, &ae);
    json_decref(body);
}

static void collection(struct req *rq, struct api_response *rs, const struct collection *c)
{
    struct daemon *d = rq->d;
    if (!method_is(rq, rs, "GET, POST"))
        return;
    if (!strcmp(rq->method, "GET")) {
        json_t *a = json_array();
        pthread_mutex_lock(&d->lock);
        c->list(d, a);
        pthread_mutex_unlock(&d->lock);
        reply(rs, 200, json_pack("{s:o}", c->key, sorted(a)));
        return;
    }
    create(rq, rs, c, NULL);
}

static void list_vms(struct daemon *d, json_t *a)
{
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        json_array_append_new(a, dvm_summary(d, vm));
}

static const struct collection vms = {"vms", list_vms, dvm_define};

/* DELETE of an item: {"deleted": NAME}. */
static void reply_deleted(struct api_response *rs, int r, const char *name,
                          const struct api_err *ae)
{
    reply_result(rs, r, 200, r < 0 ? NULL : json_pack("{s:s}", "deleted", name), ae);
}

static json_t *summary_of(struct daemon *d, const char *name)
{
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    json_t *j = vm ? dvm_summary(d, vm) : json_object();
    pthread_mutex_unlock(&d->lock);
    return j;
}

static void vm_item(struct req *rq, struct api_response *rs, const char *name)
{
    if (!method_is(rq, rs, "GET, DELETE"))
        return;
    struct api_err ae = {0};
    if (!strcmp(rq->method, "GET")) {
        json_t *j = dvm_info(rq->d, name, &ae);
        if (j)
            reply(rs, 200, j);
        else
            reply_err(rs, &ae);
        return;
    }
    reply_deleted(rs, dvm_undefine(rq->d, name, &ae), name, &ae);
}

/* POST /vms/NAME/stop body: {"force": bool, "timeout_s": int}. */
static int stop_options(json_t *body, bool *force, int *timeout, struct api_err *ae)
{
    static const char *const keys[] = {"force", "timeout_s", NULL};
    const char *bad = jsonx_unknown_key(body, keys);
    int64_t t = *timeout;
    if (bad) {
        snprintf(ae->field, sizeof(ae->field), "%s", bad);
        return api_fail(ae, 400, "%s: unknown field (stop takes force and timeout_s)", bad);
    }
    if (jsonx_get_bool(body, "", "force", force, &ae->e) < 0) {
        snprintf(ae->field, sizeof(ae->field), "force");
        return api_fail(ae, 400, "%s", ae->e.msg);
    }
    if (jsonx_get_int(body, "", "timeout_s", 1, 3600, &t, &ae->e) < 0) {
        snprintf(ae->field, sizeof(ae->field), "timeout_s");
        return api_fail(ae, 400, "%s", ae->e.msg);
    }
    *timeout = (int)t;
    return 0;
}

static void vm_action(struct req *rq, struct api_response *rs, const char *name, const char *action)
{
    static const char *const actions[] = {"start", "stop", "reboot", "pause", "resume", NULL};
    bool known = false;
    for (int i = 0; actions[i]; i++)
        known |= !strcmp(actions[i], action);
    if (!known) {
        fail(rs, 404, NULL, "no such VM action \"%s\" (start, stop, reboot, pause, resume)",
             action);
        return;
    }
    if (!method_is(rq, rs, "POST"))
        return;
    json_t *body = body_object(rq, rs, true);
    if (!body)
        return;
    struct api_err ae = {0};
    int r;
    if (!strcmp(action, "stop")) {
        bool force = false;
        int timeout = rq->d->cfg.stop_timeout_s;
        r = stop_options(body, &force, &timeout, &ae);
        if (r == 0)
            r = dvm_stop(rq->d, name, force, timeout, &ae);
    } else if (json_object_size(body)) {
        const char *bad = jsonx_unknown_key(body, (const char *const[]){NULL});
        snprintf(ae.field, sizeof(ae.field), "%s", bad);
        r = api_fail(&ae, 400, "%s: unknown field (%s takes no options)", bad, action);
    } else if (!strcmp(action, "start")) {
        r = dvm_start(rq->d, name, &ae);
    } else {
        enum ctl_type t = !strcmp(action, "pause")    ? CTL_PAUSE
                          : !strcmp(action, "resume") ? CTL_RESUME
                                                      : CTL_REBOOT;
        r = dvm_control(rq->d, name, t, &ae);
    }
    json_decref(body);
    if (r < 0)
        reply_err(rs, &ae);
    else
        reply(rs, 200, summary_of(rq->d, name));
}

/* ---- /templates ------------------------------------------------------------- */

static void list_templates(struct daemon *d, json_t *a)
{
    for (struct dtemplate *t = d->templates; t; t = t->next)
        json_array_append_new(a, dtemplate_json(d, t));
}

static const struct collection templates = {"templates", list_templates, dtemplate_create};

static void template_item(struct req *rq, struct api_response *rs, const char *name)
{
    struct daemon *d = rq->d;
    if (!method_is(rq, rs, "GET, DELETE"))
        return;
    struct api_err ae = {0};
    if (!strcmp(rq->method, "DELETE")) {
        reply_deleted(rs, dtemplate_delete(d, name, &ae), name, &ae);
        return;
    }
    pthread_mutex_lock(&d->lock);
    struct dtemplate *t = dtemplate_find(d, name);
    json_t *j = t ? dtemplate_json(d, t) : NULL;
    pthread_mutex_unlock(&d->lock);
    if (j)
        reply(rs, 200, j);
    else
        fail(rs, 404, NULL, "no template named \"%s\"", name);
}

static void template_clone(struct req *rq, struct api_response *rs, const char *name)
{
    if (method_is(rq, rs, "POST"))
        create(rq, rs, NULL, name);
}

/* ---- the rest ----------------------------------------------------------------- */

static bool query_int(struct req *rq, struct api_response *rs, const char *key, long long min,
                      long long max, long long *out)
{
    char v[32];
    int r = http_query_get(rq->query, key, v, sizeof(v));
    if (r == 0)
        return true;
    char *end;
    long long n = r > 0 ? strtoll(v, &end, 10) : 0;
    if (r < 0 || !v[0] || *end || n < min || n > max) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s: expected an integer from %lld to %lld", key, min, max);
        fail(rs, 400, key, "%s", msg);
        return false;
    }
    *out = n;
    return true;
}

static void events(struct req *rq, struct api_response *rs)
{
    if (!method_is(rq, rs, "GET"))
        return;
    long long since = 0, limit = 100;
    char vm[VMDEF_NAME_MAX + 2] = "";
    if (!query_int(rq, rs, "since", 0, INT64_MAX, &since) ||
        !query_int(rq, rs, "limit", 1, 4096, &limit))
        return;
    int r = http_query_get(rq->query, "vm", vm, sizeof(vm));
    if (r < 0 || (r > 0 && !vmdef_name_valid(vm))) {
        fail(rs, 400, "vm", "vm: \"%s\" is not a valid VM name", vm);
        return;
    }
    pthread_mutex_lock(&rq->d->lock);
    json_t *a = events_query(rq->d, (uint64_t)since, r > 0 ? vm : NULL, (int)limit);
    uint64_t last = events_last_seq(rq->d);
    pthread_mutex_unlock(&rq->d->lock);
    reply(rs, 200, json_pack("{s:o, s:I}", "events", a, "last_seq", (json_int_t)last));
}

static void metrics(struct req *rq, struct api_response *rs)
{
    if (!method_is(rq, rs, "GET"))
        return;
    pthread_mutex_lock(&rq->d->lock);
    rs->text = metrics_render(rq->d);
    pthread_mutex_unlock(&rq->d->lock);
    rs->status = 200;
    rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void host(struct req *rq, struct api_response *rs)
{
    struct daemon *d = rq->d;
    if (!method_is(rq, rs, "GET"))
        return;
    char name[256] = "localhost";
    gethostname(name, sizeof(name) - 1);
    int total = 0, running = 0, templates = 0;
    pthread_mutex_lock(&d->lock);
    for (struct dvm *vm = d->vms; vm; vm = vm->next) {
        total++;
        running += vm->pid > 0;
    }
    for (struct dtemplate *t = d->templates; t; t = t->next)
        templates++;
    pthread_mutex_unlock(&d->lock);
    reply(rs, 200,
          json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:I}", "hostname", name,
                    "version", DAEMON_VERSION, "api_version", DAEMON_API_VERSION, "vms", total,
                    "running", running, "templates", templates, "pid", (int)getpid(), "state_dir",
                    d->state_dir, "rvisor", d->rvisor, "started_at", (json_int_t)d->started_at));
}

/* Split and %-decode the path into rq->segs; false (and 400/404) if bad. */
static bool split_path(struct req *rq, const char *path, struct api_response *rs)
{
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        if (rq->nsegs == MAX_SEGS) {
            fail(rs, 404, NULL, "no such endpoint: %s", path);
            return false;
        }
        if (http_url_decode(p, len, rq->segs[rq->nsegs], sizeof(rq->segs[0])) < 0) {
            fail(rs, 400, NULL, "malformed path: %s", path);
            return false;
        }
        rq->nsegs++;
        p += len;
    }
    return true;
}

/* Names in paths must be valid names: "/vms/..%2f" never reaches a handler. */
static bool name_ok(struct api_response *rs, const char *kind, const char *name)
{
    if (vmdef_name_valid(name))
        return true;
    char msg[400];
    snprintf(msg, sizeof(msg), "no %s named \"%.200s\" (not a valid name)", kind, name);
    fail(rs, 404, NULL, "%s", msg);
    return false;
}

void routes_dispatch(struct daemon *d, const char *method, const char *path, const char *query,
                     const char *body, size_t body_len, struct api_response *rs)
{
    struct req rq = {.d = d, .method = method, .query = query, .body = body, .body_len = body_len};
    memset(rs, 0, sizeof(*rs));
    pthread_mutex_lock(&d->lock);
    d->requests_total++;
    pthread_mutex_unlock(&d->lock);
    if (!split_path(&rq, path, rs))
        return;
    const char *s0 = rq.nsegs > 0 ? rq.segs[0] : "", *s1 = rq.segs[1], *s2 = rq.segs[2];
    if (rq.nsegs == 0 || (rq.nsegs == 1 && !strcmp(s0, "version"))) {
        if (method_is(&rq, rs, "GET"))
            reply(rs, 200,
                  json_pack("{s:s, s:i}", "version", DAEMON_VERSION, "api_version",
                            DAEMON_API_VERSION));
    } else if (rq.nsegs == 1 && !strcmp(s0, "host")) {
        host(&rq, rs);
    } else if (rq.nsegs == 1 && !strcmp(s0, "metrics")) {
        metrics(&rq, rs);
    } else if (rq.nsegs == 1 && !strcmp(s0, "events")) {
        events(&rq, rs);
    } else if (!strcmp(s0, "vms")) {
        if (rq.nsegs == 1)
            collection(&rq, rs, &vms);
        else if (!name_ok(rs, "VM", s1))
            return;
        else if (rq.nsegs == 2)
            vm_item(&rq, rs, s1);
        else if (rq.nsegs == 3)
            vm_action(&rq, rs, s1, s2);
        else
            fail(rs, 404, NULL, "no such endpoint: %s", path);
    } else if (!strcmp(s0, "templates")) {
        if (rq.nsegs == 1)
            collection(&rq, rs, &templates);
        else if (!name_ok(rs, "template", s1))
            return;
        else if (rq.nsegs == 2)
            template_item(&rq, rs, s1);
        else if (rq.nsegs == 3 && !strcmp(s2, "clone"))
            template_clone(&rq, rs, s1);
        else
            fail(rs, 404, NULL, "no such endpoint: %s", path);
    } else {
        fail(rs, 404, NULL, "no such endpoint: %s", path);
    }
}
