// Candidate images for the runtime swap tests: the lin meter's own NON-LEGAL part image, with a
// small visible change (its version), signed with the build's development keys (keys/, made by
// the firmware build when empty), written into the SPI NOR file's nonlegal-slot before boot.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';
// @ts-expect-error: plain JavaScript build tool without declarations
import { crc32, packImage, unpackVersion } from '../../tools/image.mjs';
// @ts-expect-error: plain JavaScript build tool without declarations
import { signImage } from '../../tools/mcuboot.mjs';

export const BUILD = join(ROOT, 'build', 'lin', 'meter');
export const KEYS = join(ROOT, 'keys');
export const NOR_SIZE = 16 * 1024 * 1024;
export const NOR_STORE = NOR_SIZE + 4096 * 4;
export const SLOT = { plc: 0x080000, nonlegal: 0x100000 } as const; // manifest.json config.flash.areas

export const built = (): boolean => existsSync(join(BUILD, 'nonlegal.img')) && existsSync(join(KEYS, 'nonlegal.pem'));

/** A part image of the build with its MFWI version changed (header CRC recomputed). */
export function withVersion(part: 'plc' | 'nonlegal', version: [number, number, number]): Buffer {
  const b = Buffer.from(readFileSync(join(BUILD, `${part}.img`)));
  b.writeUInt32LE(((version[0] << 16) | (version[1] << 8) | version[2]) >>> 0, 8);
  return fixHeader(b);
}

/** Header CRC-32 over bytes 0..55 again (after an edit). */
export function fixHeader(b: Buffer): Buffer {
  b.writeUInt32LE(crc32(b.subarray(0, 56)) >>> 0, 56);
  return b;
}

/**
 * A NUL-terminated string of the image (a module path in the directory, a string literal in the
 * bytecode) replaced by another of the same length; the payload's SHA-256 and the header CRC
 * are made again, as a build of the changed source would.
 */
export function replaceString(b: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('same length only');
  const c = Buffer.from(b);
  const needle = Buffer.from(`${from}\0`, 'latin1');
  const at = c.indexOf(needle, 64);
  if (at < 0 || c.indexOf(needle, at + 1) >= 0) throw new Error(`${JSON.stringify(from)} not once in the image`);
  c.write(to, at, 'latin1');
  const payloadSize = c.readUInt32LE(12);
  createHash('sha256')
    .update(c.subarray(64, 64 + payloadSize))
    .digest()
    .copy(c, 16);
  return fixHeader(c);
}

/**
 * The image packed again with one more module, never imported, whose name sorts first: every
 * module's code moves 4 KB further into the payload, as a rebuilt part's code moves. (Code of
 * the old image left running would then execute other bytes.)
 */
export function shifted(b: Buffer): Buffer {
  const payload = b.subarray(64, 64 + b.readUInt32LE(12));
  const count = b.readUInt32LE(52);
  const modules = [];
  for (let i = 0; i < count; i++) {
    const e = payload.subarray(i * 28, i * 28 + 28);
    const at = (k: number) => e.readUInt32LE(k);
    const path = payload.subarray(at(0), payload.indexOf(0, at(0))).toString('utf8');
    modules.push({
      specifier: path,
      symbols: payload.subarray(at(4), at(4) + at(8)),
      code: payload.subarray(at(12), at(12) + at(16)),
      ...(at(24) ? { ids: payload.subarray(at(20), at(20) + 2 * at(24)) } : {}),
    });
  }
  const part = ['generic', 'legal', 'plc', 'nonlegal'][b[6]!];
  modules.push({ specifier: `${part}/0-pad`, symbols: Buffer.alloc(2), code: Buffer.alloc(4096, 0x5a) });
  const xs = b.readUInt32LE(48);
  return packImage({
    part,
    version: unpackVersion(b.readUInt32LE(8)),
    xs: { major: xs >>> 16, minor: (xs >>> 8) & 255, patch: xs & 255 },
    modules,
  });
}

/** The NON-LEGAL of the build as 1.2.3, its code moved, whose APP PING answers print "pong" for "PONG". */
export const changedNonlegal = (): Buffer => replaceString(shifted(withVersion('nonlegal', [1, 2, 3])), 'PONG ', 'pong ');

export function sign(
  image: Buffer,
  o: { key?: string; securityCounter?: number; role?: string; version?: string; keyPem?: string } = {},
): Buffer {
  const keyPem = o.keyPem ?? readFileSync(join(KEYS, `${o.key ?? 'nonlegal'}.pem`), 'utf8');
  return signImage({ image, keyPem, role: o.role ?? 'meter', version: o.version, securityCounter: o.securityCounter ?? 0 }).bytes;
}

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'meterfw-fw-'));

/** An SPI NOR store file (erased, no wear) with bytes at the slot's offset. */
export function norWith(dir: string, slot: number, bytes: Buffer): string {
  const f = Buffer.alloc(NOR_STORE, 0xff);
  f.fill(0, NOR_SIZE);
  bytes.copy(f, slot);
  const path = join(dir, 'nor.bin');
  writeFileSync(path, f);
  return path;
}

/** Writes bytes into the slot of an existing store file (erasing the slot's first bytes first). */
export function putInSlot(path: string, slot: number, bytes: Buffer): void {
  const f = readFileSync(path);
  f.fill(0xff, slot, slot + 512 * 1024);
  bytes.copy(f, slot);
  writeFileSync(path, f);
}
