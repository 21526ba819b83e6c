/* SPDX-License-Identifier: MIT */
/*
 * jsonx: helpers over jansson. See jsonx.h.
 */
#include "api/jsonx.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/alloc.h"

char *jsonx_dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!s)
        s = xstrdup("null");
    return s;
}

char *jsonx_line(const json_t *j)
{
    char *s = jsonx_dump(j);
    size_t n = strlen(s);
    char *line = xmalloc(n + 2);
    memcpy(line, s, n);
    line[n] = '\n';
    line[n + 1] = 0;
    free(s);
    return line;
}

const char *jsonx_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

json_t *jsonx_parse_object(const char *text, size_t len, struct err *e)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        err_set(e, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        err_set(e, "expected a JSON object, got %s", jsonx_type_name(j));
        json_decref(j);
        return NULL;
    }
    return j;
}

int jsonx_get_str(const json_t *o, const char *prefix, const char *key, const char **out,
                  size_t maxlen, struct err *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v)) {
        err_set(e, "%s%s: expected a string, got %s", prefix, key, jsonx_type_name(v));
        return -EINVAL;
    }
    size_t n = json_string_length(v);
    if (n > maxlen) {
        err_set(e, "%s%s: longer than %zu characters", prefix, key, maxlen);
        return -EINVAL;
    }
    if (strlen(json_string_value(v)) != n) {
        err_set(e, "%s%s: contains a NUL character", prefix, key);
        return -EINVAL;
    }
    *out = json_string_value(v);
    return 0;
}

int jsonx_get_int(const json_t *o, const char *prefix, const char *key, int64_t min, int64_t max,
                  int64_t *out, struct err *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_integer(v)) {
        err_set(e, "%s%s: expected an integer, got %s", prefix, key, jsonx_type_name(v));
        return -EINVAL;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        err_set(e, "%s%s: %" PRId64 " is outside %" PRId64 "..%" PRId64, prefix, key, (int64_t)n,
                min, max);
        return -EINVAL;
    }
    *out = n;
    return 0;
}

int jsonx_get_bool(const json_t *o, const char *prefix, const char *key, bool *out, struct err *e)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        err_set(e, "%s%s: expected true or false, got %s", prefix, key, jsonx_type_name(v));
        return -EINVAL;
    }
    *out = json_is_true(v);
    return 0;
}

const char *jsonx_unknown_key(const json_t *o, const char *const *known)
{
    for (void *it = json_object_iter((json_t *)o); it;
         it = json_object_iter_next((json_t *)o, it)) {
        const char *key = json_object_iter_key(it);
        bool found = false;
        for (int i = 0; known[i]; i++)
            if (!strcmp(known[i], key))
                found = true;
        if (!found)
            return key;
    }
    return NULL;
}
