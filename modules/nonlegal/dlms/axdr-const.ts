// A-XDR Data CHOICE tags, IEC 62056-6-2 / Green Book "Data" type (clause 4.1.5, Table 2).

export const DataTag = Object.freeze({
  NULL: 0,
  ARRAY: 1,
  STRUCTURE: 2,
  BOOLEAN: 3,
  BIT_STRING: 4,
  DOUBLE_LONG: 5, // Integer32
  DOUBLE_LONG_UNSIGNED: 6, // Unsigned32
  OCTET_STRING: 9,
  VISIBLE_STRING: 10,
  UTF8_STRING: 12,
  BCD: 13,
  INTEGER: 15, // Integer8
  LONG: 16, // Integer16
  UNSIGNED: 17, // Unsigned8
  LONG_UNSIGNED: 18, // Unsigned16
  COMPACT_ARRAY: 19,
  LONG64: 20,
  LONG64_UNSIGNED: 21,
  ENUM: 22,
  FLOAT32: 23,
  FLOAT64: 24,
  DATE_TIME: 25, // OCTET STRING SIZE(12)
  DATE: 26, // OCTET STRING SIZE(5)
  TIME: 27, // OCTET STRING SIZE(4)
  DONT_CARE: 255,
} as const);

/** Decoder bounds, documented defaults (see AxdrOptions). */
export const AXDR_DEFAULT_MAX_DEPTH = 16;
export const AXDR_DEFAULT_MAX_LENGTH = 65535;

/** date-time deviation "not specified" (Green Book 4.1.6.1). */
export const DEVIATION_UNSPECIFIED = -0x8000;
