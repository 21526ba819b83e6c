/* SPDX-License-Identifier: MIT */
/*
 * offload: the work a NIC does for a driver that uses checksum and TCP
 * segmentation offload (virtio 1.2 §5.1.6.2), done in software on a frame
 * in a host buffer before it goes to a back end that expects finished
 * frames (slirp, a TAP fd without IFF_VNET_HDR):
 *   - offload_csum() completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM);
 *   - offload_segment() cuts a TSO frame (GSO_TCPV4/TCPV6) into MSS-sized
 *     TCP segments with their own IP and TCP headers and full checksums.
 *   - offload_ack_replaces() tells whether a pure TCP ACK makes an earlier,
 *     not yet delivered one of the same connection redundant (receive-side
 *     ACK coalescing: the guest then processes one cumulative ACK instead
 *     of one per segment it sent).
 * Every length, offset and header field is guest-controlled: the frame is
 * parsed here (Ethernet, one optional 802.1Q tag, IPv4 or IPv6 without
 * extension headers, TCP), never taken on trust from hdr_len or
 * csum_start; a frame that does not parse is rejected whole.
 *
 * Pure functions on caller memory; any thread.
 */
#ifndef RV_NET_OFFLOAD_H
#define RV_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr flags and gso_type (virtio 1.2 §5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* Called once per finished segment; the bytes are valid only during the call. */
typedef void (*offload_emit_fn)(void *opaque, const uint8_t *frame, size_t len);

/* Internet checksum (RFC 1071) helpers: offload_csum_add() adds `len`
 * bytes that start at an even offset of the checksummed data to a running
 * 32-bit sum; offload_csum_fold() folds it and returns the one's
 * complement, ready to store big-endian. */
uint32_t offload_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t offload_csum_fold(uint32_t sum);

/* Complete the checksum of a NEEDS_CSUM frame: sum bytes [start, len), which
 * include the driver's pseudo-header sum in the field at start + offset,
 * and store the result there. 0, or -EINVAL if the field does not lie
 * inside the frame. */
int offload_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t offset)
    __attribute__((warn_unused_result));

/* Segment a TSO frame of type `gso_type` (VIRTIO_NET_HDR_GSO_TCPV4 or
 * TCPV6, without the ECN bit) into TCP segments of at most `mss` payload
 * bytes and call emit() for each, in order. The frame buffer is scratch:
 * its contents are destroyed. Returns the number of segments, or -EINVAL
 * (nothing emitted) if the frame is not a well-formed TCP packet of that
 * type or mss is 0. A frame with no payload is emitted once, checksummed. */
int offload_segment(uint8_t *frame, size_t len, unsigned gso_type, uint16_t mss,
                    offload_emit_fn emit, void *opaque) __attribute__((warn_unused_result));

/* True if frame `b` is a pure TCP ACK (IPv4 without options or IPv6
 * without extension headers; flags exactly ACK; no payload; no TCP options
 * but NOP and timestamps, so no SACK) of the same connection as the pure
 * ACK `a`, acknowledging strictly more. Then `a` may be dropped in favour
 * of `b`: TCP acknowledgements are cumulative and `b` carries the newer
 * window. Duplicate ACKs (same number) are never merged, so fast
 * retransmit still sees them. Any frame that does not parse gives false. */
bool offload_ack_replaces(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
