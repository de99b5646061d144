// drivers/fwimage built for the host: accepts what npm run sign writes, and refuses each bad
// image with its reason (docs/image-format.md).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript build tool without declarations
import { crc32 } from '../../tools/image.mjs';
import { buildVerifier, partImage, tempDir, tool, verify } from './harness.js';
import { craft, readLayout, u32 } from './layout.js';

const LEGAL = 1;
const PLC = 2;
const GENERIC = 0;
const METER = 0;
const CONCENTRATOR = 2;

describe('fwimage verifier (host build)', function () {
  this.timeout(120000);
  const dir = tempDir();
  const keys = join(dir, 'keys');
  const other = join(dir, 'other');
  let exe = '';
  let legalSigned = '';
  let legalImage: Buffer;
  const file = (name: string, bytes: Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const signed = (part: 'generic' | 'legal' | 'plc' | 'nonlegal', role: string, key: string, extra: string[] = []): string => {
    const out = join(dir, `${part}-${role}-${key.replace(/\W/g, '_')}-${extra.join('_')}.signed`);
    const r = tool('sign', [partImage(dir, part, role), '--key', key, '--out', out, ...extra]);
    assert.equal(r.status, 0, r.stderr);
    return out;
  };
  const refusal = (code: number, text: string): string => `REFUSED ${code} ${text}`;

  before(() => {
    assert.equal(tool('keys', ['--out', keys]).status, 0);
    assert.equal(tool('keys', ['--out', other]).status, 0);
    exe = buildVerifier(keys, 'test');
    legalSigned = signed('legal', 'meter', join(keys, 'legal.pem'), ['--security-counter', '5', '--version', '1.4.2+9']);
    legalImage = readFileSync(legalSigned);
  });

  it('accepts signed images of each key class, reading in bounded chunks', () => {
    const ok = verify(exe, legalSigned, LEGAL, METER, 5);
    assert.match(ok, /^OK part=1 role=0 counter=5 version=1\.4\.2\+9 key=legal /);
    const maxRead = Number(/max_read=(\d+)/.exec(ok)![1]);
    assert.ok(maxRead <= 256, `largest read ${maxRead} bytes: chunks of FWIMAGE_CHUNK, never the whole image`);
    assert.ok(legalImage.length > 1000);
    assert.match(verify(exe, legalSigned, LEGAL, METER, 0), /^OK /, 'a counter above the device is accepted');
    assert.match(verify(exe, legalSigned, LEGAL, METER, 5, legalImage.length + 4096), /^OK /, 'in a larger slot');
    const plc = signed('plc', 'concentrator', join(keys, 'nonlegal.pem'));
    assert.match(verify(exe, plc, PLC, CONCENTRATOR, 0), /^OK part=2 role=2 counter=0 .* key=nonlegal /);
    const generic = signed('generic', 'meter', join(keys, 'legal.pem'));
    assert.match(verify(exe, generic, GENERIC, METER, 0), /^OK part=0 .* key=legal /);
  });

  it('refuses an unsigned image, an unknown key and the wrong key class', () => {
    const l = readLayout(legalImage);
    const header = legalImage.subarray(0, l.hdrSize);
    const payload = legalImage.subarray(l.hdrSize, l.hdrSize + l.imgSize);
    const prot: [number, Buffer][] = l.prot.map((t) => [t.type, t.value]);
    const keyPem = readFileSync(join(keys, 'legal.pem'), 'utf8');
    const unsigned = file('unsigned', craft({ header, payload, prot, keyPem, unsigned: true }));
    assert.equal(verify(exe, unsigned, LEGAL, METER, 0), refusal(5, 'unsigned'));
    const foreign = signed('legal', 'meter', join(other, 'legal.pem'));
    assert.equal(verify(exe, foreign, LEGAL, METER, 0), refusal(7, 'unknown key'));
    const crossed = signed('legal', 'meter', join(keys, 'nonlegal.pem'));
    assert.equal(verify(exe, crossed, LEGAL, METER, 0), refusal(10, 'wrong key class for this part'));
    const crossedPlc = signed('plc', 'meter', join(keys, 'legal.pem'));
    assert.equal(verify(exe, crossedPlc, PLC, METER, 0), refusal(10, 'wrong key class for this part'));
  });

  it('refuses an image for another part, another role, or below the security counter', () => {
    assert.equal(verify(exe, legalSigned, GENERIC, METER, 0), refusal(9, 'wrong part'));
    assert.equal(verify(exe, legalSigned, LEGAL, CONCENTRATOR, 0), refusal(11, 'wrong role'));
    assert.equal(verify(exe, legalSigned, LEGAL, METER, 6), refusal(12, 'rollback'));
  });

  it('refuses truncated images at every region', () => {
    const l = readLayout(legalImage);
    const cuts = [
      0,
      3,
      4,
      20,
      l.hdrSize,
      l.hdrSize + 100,
      l.protAt,
      l.protAt + 6,
      l.unprotAt,
      l.unprotAt + 2,
      l.unprotAt + 40,
      legalImage.length - 1,
    ];
    for (const n of cuts) {
      const cut = file(`cut-${n}`, legalImage.subarray(0, n));
      assert.equal(verify(exe, cut, LEGAL, METER, 0), refusal(2, 'truncated'), `cut at ${n}`);
      // the same slot size, over the whole file: the reads stop at the slot's end
      assert.equal(verify(exe, legalSigned, LEGAL, METER, 0, n), refusal(2, 'truncated'), `slot of ${n} bytes`);
    }
  });

  it('refuses a flipped byte in the header, payload and TLVs with the right reason', () => {
    const l = readLayout(legalImage);
    const sig = l.unprot.find((t) => t.type === 0x22)!;
    const flips: [string, number, string][] = [
      ['magic', 0, refusal(1, 'bad magic')],
      ['load address', 4, refusal(6, 'hash mismatch')],
      ['version', 21, refusal(6, 'hash mismatch')],
      ['header size', 8, refusal(3, 'bad header')],
      ['payload start', l.hdrSize, refusal(6, 'hash mismatch')],
      ['payload middle', l.hdrSize + (l.imgSize >> 1), refusal(6, 'hash mismatch')],
      ['payload end', l.protAt - 1, refusal(6, 'hash mismatch')],
      ['protected TLV magic', l.protAt, refusal(4, 'bad TLV area')],
      ['SEC_CNT value', l.prot[0]!.at, refusal(6, 'hash mismatch')],
      ['TARGET part', l.prot[1]!.at, refusal(6, 'hash mismatch')],
      ['unprotected TLV magic', l.unprotAt, refusal(4, 'bad TLV area')],
      ['SHA256 value', l.unprot[0]!.at + 31, refusal(6, 'hash mismatch')],
      ['KEYHASH value', l.unprot[1]!.at, refusal(7, 'unknown key')],
      ['signature r', sig.at + 10, refusal(8, 'bad signature')],
      ['signature last byte', sig.at + sig.len - 1, refusal(8, 'bad signature')],
      ['signature DER tag', sig.at, refusal(8, 'bad signature')],
    ];
    for (const [what, at, reason] of flips) {
      const b = Buffer.from(legalImage);
      b[at] = b[at]! ^ (what === 'header size' ? 0x20 : 0x01);
      assert.equal(verify(exe, file(`flip-${at}`, b), LEGAL, METER, 0), reason, what);
    }
  });

  it('refuses misplaced, duplicate or missing TLVs, and a part image that disagrees, even when signed', () => {
    const l = readLayout(legalImage);
    const header = legalImage.subarray(0, l.hdrSize);
    const payload = legalImage.subarray(l.hdrSize, l.hdrSize + l.imgSize);
    const keyPem = readFileSync(join(keys, 'legal.pem'), 'utf8');
    const target = Buffer.from([LEGAL, METER, 0, 0]);
    const run = (name: string, o: Partial<Parameters<typeof craft>[0]>): string =>
      verify(
        exe,
        file(
          name,
          craft({
            header,
            payload,
            keyPem,
            prot: [
              [0x50, u32(1)],
              [0x4da0, target],
            ],
            ...o,
          }),
        ),
        LEGAL,
        METER,
        0,
      );
    assert.match(run('crafted-ok', {}), /^OK /, 'the crafting itself is sound');
    assert.equal(
      run('dup-seccnt', {
        prot: [
          [0x50, u32(1)],
          [0x50, u32(9)],
          [0x4da0, target],
        ],
      }),
      refusal(4, 'bad TLV area'),
    );
    assert.equal(run('no-seccnt', { prot: [[0x4da0, target]] }), refusal(4, 'bad TLV area'));
    assert.equal(run('no-target', { prot: [[0x50, u32(1)]] }), refusal(4, 'bad TLV area'));
    assert.equal(run('no-prot', { prot: [] }), refusal(4, 'bad TLV area'));
    assert.equal(run('seccnt-unprotected', { prot: [[0x4da0, target]], unprotExtra: [[0x50, u32(99)]] }), refusal(4, 'bad TLV area'));
    assert.equal(
      run('short-seccnt', {
        prot: [
          [0x50, Buffer.alloc(2)],
          [0x4da0, target],
        ],
      }),
      refusal(4, 'bad TLV area'),
    );
    assert.match(run('unknown-tlv', { unprotExtra: [[0x75, Buffer.alloc(7)]] }), /^OK /, 'unknown unprotected TLVs are skipped');
    // the MFWI part image inside: another part (header CRC made right), a bad CRC, a short payload
    const other = Buffer.from(payload);
    other[6] = PLC;
    other.writeUInt32LE(crc32(other.subarray(0, 56)), 56);
    assert.equal(run('mfwi-part', { payload: other }), refusal(13, 'part image header disagrees'));
    const badCrc = Buffer.from(payload);
    badCrc[56] = badCrc[56]! ^ 1;
    assert.equal(run('mfwi-crc', { payload: badCrc }), refusal(13, 'part image header disagrees'));
    assert.equal(run('mfwi-short', { payload: payload.subarray(0, payload.length - 4) }), refusal(13, 'part image header disagrees'));
    assert.equal(run('mfwi-none', { payload: Buffer.alloc(40) }), refusal(13, 'part image header disagrees'));
  });
});
