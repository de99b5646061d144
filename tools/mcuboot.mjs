// Signed part images in MCUboot's image format (docs/image-format.md): the MFWI part image
// (tools/image.mjs) is the payload. Node's crypto only. The C verifier is drivers/fwimage.
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { crc32, PARTS } from './image.mjs';

export const ROLES = ['meter', 'meter-1p', 'concentrator'];

// MCUboot, boot/bootutil/include/bootutil/image.h
export const IMAGE_MAGIC = 0x96f3b83d;
export const TLV_INFO_MAGIC = 0x6907; // unprotected TLV area
export const TLV_PROT_INFO_MAGIC = 0x6908; // protected TLV area (covered by the hash)
export const TLV_KEYHASH = 0x01;
export const TLV_SHA256 = 0x10;
export const TLV_ECDSA_SIG = 0x22; // ECDSA256 / ECDSA_SIG
export const TLV_SEC_CNT = 0x50;
// Vendor range xxA0..xxFF: u8 part, u8 role, u16 reserved (0). 0x4D = 'M'.
export const TLV_METERFW_TARGET = 0x4da0;

export const HEADER_SIZE = 0x20; // MCUboot's 32-byte header; the payload starts 32-byte aligned
const MFWI_HEADER = 64;

/** Which key class signs a part: the legal parts need the legal key. */
export const keyClassOf = (part) => (part === 'generic' || part === 'legal' ? 'legal' : 'nonlegal');

/** 'x.y.z' or 'x.y.z+build' into MCUboot's image_version. */
export function parseVersion(text) {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:\+(\d+))?$/.exec(String(text));
  if (!m) throw new Error(`bad version '${text}' (major.minor.revision[+build])`);
  const [major, minor, revision, build] = [m[1], m[2], m[3], m[4] ?? '0'].map(Number);
  if (major > 255 || minor > 255 || revision > 65535 || build > 0xffffffff)
    throw new Error(`bad version '${text}' (major, minor <= 255, revision <= 65535, build < 2^32)`);
  return { major, minor, revision, build };
}

/** Reads and checks the MFWI header of a part image (hosts/common/image.h). */
export function readMfwi(bytes) {
  if (bytes.length < MFWI_HEADER || bytes.toString('ascii', 0, 4) !== 'MFWI') throw new Error('not a part image (no MFWI header)');
  if (crc32(bytes.subarray(0, 56)) !== bytes.readUInt32LE(56)) throw new Error('part image header CRC does not match');
  const part = PARTS[bytes.readUInt8(6)];
  if (!part) throw new Error(`part image names unknown part ${bytes.readUInt8(6)}`);
  const size = bytes.readUInt32LE(12);
  if (MFWI_HEADER + size !== bytes.length) throw new Error(`part image is ${bytes.length} bytes, its header says ${MFWI_HEADER + size}`);
  const v = bytes.readUInt32LE(8);
  return { part, version: { major: v >>> 16, minor: (v >>> 8) & 255, revision: v & 255, build: 0 } };
}

/** The SubjectPublicKeyInfo DER of a key (private or public PEM): what MCUboot's KEYHASH hashes. */
export function publicDer(pem) {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' });
}

function tlv(type, value) {
  const t = Buffer.alloc(4);
  t.writeUInt16LE(type, 0);
  t.writeUInt16LE(value.length, 2);
  return Buffer.concat([t, value]);
}
function area(magic, tlvs) {
  const body = Buffer.concat(tlvs);
  const info = Buffer.alloc(4);
  info.writeUInt16LE(magic, 0);
  info.writeUInt16LE(4 + body.length, 2);
  return Buffer.concat([info, body]);
}

/**
 * Signs a part image. keyPem: the ECDSA P-256 private key (PKCS#8 PEM).
 * Returns the signed image: header | MFWI payload | protected TLVs | unprotected TLVs.
 */
export function signImage({ image, keyPem, role, version, securityCounter = 0 }) {
  const mfwi = readMfwi(image);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new Error('the key is not a PEM private key (PKCS#8, as npm run keys writes)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('the key is not an ECDSA P-256 private key');
  const roleIndex = ROLES.indexOf(role);
  if (roleIndex < 0) throw new Error(`unknown role '${role}' (${ROLES.join(', ')})`);
  if (!Number.isInteger(securityCounter) || securityCounter < 0 || securityCounter > 0xffffffff)
    throw new Error(`bad security counter '${securityCounter}' (0..4294967295)`);
  const ver = version ? parseVersion(version) : mfwi.version;

  const secCnt = Buffer.alloc(4);
  secCnt.writeUInt32LE(securityCounter >>> 0);
  const target = Buffer.from([PARTS.indexOf(mfwi.part), roleIndex, 0, 0]);
  const prot = area(TLV_PROT_INFO_MAGIC, [tlv(TLV_SEC_CNT, secCnt), tlv(TLV_METERFW_TARGET, target)]);

  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(IMAGE_MAGIC, 0);
  header.writeUInt32LE(0, 4); // load address: unused (no RAM load)
  header.writeUInt16LE(HEADER_SIZE, 8);
  header.writeUInt16LE(prot.length, 10);
  header.writeUInt32LE(image.length, 12);
  header.writeUInt32LE(0, 16); // flags: none
  header.writeUInt8(ver.major, 20);
  header.writeUInt8(ver.minor, 21);
  header.writeUInt16LE(ver.revision, 22);
  header.writeUInt32LE(ver.build, 24);
  // 28..31: padding (0)

  const signed = Buffer.concat([header, image, prot]);
  const hash = createHash('sha256').update(signed).digest();
  const keyHash = createHash('sha256').update(publicDer(key)).digest();
  const sig = sign('sha256', signed, { key, dsaEncoding: 'der' });
  const unprot = area(TLV_INFO_MAGIC, [tlv(TLV_SHA256, hash), tlv(TLV_KEYHASH, keyHash), tlv(TLV_ECDSA_SIG, sig)]);
  return { bytes: Buffer.concat([signed, unprot]), part: mfwi.part, role, version: ver, hash };
}
