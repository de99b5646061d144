// Packs compiled modules into a part image (layout in hosts/common/image.h).
import { createHash } from 'node:crypto';

export const PARTS = ['generic', 'legal', 'plc', 'nonlegal'];
const HEADER = 64;
const ENTRY = 28;
export const IMAGE_FORMAT = 2;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
export function crc32(bytes, crc = 0) {
  crc = ~crc >>> 0;
  for (const b of bytes) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ b) & 0xff];
  return ~crc >>> 0;
}

export function packVersion(text) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(text));
  if (!m || m.slice(1).some((x) => Number(x) > 255 && x !== m[1]) || Number(m[1]) > 65535)
    throw new Error(`bad version '${text}' (major.minor.patch)`);
  return ((Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3])) >>> 0;
}
export function unpackVersion(v) {
  return `${v >>> 16}.${(v >>> 8) & 255}.${v & 255}`;
}

// The directory order, which is also the order the firmware registers linked symbols in.
export function sortModules(modules) {
  return [...modules].sort((a, b) => (a.specifier < b.specifier ? -1 : a.specifier > b.specifier ? 1 : 0));
}

export function packImage({ part, version, xs, modules }) {
  const partIndex = PARTS.indexOf(part);
  if (partIndex < 0) throw new Error(`unknown part ${part}`);
  const sorted = sortModules(modules);
  const dirSize = sorted.length * ENTRY;
  const chunks = [];
  let offset = dirSize;
  const dir = Buffer.alloc(dirSize);
  const align = () => {
    const pad = (4 - (offset % 4)) % 4;
    if (pad) {
      chunks.push(Buffer.alloc(pad));
      offset += pad;
    }
  };
  sorted.forEach((m, i) => {
    const path = Buffer.from(m.specifier + '\0', 'utf8');
    const pathOff = offset;
    chunks.push(path);
    offset += path.length;
    align();
    const symOff = offset;
    chunks.push(m.symbols);
    offset += m.symbols.length;
    align();
    const codeOff = offset;
    chunks.push(m.code);
    offset += m.code.length;
    align();
    const ids = m.ids ?? Buffer.alloc(0); // linked modules: u16 key id per symbol
    const idsOff = offset;
    if (ids.length) {
      chunks.push(ids);
      offset += ids.length;
      align();
    }
    dir.writeUInt32LE(pathOff, i * ENTRY);
    dir.writeUInt32LE(symOff, i * ENTRY + 4);
    dir.writeUInt32LE(m.symbols.length, i * ENTRY + 8);
    dir.writeUInt32LE(codeOff, i * ENTRY + 12);
    dir.writeUInt32LE(m.code.length, i * ENTRY + 16);
    dir.writeUInt32LE(ids.length ? idsOff : 0, i * ENTRY + 20);
    dir.writeUInt32LE(ids.length / 2, i * ENTRY + 24);
  });
  const payload = Buffer.concat([dir, ...chunks]);
  const header = Buffer.alloc(HEADER);
  header.write('MFWI', 0, 'ascii');
  header.writeUInt16LE(IMAGE_FORMAT, 4);
  header.writeUInt8(partIndex, 6);
  header.writeUInt8(0, 7);
  header.writeUInt32LE(packVersion(version), 8);
  header.writeUInt32LE(payload.length, 12);
  createHash('sha256').update(payload).digest().copy(header, 16);
  header.writeUInt32LE(((xs.major << 16) | (xs.minor << 8) | xs.patch) >>> 0, 48);
  header.writeUInt32LE(sorted.length, 52);
  header.writeUInt32LE(crc32(header.subarray(0, 56)), 56);
  return Buffer.concat([header, payload]);
}

export function readImageHeader(bytes) {
  const b = Buffer.from(bytes);
  return {
    magic: b.toString('ascii', 0, 4),
    format: b.readUInt16LE(4),
    part: PARTS[b.readUInt8(6)],
    version: unpackVersion(b.readUInt32LE(8)),
    size: b.readUInt32LE(12),
    sha256: b.subarray(16, 48).toString('hex'),
    modules: b.readUInt32LE(52),
  };
}
