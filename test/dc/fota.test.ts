// The campaign's image intake (dc/fota.ts) fed with the lines `npm run fota` (tools/fota.ts)
// sends: chunks checked by their CRC-32 and taken in order (a repeat is not written twice), the
// image's CRC-32 read back from the flash area at END; and the tool's command line.
import assert from 'node:assert/strict';
import { Campaign, fotaConfig } from '../../modules/nonlegal/dc/fota.js';
import { dataLine, parseFotaArgs, CHUNK } from '../../tools/fota.js';
import { UsageError } from '../../tools/dc.js';
import { NorArea } from '../helpers/nor.js';
// @ts-expect-error: plain JavaScript build tool without declarations
import { crc32 as crc32Js } from '../../tools/image.mjs';

const crc32 = crc32Js as (b: Uint8Array, crc?: number) => number;
/** The driver's running CRC-32 (checksum continues until reset), as drivers/crc gives it. */
function runningCrc() {
  let c = 0;
  return {
    reset() {
      c = 0;
    },
    checksum(b: BufferLike) {
      const v = b as ArrayBufferView;
      c = crc32(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), c);
      return c;
    },
  };
}
const words = (line: string) =>
  line
    .split(' ')
    .slice(3)
    .map((w) => Number(w));

describe('DC FOTA image intake and npm run fota', () => {
  it('takes the chunks of npm run fota in order, refuses a bad CRC-32 or a gap, and checks the image at END', () => {
    const area = new NorArea(512 * 1024, 'fota-image');
    const c = new Campaign(
      fotaConfig({ maxImageSize: 100000 }, area),
      area,
      runningCrc(),
      null as never,
      null as never,
      null as never,
      () => {},
    );
    const img = new Uint8Array(5000).map((_, i) => (i * 13) & 0xff); // 157 chunks, the last 8 octets
    assert.throws(() => c.load(100001), /size: 1\.\.100000/);
    c.load(img.length);
    const lines: number[][] = [];
    for (let at = 0; at < img.length; at += CHUNK) lines.push(words(dataLine(img, at)));
    const bad = [...lines[1]!];
    bad[1] = (bad[1]! ^ 1) >>> 0;
    assert.throws(() => c.data(bad[0]!, bad[1]!, bad.slice(2)), /CRC-32/);
    assert.throws(() => c.data(lines[1]![0]!, lines[1]![1]!, lines[1]!.slice(2)), /32 expected|0 expected/);
    for (const l of lines) assert.equal(c.data(l[0]!, l[1]!, l.slice(2)), true);
    assert.equal(c.data(lines.at(-1)![0]!, lines.at(-1)![1]!, lines.at(-1)!.slice(2)), false); // a repeat
    assert.equal(c.received, img.length);
    assert.deepEqual(area.mem.subarray(0, img.length), img);
    assert.equal(area.erases[1], 1); // each sector erased once, when its first chunk came
    assert.throws(() => c.end(crc32(img) ^ 1), /CRC-32/);
    assert.equal(c.end(crc32(img)), crc32(img));
    assert.deepEqual(c.counters, { chunks: lines.length, badChunks: 1, campaigns: 0 });
  });

  it('parses the command line, refuses a bad one with a usage error', () => {
    assert.deepEqual(parseFotaArgs(['img.bin', '--meters', 'all', '--connect', 'localhost:4000']), {
      image: 'img.bin',
      meters: 'all',
      json: false,
      host: 'localhost',
      port: 4000,
    });
    assert.deepEqual(parseFotaArgs(['i', '--meters', '0x2,0000000000000003', '--json', '--connect', 'h:1']).meters, [
      '0x2',
      '0000000000000003',
    ]);
    for (const argv of [
      ['--meters', 'all', '--connect', 'h:1'],
      ['i', '--connect', 'h:1'],
      ['i', '--meters', 'all'],
      ['i', '--meters', 'x,y', '--connect', 'h:1'],
      ['i', '--meters', 'all', '--connect', 'h:0'],
      ['i', 'j', '--meters', 'all', '--connect', 'h:1'],
    ])
      assert.throws(() => parseFotaArgs(argv), UsageError, argv.join(' '));
  });
});
