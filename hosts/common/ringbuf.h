/* Lock-free single-producer / single-consumer byte ring (ISR -> main loop).
 *
 * One context only calls ringbuf_put (the producer, e.g. a UART RX interrupt), one only calls
 * ringbuf_read / ringbuf_count (the consumer). head and tail run freely and wrap modulo 2^32;
 * the capacity must be a power of two so that head - tail is the fill level even across the
 * wrap. The release store of head publishes the byte before the index; the acquire load on the
 * other side pairs with it (a DMB on Cortex-M, needed there only for multi-master systems, but
 * it also keeps the compiler from reordering and makes the header correct on the Linux host). */
#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t *buf;
	uint32_t mask;          /* capacity - 1 */
	uint32_t head;          /* written by the producer only */
	uint32_t tail;          /* written by the consumer only */
} ringbuf_t;

#define RINGBUF_IS_POW2(n) ((n) >= 2 && ((n) & ((n) - 1)) == 0)

static inline void ringbuf_init(ringbuf_t *r, uint8_t *storage, uint32_t capacity)
{
	r->buf = storage;
	r->mask = capacity - 1;   /* capacity checked by the caller with RINGBUF_IS_POW2 */
	r->head = 0;
	r->tail = 0;
}

/* Producer: returns 0 when the ring is full (the caller counts the drop). */
static inline int ringbuf_put(ringbuf_t *r, uint8_t byte)
{
	uint32_t head = r->head;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (head - tail > r->mask)
		return 0;
	r->buf[head & r->mask] = byte;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

/* Consumer side. */
static inline size_t ringbuf_count(const ringbuf_t *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - r->tail;
}

static inline size_t ringbuf_read(ringbuf_t *r, void *dst, size_t max)
{
	uint8_t *out = dst;
	uint32_t tail = r->tail;
	uint32_t avail = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - tail;
	size_t n = avail < max ? avail : max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->buf[(tail + i) & r->mask];
	__atomic_store_n(&r->tail, tail + (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}

#endif
