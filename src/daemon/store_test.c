/* SPDX-License-Identifier: MIT */
/*
 * store_test: rvisord's file layer. Atomic writes replace content whole,
 * with the requested mode, leave no temporary behind whether they succeed or
 * fail, and a failed write keeps the old content; reads refuse oversized
 * files; directory helpers and the sparse-preserving copy do what they say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "api/check.h"
#include "daemon/store.h"

static char dir[64];

static int count_entries(const char *d)
{
    DIR *dh = opendir(d);
    int n = 0;
    struct dirent *de;
    while (dh && (de = readdir(dh)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    if (dh)
        closedir(dh);
    return n;
}

static void test_atomic_write(void)
{
    char path[128], *buf;
    size_t len;
    struct err e = {0};
    snprintf(path, sizeof(path), "%s/a.json", dir);
    CHECK(store_write_atomic(path, "first", 5, 0600, &e) == 0);
    CHECK(store_read_file(path, 100, &buf, &len, &e) == 0 && len == 5 && !strcmp(buf, "first"));
    free(buf);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(store_write_atomic(path, "second!", 7, 0644, &e) == 0);
    CHECK(store_read_file(path, 100, &buf, &len, &e) == 0 && !strcmp(buf, "second!"));
    free(buf);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK(count_entries(dir) == 1); /* no temporaries left */

    /* json: pretty, newline-terminated, loadable */
    json_t *j = json_pack("{s:i}", "x", 1);
    CHECK(store_write_json(path, j, &e) == 0);
    json_decref(j);
    j = json_load_file(path, 0, NULL);
    CHECK(j && json_integer_value(json_object_get(j, "x")) == 1);
    json_decref(j);
}

static void test_failed_write_keeps_old(void)
{
    char path[128], sub[160];
    struct err e = {0};
    /* the target is a non-empty directory: rename must fail */
    snprintf(path, sizeof(path), "%s/blocked", dir);
    snprintf(sub, sizeof(sub), "%s/inside", path);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(store_write_atomic(sub, "x", 1, 0600, &e) == 0);
    int before = count_entries(dir);
    CHECK(store_write_atomic(path, "new", 3, 0600, &e) < 0);
    CHECK_CONTAINS(e.msg, path);
    CHECK(count_entries(dir) == before); /* temporary removed */
    struct stat st;
    CHECK(stat(sub, &st) == 0); /* old content intact */
    err_clear(&e);
    CHECK(store_write_atomic("/nonexistent-dir/x.json", "x", 1, 0600, &e) < 0);
    CHECK_CONTAINS(e.msg, "/nonexistent-dir/x.json");
    CHECK(store_remove_tree(path) == 0);
    CHECK(access(path, F_OK) < 0);
}

static void test_read_limits(void)
{
    char path[128], *buf;
    size_t len;
    struct err e = {0};
    snprintf(path, sizeof(path), "%s/big", dir);
    CHECK(store_write_atomic(path, "0123456789", 10, 0600, &e) == 0);
    CHECK(store_read_file(path, 9, &buf, &len, &e) == -EFBIG);
    err_clear(&e);
    CHECK(store_read_file("/nonexistent", 9, &buf, &len, &e) == -ENOENT);
    CHECK_CONTAINS(e.msg, "/nonexistent");
    CHECK(store_unlink(path) == 0);
    CHECK(store_unlink(path) == 0); /* already gone is fine */
}

static void test_dirs_and_temporaries(void)
{
    char path[128], tmp[160];
    struct err e = {0};
    snprintf(path, sizeof(path), "%s/x/y/z", dir);
    CHECK(store_mkdirs(path, 0700, &e) == 0);
    CHECK(store_mkdirs(path, 0700, &e) == 0);
    snprintf(tmp, sizeof(tmp), "%s/x/.a.json.tmp.abc123", dir);
    int fd = open(tmp, O_CREAT | O_WRONLY, 0600);
    close(fd);
    snprintf(path, sizeof(path), "%s/x", dir);
    store_clean_temporaries(path);
    CHECK(access(tmp, F_OK) < 0);
    CHECK(store_remove_tree(path) == 0);
    CHECK(access(path, F_OK) < 0);
}

static void test_sparse_copy(void)
{
    char src[128], dst[128];
    struct err e = {0};
    snprintf(src, sizeof(src), "%s/src.img", dir);
    snprintf(dst, sizeof(dst), "%s/dst.img", dir);
    int fd = open(src, O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 64 << 20) == 0);
    char block[4096];
    memset(block, 0xab, sizeof(block));
    CHECK(pwrite(fd, block, sizeof(block), 32 << 20) == (ssize_t)sizeof(block));
    CHECK(pwrite(fd, "tail", 4, (64 << 20) - 4) == 4);
    close(fd);
    CHECK(store_copy_file(src, dst, 0444, &e) == 0);
    struct stat st;
    CHECK(stat(dst, &st) == 0 && st.st_size == (64 << 20) && (st.st_mode & 0777) == 0444);
    CHECK(st.st_blocks * 512 < (8 << 20)); /* the holes stayed holes */
    fd = open(dst, O_RDONLY);
    char got[4096];
    CHECK(pread(fd, got, sizeof(got), 32 << 20) == (ssize_t)sizeof(got));
    CHECK(!memcmp(got, block, sizeof(got)));
    CHECK(pread(fd, got, 4, (64 << 20) - 4) == 4 && !memcmp(got, "tail", 4));
    CHECK(pread(fd, got, 16, 1 << 20) == 16 && got[0] == 0 && got[15] == 0);
    close(fd);
    err_clear(&e);
    CHECK(store_copy_file(src, dst, 0444, &e) == -EEXIST); /* never replaces */
    err_clear(&e);
    CHECK(store_copy_file(dir, dst, 0444, &e) < 0); /* not a regular file */
    unlink(src);
    unlink(dst);
}

int main(void)
{
    strcpy(dir, "/tmp/store_test.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    test_atomic_write();
    test_failed_write_keeps_old();
    test_read_limits();
    test_dirs_and_temporaries();
    test_sparse_copy();
    store_remove_tree(dir);
    return check_report();
}
