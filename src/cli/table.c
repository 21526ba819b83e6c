/* SPDX-License-Identifier: MIT */
/*
 * table: rvctl's human output: left-aligned columns as wide as their widest
 * cell, two spaces apart, headers in capitals (docker/virsh style), plus the
 * byte and duration formats the tables use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"

struct table {
    int ncols, nrows;
    char **cells; /* (nrows + 1) * ncols, headers first */
};

struct table *table_new(int ncols, const char *const *headers)
{
    struct table *t = xzalloc(sizeof(*t));
    t->ncols = ncols;
    t->cells = xcalloc((size_t)ncols, sizeof(char *));
    for (int i = 0; i < ncols; i++)
        t->cells[i] = xstrdup(headers[i]);
    return t;
}

void table_add(struct table *t, const char *const *cells)
{
    t->nrows++;
    t->cells = xrealloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof(char *));
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
}

void table_print(struct table *t, FILE *f)
{
    size_t *w = xcalloc((size_t)t->ncols, sizeof(size_t));
    for (int r = 0; r <= t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t n = strlen(t->cells[r * t->ncols + c]);
            if (n > w[c])
                w[c] = n;
        }
    for (int r = 0; r <= t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c == t->ncols - 1)
                fprintf(f, "%s", s);
            else
                fprintf(f, "%-*s  ", (int)w[c], s);
        }
        fputc('\n', f);
    }
    for (int i = 0; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(w);
    free(t);
}

/* Divide by 1024 while `*v` is at least `limit`: the unit's index (0: B,
 * up to 4: TiB). */
static int scale(double *v, double limit)
{
    int u = 0;
    while (*v >= limit && u < 4) {
        *v /= 1024;
        u++;
    }
    return u;
}

void fmt_bytes(char *out, size_t size, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = scale(&bytes, 1024);
    if (u == 0 || bytes >= 100)
        snprintf(out, size, "%.0f %s", bytes, units[u]);
    else
        snprintf(out, size, "%.1f %s", bytes, units[u]);
}

void fmt_bytes_short(char *out, size_t size, double bytes)
{
    int u = scale(&bytes, 1000);
    if (u == 0)
        snprintf(out, size, bytes > 0 ? "%.0fB" : "0", bytes);
    else
        snprintf(out, size, bytes < 9.95 ? "%.1f%c" : "%.0f%c", bytes, "BKMGT"[u]);
}

void fmt_or_dash(char *out, size_t size, const json_t *v, void (*fmt)(char *, size_t, double))
{
    if (json_is_number(v))
        fmt(out, size, json_number_value(v));
    else
        snprintf(out, size, "-");
}

void fmt_duration(char *out, size_t size, double seconds)
{
    long s = (long)seconds;
    if (s >= 86400)
        snprintf(out, size, "%ldd%ldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(out, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, size, "%lds", s);
}
