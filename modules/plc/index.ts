// G3-PLC part: codecs and I/O-free protocol logic. One file per layer (STYLE.md).
export * from './errors.js';
export * from './crypto.js';
export * from './mac-const.js';
export * from './mac-frame.js';
export * from './mac.js';
export * from './adp-const.js';
export * from './adp.js';
export * from './iphc.js';
export * from '../generic/shared/icmpv6.js';
export * from './loadng-const.js';
export * from './loadng.js';
export * from './lbp-const.js';
export * from './eap-psk.js';
export * from './lbp-codec.js';
export * from './lbp-device.js';
export * from './lbp-server.js';
export * from './netstack.js';
