/*
 * Host harness for drivers/fwimage: verifies one signed image file through the read callback,
 * as the device will read a flash slot.
 *
 *   fwimage_check IMAGE PART ROLE COUNTER [AREA_SIZE]
 *     PART 0..3 (IMAGE_PART_*), ROLE 0..2 (FWIMAGE_ROLE_*), COUNTER the device's security counter,
 *     AREA_SIZE the slot size (default: the file's size).
 *   -> "OK part=P role=R counter=C version=M.m.r+b key=K reads=N max_read=B heap_peak=H"
 *   -> "REFUSED <code> <reason text>"   (exit 1)
 * mbed TLS's calloc is routed (hosts/common/mbedtls-config.h) to the C heap here, counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fwimage.h"

static size_t heap_now, heap_peak;

void *crypto_pool_calloc(size_t count, size_t size)
{
	if (count && size > ((size_t)-1 - sizeof(size_t)) / count)
		return NULL;
	size_t *p = calloc(1, sizeof(size_t) + count * size);
	if (!p)
		return NULL;
	*p = count * size;
	heap_now += *p;
	if (heap_now > heap_peak)
		heap_peak = heap_now;
	return p + 1;
}

void crypto_pool_free(void *ptr)
{
	if (!ptr)
		return;
	size_t *p = (size_t *)ptr - 1;
	heap_now -= *p;
	free(p);
}

typedef struct { FILE *f; long size; unsigned reads; size_t max_read; } file_t;

static int read_file(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	file_t *f = ctx;
	f->reads++;
	if (len > f->max_read)
		f->max_read = len;
	if ((long)offset > f->size || (long)len > f->size - (long)offset)
		return -1; /* past the file: the slot's flash would read erased bytes; here, an error */
	if (fseek(f->f, (long)offset, SEEK_SET) || fread(buf, 1, len, f->f) != len)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: fwimage_check IMAGE PART ROLE COUNTER [AREA_SIZE]\n");
		return 2;
	}
	file_t f = { fopen(argv[1], "rb"), 0, 0, 0 };
	if (!f.f) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	fseek(f.f, 0, SEEK_END);
	f.size = ftell(f.f);
	fwimage_expect_t expect = { (uint8_t)atoi(argv[2]), (uint8_t)atoi(argv[3]), (uint32_t)strtoul(argv[4], NULL, 10) };
	uint32_t area = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : (uint32_t)f.size;
	fwimage_info_t info;
	fwimage_reason_t r = fwimage_verify(read_file, &f, area, &expect, &info);
	fclose(f.f);
	if (r) {
		printf("REFUSED %d %s\n", (int)r, fwimage_reason_text(r));
		return 1;
	}
	printf("OK part=%u role=%u counter=%lu version=%u.%u.%u+%lu key=%s reads=%u max_read=%zu heap_peak=%zu\n", info.part,
	       info.role, (unsigned long)info.security_counter, info.ver_major, info.ver_minor, info.ver_revision,
	       (unsigned long)info.ver_build, info.key_class == FWIMAGE_KEY_LEGAL ? "legal" : "nonlegal", f.reads, f.max_read,
	       heap_peak);
	return heap_now == 0 ? 0 : 3;
}
