/* SPDX-License-Identifier: MIT */
/*
 * store: rvisord's files. Every file that holds state is written whole and
 * atomically (temporary file in the same directory, fsync, rename, fsync of
 * the directory), so a crash or full disk at any moment leaves either the
 * old or the new content, never a mix, and no stray temporary file that
 * looks like data (temporaries are named ".NAME.tmp.XXXXXX" and removed on
 * failure or at the next load).
 *
 * Threads: any; callers serialize writes to the same path.
 */
#ifndef RV_DAEMON_STORE_H
#define RV_DAEMON_STORE_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

/* Replace `path` with `len` bytes of `data`, mode `mode`. 0 or -errno with
 * `e` naming the path. */
int store_write_atomic(const char *path, const void *data, size_t len, int mode, struct err *e)
    __attribute__((warn_unused_result));

/* As store_write_atomic, with `j` pretty-printed plus a newline. */
int store_write_json(const char *path, const json_t *j, struct err *e)
    __attribute__((warn_unused_result));

/* Read a whole file of at most `max` bytes into a NUL-terminated malloc'ed
 * buffer. 0 or -errno (-EFBIG if larger) with `e` filled. */
int store_read_file(const char *path, size_t max, char **out, size_t *len, struct err *e)
    __attribute__((warn_unused_result));

/* mkdir -p with `mode` for the directories created. 0 or -errno. */
int store_mkdirs(const char *path, int mode, struct err *e) __attribute__((warn_unused_result));

/* rm -rf of `path` (files, directories; symlinks not followed). 0 or -errno. */
int store_remove_tree(const char *path);

/* Remove `path` and fsync its directory. 0 or -errno (ENOENT is 0). */
int store_unlink(const char *path);

/* Copy regular file `src` to a new file `dst` (not replacing one), keeping
 * holes, fsync'ed, then mode `mode`. Written under a temporary name and
 * renamed. 0 or -errno with `e` naming the file. */
int store_copy_file(const char *src, const char *dst, int mode, struct err *e)
    __attribute__((warn_unused_result));

/* Remove leftover temporaries (".*.tmp.*") in `dir`. */
void store_clean_temporaries(const char *dir);

#endif
