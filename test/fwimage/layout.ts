// The signed image's layout as docs/image-format.md documents it, read independently of
// tools/mcuboot.mjs: offsets of each field, and a re-signer for crafted bad images.
import { createHash, createPublicKey, sign } from 'node:crypto';

export interface Tlv {
  type: number;
  len: number;
  at: number; // offset of the value
  value: Buffer;
}
export interface Layout {
  magic: number;
  loadAddr: number;
  hdrSize: number;
  protSize: number;
  imgSize: number;
  flags: number;
  version: { major: number; minor: number; revision: number; build: number };
  pad: number;
  protAt: number;
  protMagic: number;
  protTot: number;
  prot: Tlv[];
  unprotAt: number;
  unprotMagic: number;
  unprotTot: number;
  unprot: Tlv[];
}

function tlvs(b: Buffer, from: number, to: number): Tlv[] {
  const out: Tlv[] = [];
  for (let p = from; p < to; ) {
    const type = b.readUInt16LE(p);
    const len = b.readUInt16LE(p + 2);
    out.push({ type, len, at: p + 4, value: b.subarray(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return out;
}

export function readLayout(b: Buffer): Layout {
  const hdrSize = b.readUInt16LE(8);
  const protSize = b.readUInt16LE(10);
  const imgSize = b.readUInt32LE(12);
  const protAt = hdrSize + imgSize;
  const unprotAt = protAt + protSize;
  const protTot = b.readUInt16LE(protAt + 2);
  const unprotTot = b.readUInt16LE(unprotAt + 2);
  return {
    magic: b.readUInt32LE(0),
    loadAddr: b.readUInt32LE(4),
    hdrSize,
    protSize,
    imgSize,
    flags: b.readUInt32LE(16),
    version: { major: b[20]!, minor: b[21]!, revision: b.readUInt16LE(22), build: b.readUInt32LE(24) },
    pad: b.readUInt32LE(28),
    protAt,
    protMagic: b.readUInt16LE(protAt),
    protTot,
    prot: tlvs(b, protAt + 4, protAt + protTot),
    unprotAt,
    unprotMagic: b.readUInt16LE(unprotAt),
    unprotTot,
    unprot: tlvs(b, unprotAt + 4, unprotAt + unprotTot),
  };
}

const tlv = (type: number, value: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
};
const area = (magic: number, body: Buffer[]): Buffer => {
  const all = Buffer.concat(body);
  const h = Buffer.alloc(4);
  h.writeUInt16LE(magic, 0);
  h.writeUInt16LE(4 + all.length, 2);
  return Buffer.concat([h, all]);
};

/**
 * Rebuilds a signed image from its parts with a fresh hash and signature: for images that are
 * validly signed but wrong in what they say. prot: the protected TLVs ([type, value]).
 */
export function craft(o: {
  header: Buffer;
  payload: Buffer;
  prot: [number, Buffer][];
  keyPem: string;
  unprotExtra?: [number, Buffer][];
  unsigned?: boolean;
}): Buffer {
  const protArea = o.prot.length
    ? area(
        0x6908,
        o.prot.map(([t, v]) => tlv(t, v)),
      )
    : Buffer.alloc(0);
  const header = Buffer.from(o.header);
  header.writeUInt16LE(protArea.length, 10);
  header.writeUInt32LE(o.payload.length, 12);
  const signed = Buffer.concat([header, o.payload, protArea]);
  const hash = createHash('sha256').update(signed).digest();
  const pub = createPublicKey(o.keyPem).export({ type: 'spki', format: 'der' });
  const unprot = [tlv(0x10, hash)];
  if (!o.unsigned) unprot.push(tlv(0x01, createHash('sha256').update(pub).digest()), tlv(0x22, sign('sha256', signed, o.keyPem)));
  for (const [t, v] of o.unprotExtra ?? []) unprot.push(tlv(t, v));
  return Buffer.concat([signed, area(0x6907, unprot)]);
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
