// Part images made by the tests: a corrupted copy of a built image, or a new image compiled from
// a fixture with the project's own bytecode compiler (build/host/xsc/xsc) and image packer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type Platform, type Role, type PartName } from '../../emulator/node.js';
// @ts-expect-error: plain JavaScript build tool without declarations
import { packImage } from '../../tools/image.mjs';

export const OUT = join(ROOT, 'build', 'test', 'images');

export function builtImage(platform: Platform, role: Role, part: PartName | 'generic'): Buffer {
  return readFileSync(join(ROOT, 'build', platform, role, `${part}.img`));
}

// Flips one byte of the payload (past the 64-byte header): the SHA-256 no longer matches.
export function corruptImage(platform: Platform, role: Role, part: PartName): string {
  const img = Buffer.from(builtImage(platform, role, part));
  img[img.length - 1]! ^= 0x5a;
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${platform}-${role}-${part}-corrupt.img`);
  writeFileSync(file, img);
  return file;
}

function xsVersion() {
  const h = readFileSync(join(ROOT, 'build', 'xs-src', 'sources', 'xsCommon.h'), 'utf8');
  const v = (n: string) => Number(new RegExp(`#define XS_${n}_VERSION (\\d+)`).exec(h)![1]);
  return { major: v('MAJOR'), minor: v('MINOR'), patch: v('PATCH') };
}

// Compiles JavaScript modules to bytecode and packs them as `part`'s image.
export function makeImage(part: PartName, name: string, modules: { specifier: string; file: string }[], version = '9.9.9'): string {
  mkdirSync(OUT, { recursive: true });
  const compiled = modules.map((m, i) => {
    const xsb = join(OUT, `${name}-${i}.xsb`);
    execFileSync(join(ROOT, 'build', 'host', 'xsc', 'xsc'), [m.file, xsb]);
    const b = readFileSync(xsb);
    const symbolsSize = b.readUInt32LE(4),
      codeSize = b.readUInt32LE(8);
    return {
      specifier: m.specifier,
      symbols: b.subarray(16, 16 + symbolsSize),
      code: b.subarray(16 + symbolsSize, 16 + symbolsSize + codeSize),
    };
  });
  const bytes: Buffer = packImage({ part, version, xs: xsVersion(), modules: compiled });
  const file = join(OUT, `${name}.img`);
  writeFileSync(file, bytes);
  return file;
}
