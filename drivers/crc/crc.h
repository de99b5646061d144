/* CRCs used by the PLC layers and the firmware images (bitwise-reflected, table-driven).
 *   CRC-16/KERMIT  poly 0x1021 reflected, init 0x0000, no xorout: IEEE 802.15.4 MAC FCS (G3-PLC MAC)
 *   CRC-16/X-25    poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF: HDLC FCS/HCS (IEC 62056-46)
 *   CRC-32/ISO-HDLC poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF: images, modem port
 * Check values over "123456789": 0x2189, 0x906E, 0xCBF43926. */
#ifndef METERFW_CRC_H
#define METERFW_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Incremental forms: pass the previous result (0 to start) to continue over more data. */
uint16_t crc16_kermit(uint16_t crc, const uint8_t *data, size_t length);
uint16_t crc16_x25(uint16_t crc, const uint8_t *data, size_t length);
uint32_t crc32_ieee(uint32_t crc, const uint8_t *data, size_t length);

#endif
