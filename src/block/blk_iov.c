/* SPDX-License-Identifier: MIT */
/*
 * blk_iov: iovec helpers for the block drivers. See blk_iov.h.
 */
#include "block/blk_iov.h"

#include <stdint.h>
#include <string.h>

size_t blk_iov_size(const struct iovec *iov, int cnt)
{
    size_t total = 0;
    for (int i = 0; i < cnt; i++) {
        if (iov[i].iov_len > SIZE_MAX - total)
            return SIZE_MAX;
        total += iov[i].iov_len;
    }
    return total;
}

/* Walk the iov from byte `skip` for `len` bytes, calling `fn` per piece. */
static void walk(const struct iovec *iov, int cnt, size_t skip, size_t len,
                 void (*fn)(void *piece, size_t n, size_t done, void *arg), void *arg)
{
    size_t done = 0;
    for (int i = 0; i < cnt && done < len; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        size_t n = l - skip;
        if (n > len - done)
            n = len - done;
        fn((uint8_t *)iov[i].iov_base + skip, n, done, arg);
        done += n;
        skip = 0;
    }
}

static void piece_from(void *piece, size_t n, size_t done, void *arg)
{
    memcpy(piece, (const uint8_t *)arg + done, n);
}

static void piece_to(void *piece, size_t n, size_t done, void *arg)
{
    memcpy((uint8_t *)arg + done, piece, n);
}

static void piece_zero(void *piece, size_t n, size_t done, void *arg)
{
    (void)done;
    (void)arg;
    memset(piece, 0, n);
}

void blk_iov_from_buf(const struct iovec *iov, int cnt, size_t skip, const void *buf, size_t len)
{
    walk(iov, cnt, skip, len, piece_from, (void *)buf);
}

void blk_iov_to_buf(const struct iovec *iov, int cnt, size_t skip, void *buf, size_t len)
{
    walk(iov, cnt, skip, len, piece_to, buf);
}

void blk_iov_zero(const struct iovec *iov, int cnt, size_t skip, size_t len)
{
    walk(iov, cnt, skip, len, piece_zero, NULL);
}

int blk_iov_slice(struct iovec *dst, int dstmax, const struct iovec *iov, int cnt, size_t skip,
                  size_t len)
{
    int n = 0;
    size_t done = 0;
    for (int i = 0; i < cnt && done < len; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        size_t take = l - skip;
        if (take > len - done)
            take = len - done;
        if (n == dstmax)
            return -1;
        dst[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
        dst[n].iov_len = take;
        n++;
        done += take;
        skip = 0;
    }
    return n;
}

bool blk_iov_aligned(const struct iovec *iov, int cnt, size_t align)
{
    for (int i = 0; i < cnt; i++)
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1))
            return false;
    return true;
}
