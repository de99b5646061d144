/* Signed part images in MCUboot's image format (docs/image-format.md; MCUboot
 * boot/bootutil/include/bootutil/image.h). Little-endian throughout:
 *
 *   header (FWIMAGE_HEADER_SIZE = 32, padded to ih_hdr_size)
 *     0  u32 ih_magic 0x96f3b83d        4  u32 ih_load_addr (0: unused)
 *     8  u16 ih_hdr_size                10  u16 ih_protect_tlv_size (0, or the whole protected area)
 *    12  u32 ih_img_size (payload)      16  u32 ih_flags (0)
 *    20  u8 major, u8 minor, u16 revision, u32 build     28 u32 padding
 *   payload: the MFWI part image (hosts/common/image.h)
 *   protected TLV area (covered by the hash): u16 magic 0x6908, u16 total size (with this info),
 *     then TLVs { u16 type, u16 len, value }: SEC_CNT (0x50, u32), METERFW_TARGET (0x4da0:
 *     u8 part, u8 role, u16 0)
 *   unprotected TLV area: u16 magic 0x6907, u16 total size, then SHA256 (0x10, 32 bytes, over
 *     header + payload + protected area), KEYHASH (0x01, SHA-256 of the signing key's
 *     SubjectPublicKeyInfo DER), ECDSA_SIG (0x22, DER ECDSA P-256 signature of that hash).
 *
 * The image is read through a callback, FWIMAGE_CHUNK bytes at a time: never whole in RAM. Every
 * offset is checked against the area size before it is read. */
#ifndef METERFW_FWIMAGE_H
#define METERFW_FWIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define FWIMAGE_MAGIC               0x96f3b83dUL
#define FWIMAGE_HEADER_SIZE         32
#define FWIMAGE_TLV_INFO_MAGIC      0x6907
#define FWIMAGE_TLV_PROT_INFO_MAGIC 0x6908
#define FWIMAGE_TLV_KEYHASH         0x0001
#define FWIMAGE_TLV_SHA256          0x0010
#define FWIMAGE_TLV_ECDSA_SIG       0x0022
#define FWIMAGE_TLV_SEC_CNT         0x0050
#define FWIMAGE_TLV_METERFW_TARGET  0x4da0    /* vendor range xxA0..xxFF */
#define FWIMAGE_SIG_MAX             72        /* DER of two 32-byte integers, each with a 0 pad */

/* Bytes read (and hashed) per callback call: the verifier's only buffer over the image. */
#ifndef FWIMAGE_CHUNK
#define FWIMAGE_CHUNK 256
#endif

/* Roles, in tools/build.mjs ROLES order (the TARGET TLV's role byte). */
enum { FWIMAGE_ROLE_METER = 0, FWIMAGE_ROLE_METER_1P = 1, FWIMAGE_ROLE_CONCENTRATOR = 2, FWIMAGE_ROLE_COUNT = 3 };

/* Refusal reasons: one per check, in the order the verifier makes them. */
typedef enum {
	FWIMAGE_OK = 0,
	FWIMAGE_E_MAGIC,        /* header magic is not 0x96f3b83d */
	FWIMAGE_E_TRUNCATED,    /* the image runs past the end of the area */
	FWIMAGE_E_HEADER,       /* header size below 32 or sizes that overflow */
	FWIMAGE_E_TLV,          /* TLV area: bad magic, length, duplicate or misplaced TLV, missing SEC_CNT/TARGET/SHA256 */
	FWIMAGE_E_UNSIGNED,     /* no KEYHASH or no ECDSA_SIG */
	FWIMAGE_E_HASH,         /* SHA-256 over header + payload + protected TLVs does not match */
	FWIMAGE_E_UNKNOWN_KEY,  /* KEYHASH names no key compiled into the firmware */
	FWIMAGE_E_SIGNATURE,    /* ECDSA signature does not verify with that key */
	FWIMAGE_E_PART,         /* image is for another part */
	FWIMAGE_E_KEY_CLASS,    /* signed with a key of the wrong class for this part */
	FWIMAGE_E_ROLE,         /* image is for another role */
	FWIMAGE_E_ROLLBACK,     /* security counter below the device's */
	FWIMAGE_E_PAYLOAD,      /* embedded MFWI header: magic, format, part, CRC or size disagree */
	FWIMAGE_E_READ,         /* the read callback failed */
	FWIMAGE_E_CRYPTO,       /* mbed TLS failed (memory) */
	FWIMAGE_REASON_COUNT
} fwimage_reason_t;

const char *fwimage_reason_text(fwimage_reason_t reason);

/* Reads len bytes at offset (area-relative) into buf; returns 0, or nonzero on a failure. */
typedef int (*fwimage_read_t)(void *ctx, uint32_t offset, uint8_t *buf, size_t len);

typedef struct {
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t prot_size;
	uint32_t img_size;
	uint32_t flags;
	uint8_t ver_major, ver_minor;
	uint16_t ver_revision;
	uint32_t ver_build;
	uint32_t total_size;      /* header + payload + both TLV areas */
	uint32_t security_counter;
	uint8_t part, role;       /* from the TARGET TLV */
	uint8_t key_class;        /* of the key that verified (fwimage_verify only) */
	uint32_t sha256_off, keyhash_off, sig_off; /* value offsets; 0 = absent */
	uint16_t sig_len;
	uint8_t have;             /* FWIMAGE_HAVE_* bits */
} fwimage_info_t;

#define FWIMAGE_HAVE_SEC_CNT 0x01
#define FWIMAGE_HAVE_TARGET  0x02
#define FWIMAGE_HAVE_SHA256  0x04
#define FWIMAGE_HAVE_KEYHASH 0x08
#define FWIMAGE_HAVE_SIG     0x10

/* Parses header and TLV areas (no crypto): every length and offset checked against area_size. */
fwimage_reason_t fwimage_parse(fwimage_read_t read, void *ctx, uint32_t area_size, fwimage_info_t *info);

/* ---- verification (fwimage.c, mbed TLS) ---- */

enum { FWIMAGE_KEY_LEGAL = 0, FWIMAGE_KEY_NONLEGAL = 1 };

typedef struct {
	uint8_t key_class;        /* FWIMAGE_KEY_* */
	const char *name;
	const uint8_t *spki;      /* SubjectPublicKeyInfo DER, P-256 (91 bytes) */
	uint16_t spki_len;
	uint8_t hash[32];         /* SHA-256 of spki: MCUboot's KEYHASH */
} fwimage_key_t;

/* The keys compiled into the firmware: generated by tools/fwimage-keys.mjs from keys/legal.pub.pem and keys/nonlegal.pub.pem. */
extern const fwimage_key_t fwimage_keys[];
extern const unsigned fwimage_key_count;

/* The key class a part needs: generic and legal need the legal key, plc and nonlegal the nonlegal. */
uint8_t fwimage_key_class_of(uint8_t part);

typedef struct {
	uint8_t part;                 /* IMAGE_PART_* the slot is for */
	uint8_t role;                 /* FWIMAGE_ROLE_* of this device */
	uint32_t security_counter;    /* the device's: images below it are refused */
} fwimage_expect_t;

/* Parses, hashes, checks the signature with the compiled-in keys, then part, key class, role,
 * security counter and the embedded MFWI header. info may be NULL. */
fwimage_reason_t fwimage_verify(fwimage_read_t read, void *ctx, uint32_t area_size, const fwimage_expect_t *expect,
                                fwimage_info_t *info);

#endif
