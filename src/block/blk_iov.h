/* SPDX-License-Identifier: MIT */
/*
 * blk_iov: small helpers over struct iovec arrays for the block drivers
 * (internal to block/): total size, copies in and out at a byte offset,
 * zero fill, and slicing a byte range into a new iovec array so that one
 * preadv/pwritev can serve a run of contiguous clusters.
 *
 * No state; callers own all arrays. Offsets past the end are clamped.
 */
#ifndef RV_BLOCK_BLK_IOV_H
#define RV_BLOCK_BLK_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Sum of the lengths; SIZE_MAX if it overflows. */
size_t blk_iov_size(const struct iovec *iov, int cnt);

/* Copy `len` bytes from `buf` into the iov, starting `skip` bytes in. */
void blk_iov_from_buf(const struct iovec *iov, int cnt, size_t skip, const void *buf, size_t len);

/* Copy `len` bytes out of the iov, starting `skip` bytes in, into `buf`. */
void blk_iov_to_buf(const struct iovec *iov, int cnt, size_t skip, void *buf, size_t len);

/* Fill `len` bytes of the iov, starting `skip` bytes in, with zeros. */
void blk_iov_zero(const struct iovec *iov, int cnt, size_t skip, size_t len);

/* Describe bytes [skip, skip+len) of the iov in `dst` (at most `dstmax`
 * elements). Returns the element count, or -1 if `dstmax` is too small. */
int blk_iov_slice(struct iovec *dst, int dstmax, const struct iovec *iov, int cnt, size_t skip,
                  size_t len);

/* True if every base and length is a multiple of `align` (a power of two). */
bool blk_iov_aligned(const struct iovec *iov, int cnt, size_t align);

#endif
