/* Verification of part images (see image.h). SHA-256 comes from mbed TLS. */
#include "image.h"

#include <string.h>

#include "mbedtls/sha256.h"
#include "crc.h"

const char *const image_part_names[IMAGE_PART_COUNT] = { "GENERIC", "LEGAL", "PLC", "NON-LEGAL" };

const char *image_status_text(image_status_t status)
{
	switch (status) {
	case IMAGE_OK: return "ok";
	case IMAGE_ABSENT: return "absent";
	case IMAGE_BAD_HEADER: return "bad header";
	case IMAGE_BAD_SIZE: return "bad size";
	case IMAGE_BAD_HASH: return "bad hash";
	case IMAGE_BAD_XS: return "bad XS version";
	case IMAGE_BAD_DIRECTORY: return "bad directory";
	}
	return "?";
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint32_t image_crc32(uint32_t crc, const uint8_t *data, size_t length)
{
	return crc32_ieee(crc, data, length);
}

image_status_t image_check(image_t *image, uint8_t part, const uint8_t *base, size_t region_size)
{
	memset(image, 0, sizeof(*image));
	image->base = base;
	image->region_size = region_size;
	image->part = part;
	image->status = IMAGE_ABSENT;
	if (!base || region_size < IMAGE_HEADER_SIZE)
		return image->status;
	if (base[0] == 0xFF && base[1] == 0xFF && base[2] == 0xFF && base[3] == 0xFF)
		return image->status;   /* erased flash */
	if (base[0] == 0 && base[1] == 0 && base[2] == 0 && base[3] == 0)
		return image->status;   /* never programmed RAM-backed region */
	image->status = IMAGE_BAD_HEADER;
	if (memcmp(base, IMAGE_MAGIC, 4) != 0)
		return image->status;
	if ((base[4] | (base[5] << 8)) != IMAGE_FORMAT || base[6] != part)
		return image->status;
	if (image_crc32(0, base, 56) != rd32(base + 56))
		return image->status;
	image->version = rd32(base + 8);
	image->payload_size = rd32(base + 12);
	memcpy(image->sha256, base + 16, 32);
	image->module_count = rd32(base + 52);
	image->status = IMAGE_BAD_SIZE;
	if (image->payload_size > region_size - IMAGE_HEADER_SIZE)
		return image->status;
	if (image->module_count > image->payload_size / IMAGE_DIR_ENTRY_SIZE)
		return image->status;
	image->status = IMAGE_BAD_XS;
	if (rd32(base + 48) != (((uint32_t)XS_ENGINE_MAJOR << 16) | (XS_ENGINE_MINOR << 8) | XS_ENGINE_PATCH))
		return image->status;
	image->status = IMAGE_BAD_HASH;
	{
		uint8_t digest[32];
		mbedtls_sha256(base + IMAGE_HEADER_SIZE, image->payload_size, digest, 0);
		if (memcmp(digest, image->sha256, 32) != 0)
			return image->status;
	}
	image->status = IMAGE_BAD_DIRECTORY;
	{
		const uint8_t *payload = base + IMAGE_HEADER_SIZE;
		uint32_t size = image->payload_size;
		for (uint32_t i = 0; i < image->module_count; i++) {
			const uint8_t *e = payload + i * IMAGE_DIR_ENTRY_SIZE;
			uint32_t path = rd32(e), sym = rd32(e + 4), symSize = rd32(e + 8), code = rd32(e + 12), codeSize = rd32(e + 16);
			uint32_t ids = rd32(e + 20), idCount = rd32(e + 24);
			if (path >= size || !memchr(payload + path, 0, size - path))
				return image->status;
			if (sym > size || symSize > size - sym || code > size || codeSize > size - code || codeSize == 0)
				return image->status;
			if (idCount && (ids > size || idCount > (size - ids) / 2 || idCount > 0xFFFF))
				return image->status;
		}
	}
	image->status = IMAGE_OK;
	return image->status;
}

void image_module(const image_t *image, uint32_t index, image_module_t *module)
{
	const uint8_t *payload = image->base + IMAGE_HEADER_SIZE;
	const uint8_t *e = payload + index * IMAGE_DIR_ENTRY_SIZE;
	module->path = (const char *)payload + rd32(e);
	module->symbols = payload + rd32(e + 4);
	module->symbols_size = rd32(e + 8);
	module->code = payload + rd32(e + 12);
	module->code_size = rd32(e + 16);
	module->id_count = rd32(e + 24);
	module->ids = module->id_count ? payload + rd32(e + 20) : NULL;
}

int image_find(const image_t *image, const char *path, image_module_t *module)
{
	if (image->status != IMAGE_OK)
		return -1;
	for (uint32_t i = 0; i < image->module_count; i++) {
		image_module(image, i, module);
		if (strcmp(module->path, path) == 0)
			return (int)i;
	}
	return -1;
}
