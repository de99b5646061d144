// DLMS/COSEM codecs: A-XDR data, xDLMS/ACSE APDUs, security suite 0 framing, IP wrapper,
// HDLC (IEC 62056-46), IEC 62056-21 mode C, OBIS, and the links over them (link.ts: byte and
// APDU transports, IP wrapper; hdlc-link.ts: the HDLC link layer). Pure TypeScript for XS: no I/O here.
export * from './errors.js';
export * from './bytes.js';
export * from './axdr-const.js';
export * from './axdr.js';
export * from './obis.js';
export * from './xdlms-const.js';
export * from './xdlms.js';
export * from './acse.js';
export * from './security.js';
export * from './wrapper.js';
export * from './crc16.js';
export * from './hdlc-const.js';
export * from './hdlc.js';
export * from './iec62056-21.js';
export * from './link.js';
export * from './hdlc-link.js';
