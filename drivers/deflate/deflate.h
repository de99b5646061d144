/* Raw deflate (RFC 1951) for the head-end uplink: Debian's zlib (deps/zlib-*), compiled into the
 * firmware with a small window and memLevel so that one compression needs a few KB of heap,
 * allocated for the call and freed after it (docs/headend.md gives the figures). */
#ifndef DEFLATE_H
#define DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Window 2^9 = 512 bytes (zlib's smallest for raw deflate), memLevel 1: zlib's own estimate is
 * (1 << (windowBits + 2)) + (1 << (memLevel + 9)) = 3 KB plus its ~5.8 KB deflate_state. */
#ifndef DEFLATE_WINDOW_BITS
#define DEFLATE_WINDOW_BITS 9
#endif
#ifndef DEFLATE_MEM_LEVEL
#define DEFLATE_MEM_LEVEL 1
#endif
#ifndef DEFLATE_LEVEL
#define DEFLATE_LEVEL 6
#endif

#define DEFLATE_OK       0
#define DEFLATE_E_MEMORY (-1) /* the heap could not give zlib its state */
#define DEFLATE_E_SPACE  (-2) /* out too small (use deflate_bound) */
#define DEFLATE_E_ZLIB   (-3)

/* Worst-case compressed size of n bytes. */
size_t deflate_bound(size_t n);
/* Compresses in[0..n) into out[0..cap); *written gets the compressed size. */
int deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *written);

typedef struct {
	uint32_t calls;
	uint32_t failures;
	uint32_t bytes_in;
	uint32_t bytes_out;
	uint32_t heap_peak; /* most bytes zlib held at once */
} deflate_stats_t;
const deflate_stats_t *deflate_stats(void);

#endif
