// The fuzz targets (docs/fuzzing.md). Native targets are libFuzzer harnesses (fuzz/native/*.c)
// built with clang and ASan/UBSan; TypeScript targets are fast-check properties over one
// decoder each: the decoder returns a value or throws DecodeError / NeedMoreData (or the
// documented error of that decoder), never anything else, and where an encoder exists a decoded
// value encodes again to bytes that decode to the same value. The per-input time bound and the
// memory bound are the runner's (fuzz/run.ts, fuzz/worker.ts).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError, NeedMoreData } from '../modules/generic/shared/errors.js';
import { decodeMacFrame, encodeMacFrame, decodeBeaconPayload, type MacFrame } from '../modules/plc/mac-frame.js';
import { decodeAdpFrame, encodeMeshHeader, encodeBroadcastHeader, encodeFragHeader, encodeEsc } from '../modules/plc/adp.js';
import { decompressIphc } from '../modules/plc/iphc.js';
import { parseEcho } from '../modules/generic/shared/icmpv6.js';
import { decodeIpv6 } from '../modules/generic/shared/ipv6.js';
import { decodeLoadng, encodeLoadng } from '../modules/plc/loadng.js';
import { decodeLbp, encodeLbp, decodeParams, encodeParams } from '../modules/plc/lbp-codec.js';
import { decodeEap, encodeEap, decodePsk, encodePsk } from '../modules/plc/eap-psk.js';
import { parsePacket } from '../modules/generic/shared/ipv6.js';
import { App, APP_PORT } from '../modules/nonlegal/app/app.js';
import { X_APP_RX_EVENT } from '../modules/generic/ids.js';
import type { RunServiceFn } from '../modules/generic/services.js';
import type { Tcpip } from '../modules/nonlegal/net/tcpip.js';
import { decodeData, encodeData } from '../modules/nonlegal/dlms/axdr.js';
import { decodeApdu, encodeApdu } from '../modules/nonlegal/dlms/xdlms.js';
import { decodeAcse, encodeAcse } from '../modules/nonlegal/dlms/acse.js';
import { decodeWrapperDatagram, encodeWrapper } from '../modules/nonlegal/dlms/wrapper.js';
import { decodeHdlcFrame, encodeHdlcFrame, decodeHdlcParameters, HdlcFrameReader } from '../modules/nonlegal/dlms/hdlc.js';
import {
  parseSignOn,
  parseIdentification,
  parseAcknowledgement,
  parseDataReadout,
  parseDataSet,
} from '../modules/nonlegal/dlms/iec62056-21.js';
import { Shell } from '../modules/generic/shell.js';
import { frame } from '../emulator/medium/port.js';
import { macSeeds, payloadSeeds } from '../test/fixtures/plc-frames/generate.js';

export interface NativeTarget {
  name: string;
  kind: 'native';
  what: string;
  /** C sources besides the harness, relative to the repository. */
  sources: string[];
  includes: string[];
  /** Preprocessor definitions (NAME=value), for every source. */
  defines?: string[];
  /** Seed inputs (libFuzzer's input format of the harness). */
  seeds: () => Uint8Array[];
}

export interface TsTarget {
  name: string;
  kind: 'ts';
  what: string;
  maxLength: number;
  seeds: () => Uint8Array[];
  /** Throws an AssertionError (or any error but the decoder's clean refusals) on a property violation. */
  check: (input: Uint8Array) => void;
}

export type Target = NativeTarget | TsTarget;

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Runs decode; a clean refusal returns undefined, anything else but a value propagates. */
function clean<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError || e instanceof NeedMoreData) return undefined;
    throw e;
  }
}

/** decode(encode(v)) must be v. */
function roundTrip<T>(v: T, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T, what: string): void {
  const again = decode(encode(v));
  assert.deepStrictEqual(again, v, `${what}: re-encoded value decodes differently`);
}

// ---- PLC frames, on the modem port ----

const portFrame = frame;

/** DATA_INDICATION payload: lqi, modulation, time (u64), then the MPDU. */
export function indication(mpdu: Uint8Array): Uint8Array {
  const p = new Uint8Array(10 + mpdu.length);
  p[0] = 50;
  p.set(mpdu, 10);
  return portFrame(0x82, p);
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const PAN = 0x781d;
const iphcOpts = { panId: PAN };

const nativeTargets: NativeTarget[] = [
  {
    name: 'macframe',
    kind: 'native',
    what: 'drivers/macframe: the native 802.15.4 MAC frame codec (decode, re-encode)',
    sources: ['drivers/macframe/macframe.c', 'drivers/crc/crc.c'],
    includes: ['drivers/macframe', 'drivers/crc'],
    seeds: () => macSeeds().flatMap((f) => [concat(Uint8Array.of(0), f), concat(Uint8Array.of(1), f, fcsOf(f))]),
  },
  {
    name: 'macrx',
    kind: 'native',
    what: 'drivers/macframe/macrx.c: the one-call MAC receive (decode, filters, duplicate, replay, CCM* open) and transmit paths',
    sources: [
      'drivers/macframe/macrx.c',
      'drivers/macframe/macframe.c',
      'drivers/crc/crc.c',
      'drivers/crypto/crypto.c',
      ...['aes', 'ccm', 'gcm', 'cmac', 'cipher', 'cipher_wrap', 'constant_time', 'sha256', 'platform_util', 'platform'].map(
        (f) => `deps/mbedtls-2.28.3/library/${f}.c`,
      ),
    ],
    includes: ['drivers/macframe', 'drivers/crc', 'drivers/crypto', 'hosts/common', 'deps/mbedtls-2.28.3/include'],
    defines: ['MBEDTLS_CONFIG_FILE="mbedtls-config.h"'],
    // config byte: 8 sources, GMK 0 set; then length-prefixed frames (each seed frame twice: the
    // second is a duplicate)
    seeds: () => macSeeds().map((f) => concat(Uint8Array.of(0x0f), ...[0, 1].map(() => concat(Uint8Array.of(Math.min(f.length, 255)), f)))),
  },
  {
    name: 'plcmodem',
    kind: 'native',
    what: 'drivers/plcmodem: the modem-port framing and parser (resync, queue, counters)',
    sources: ['drivers/plcmodem/plcmodem.c', 'drivers/crc/crc.c'],
    includes: ['drivers/plcmodem', 'drivers/crc'],
    seeds: () => [
      concat(Uint8Array.of(0), ...macSeeds().slice(0, 4).map(indication)),
      concat(Uint8Array.of(7), hex('010203'), indication(macSeeds()[0]!)),
      concat(Uint8Array.of(0x40), ...macSeeds().slice(0, 10).map(indication)),
    ],
  },
  {
    name: 'simclock-tap',
    kind: 'native',
    what: "hosts/lin/simclock.c sim_clock_tap: the lin host's filter of the modem port (READY/TIME)",
    sources: ['hosts/lin/simclock.c', 'drivers/plcmodem/plcmodem.c', 'drivers/crc/crc.c'],
    includes: ['hosts/lin', 'hosts/common', 'drivers/plcmodem', 'drivers/crc'],
    seeds: () => [
      concat(
        Uint8Array.of(0),
        portFrame(0x80, hex('0101 0000000000000000')),
        portFrame(0x83, hex('00000000000f4240')),
        indication(macSeeds()[0]!),
      ),
      concat(Uint8Array.of(3), hex('7e'), portFrame(0x83, hex('00000000000f4240'))),
    ],
  },
  {
    name: 'stpm-link',
    kind: 'native',
    what: "drivers/metrology/stpm_link.c: the metrology device's replies over its serial link",
    sources: ['drivers/metrology/stpm_link.c'],
    includes: ['drivers/metrology'],
    seeds: () => [new Uint8Array(24 * 6).fill(0x11)],
  },
  {
    name: 'axdr-table',
    kind: 'native',
    what: 'drivers/axdr: the native A-XDR table codec (a load profile buffer: decode, re-encode, decode again)',
    sources: ['drivers/axdr/axdr.c'],
    includes: ['drivers/axdr'],
    seeds: () => [
      // clock (octet-string 12) and four double-long-unsigned, two rows
      concat(
        hex('0610 090c 06 06 06 06'),
        hex('0102'),
        ...[1, 2].map((k) =>
          hex(`0205 090c 07ea010104000000000000${k.toString(16).padStart(2, '0')}00 06000003e8 0600000001 06000001f4 0600000002`),
        ),
      ),
      // every fixed-size tag once, one row
      concat(
        hex('0e10 00 03 05 06 0d 0f 10 11 12 14 15 16 19 1a'),
        hex('0101 020e 00 0301 0500000001 0600000002 0d12 0ffe 10ff00 1101 120102'),
        hex('140000000000000001 150000000000000002 1601 19000102030405060708090a0b 1a0001020304'),
      ),
      // long-form row count, and a row bound of 8 below the count
      concat(hex('0210 0611'), hex('018100')),
      concat(hex('4210 0611'), hex('0109 0202 0600000001 1101'.repeat(1))),
    ],
  },
  {
    name: 'fwimage',
    kind: 'native',
    what: 'drivers/fwimage/fwimage_parse.c: the header and TLV parser of signed images (MCUboot format)',
    sources: ['drivers/fwimage/fwimage_parse.c'],
    includes: ['drivers/fwimage'],
    seeds: () => [concat(Uint8Array.of(0), signedImageSeed(true)), concat(Uint8Array.of(0x85), signedImageSeed(false))],
  },
];

/** A signed image's layout (docs/image-format.md) with a small payload and placeholder hash,
 * key hash and signature: the parser checks structure, not crypto. */
export function signedImageSeed(signed: boolean): Uint8Array {
  const le = (n: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => (n >>> (8 * i)) & 0xff);
  const tlv = (type: number, value: number[]): number[] => [...le(type, 2), ...le(value.length, 2), ...value];
  const prot = [...tlv(0x50, le(3, 4)), ...tlv(0x4da0, [1, 0, 0, 0])];
  const unprot = [
    ...tlv(0x10, new Array(32).fill(0xaa)),
    ...(signed ? [...tlv(0x01, new Array(32).fill(0xbb)), ...tlv(0x22, [0x30, 0x44, 0x02, 0x20, ...new Array(64).fill(0x11)])] : []),
  ];
  const payload = new Array(80).fill(0x5a);
  const header = [...le(0x96f3b83d, 4), ...le(0, 4), ...le(32, 2), ...le(4 + prot.length, 2), ...le(payload.length, 4)];
  header.push(...le(0, 4), 1, 2, ...le(3, 2), ...le(4, 4), ...le(0, 4));
  return Uint8Array.from([
    ...header,
    ...payload,
    ...le(0x6908, 2),
    ...le(4 + prot.length, 2),
    ...prot,
    ...le(0x6907, 2),
    ...le(4 + unprot.length, 2),
    ...unprot,
  ]);
}

function fcsOf(f: Uint8Array): Uint8Array {
  let c = 0;
  for (const b of f) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  }
  return Uint8Array.of(c & 0xff, c >> 8);
}

// ---- TypeScript decoders ----

function appTarget(): (input: Uint8Array) => void {
  const ip = { task: 2, loopback: false, bind: () => undefined, sendUdp: () => '' } as unknown as Tcpip;
  const rs = ((name: string) =>
    name === 'timer.create' ? 1 : name === 'misc.uptime' ? 0 : name === 'task.find' ? undefined : 0) as unknown as RunServiceFn;
  const app = new App(rs, 3, ip);
  return (d) => {
    const before = { ...app.counters };
    app.onMessage({ id: X_APP_RX_EVENT, from: 2, to: 3, payload: { data: d, src: 1, srcPort: APP_PORT } } as never);
    const moved = (Object.keys(before) as (keyof App['counters'])[]).some((k) => app.counters[k] !== before[k]);
    assert.ok(moved, 'app: a datagram left no counter moved');
  };
}

function shellTarget(): (input: Uint8Array) => void {
  let out = '';
  const shell = new Shell((t) => {
    out += t;
  }, 128);
  shell.register({ module: 'SYS', command: 'VERSION', params: 0, help: '', owner: 'fuzz', handler: (_p, print) => print('ok\r\n') });
  shell.register({
    module: 'METRO',
    command: 'LOAD',
    params: [4, 5],
    help: '',
    owner: 'fuzz',
    handler: (p) => {
      if (p[0]! > 3) throw new RangeError('phase');
    },
  });
  shell.register({
    module: 'LCD',
    command: 'PRESS',
    params: 1,
    help: '',
    owner: 'fuzz',
    handler: () => undefined,
    symbols: { P1: 1, P2: 2 },
  });
  return (b) => {
    out = '';
    const errors = shell.stats.errors;
    shell.input(b);
    shell.input(Uint8Array.of(13, 10)); // end whatever line is open: the shell is back in text state
    for (const line of out.split('\r\n'))
      assert.ok(line.length <= 512 && !/[\x00-\x08\x0b-\x1f\x7f-\xff]/.test(line), 'shell: output line is not text');
    assert.ok(shell.stats.errors >= errors);
  };
}

const mac = (payload: Uint8Array): Uint8Array => encodeMacFrame({ type: 1, seq: 1, dstPan: PAN, dst: 2, src: 1, payload } as MacFrame);

function bytesDecoder<T>(decode: (b: Uint8Array) => T, encode?: (v: T) => Uint8Array, what = ''): (b: Uint8Array) => void {
  return (b) => {
    const v = clean(() => decode(b));
    if (v !== undefined && encode) roundTrip(v, encode, decode, what);
  };
}

const tsTargets: TsTarget[] = [
  {
    name: 'mac',
    kind: 'ts',
    what: 'modules/plc/mac-frame.ts: the TypeScript MAC codec and the beacon payload',
    maxLength: 420,
    seeds: macSeeds,
    check: (b) => {
      const f = clean(() => decodeMacFrame(b));
      if (f && f.type !== 2) {
        const again = clean(() => decodeMacFrame(encodeMacFrame(f as MacFrame)));
        assert.ok(again, 'mac: re-encoded frame does not decode');
        assert.deepStrictEqual(again.payload, f.payload);
      }
      clean(() => decodeBeaconPayload(b));
    },
  },
  {
    name: 'adp',
    kind: 'ts',
    what: 'modules/plc/adp.ts: dispatch, mesh, broadcast and fragment headers',
    maxLength: 400,
    seeds: payloadSeeds,
    check: bytesDecoder(decodeAdpFrame),
  },
  {
    name: 'iphc',
    kind: 'ts',
    what: 'modules/plc/iphc.ts: IPHC and NHC UDP decompression (whole packet and FRAG1)',
    maxLength: 400,
    seeds: () => payloadSeeds().filter((p) => (p[0]! & 0xe0) === 0x60),
    check: (b) => {
      clean(() => decompressIphc(b, 1, 2, iphcOpts));
      clean(() => decompressIphc(b, Uint8Array.of(0, 0x80, 0xe1, 0, 0, 0, 0, 1), null, iphcOpts, 100 + (b[0] ?? 0)));
    },
  },
  {
    name: 'loadng',
    kind: 'ts',
    what: 'modules/plc/loadng.ts: RREQ, RREP, RERR, RLCREQ, RLCREP',
    maxLength: 64,
    seeds: () =>
      payloadSeeds()
        .filter((p) => p[0] === 0x40 && p[1] === 1)
        .map((p) => p.subarray(2)),
    check: bytesDecoder(decodeLoadng, encodeLoadng, 'loadng'),
  },
  {
    name: 'lbp',
    kind: 'ts',
    what: 'modules/plc/lbp-codec.ts: LBP messages and their parameter lists',
    maxLength: 300,
    seeds: () =>
      payloadSeeds()
        .filter((p) => p[0] === 0x40 && p[1] === 2)
        .map((p) => p.subarray(2)),
    check: (b) => {
      const m = clean(() => decodeLbp(b));
      if (m) {
        roundTrip(m, encodeLbp, decodeLbp, 'lbp');
        const ps = clean(() => decodeParams(m.data));
        if (ps) roundTrip(ps, encodeParams, (d) => decodeParams(d), 'lbp params');
      }
    },
  },
  {
    name: 'eap-psk',
    kind: 'ts',
    what: 'modules/plc/eap-psk.ts: EAP packets and EAP-PSK messages 1..4',
    maxLength: 300,
    seeds: () =>
      payloadSeeds()
        .filter((p) => p[0] === 0x40 && p[1] === 2)
        .map((p) => p.subarray(12)),
    check: (b) => {
      const e = clean(() => decodeEap(b));
      if (e) roundTrip(e, encodeEap, decodeEap, 'eap');
      const p = clean(() => decodePsk(b));
      if (p) roundTrip(p, encodePsk, decodePsk, 'psk');
    },
  },
  {
    name: 'ipv6-udp',
    kind: 'ts',
    what: 'modules/generic/shared/ipv6.ts decodeIpv6, parsePacket; modules/generic/shared/icmpv6.ts parseEcho (IPv6, UDP, ICMPv6)',
    maxLength: 600,
    seeds: () => payloadSeeds().filter((p) => p[0] === 0x60),
    check: (b) => {
      clean(() => decodeIpv6(b));
      clean(() => parseEcho(b));
      const p = parsePacket(b);
      assert.ok(typeof p === 'string' || (typeof p === 'object' && p !== null), 'parsePacket: a packet or a drop reason');
    },
  },
  {
    name: 'app',
    kind: 'ts',
    what: 'modules/nonlegal/app/app.ts: the APP message types (dispatch, FW_UPDATE, TEST, DATA)',
    maxLength: 1100,
    seeds: () => [hex('010001'), hex('0300010002aabb'), hex('05000104'), hex('0600010000'), hex('0400010002'), hex('ff')],
    check: (b) => appCheck()(b),
  },
  {
    name: 'axdr',
    kind: 'ts',
    what: 'modules/nonlegal/dlms/axdr.ts: A-XDR Data (every type, arrays, structures, compact arrays)',
    maxLength: 512,
    seeds: () => [
      hex('0102 0904 01020304 1200 05'),
      hex('0203 0600000001 0f05 1901e20101ff0000000000800000'),
      hex('00'),
      hex('0300'),
      hex('1301020304'),
      hex('0a03616263'),
      hex('1302 0202 1200 1100 0002 0001 0002'),
    ],
    check: bytesDecoder((b) => decodeData(b), encodeData, 'axdr'),
  },
  {
    name: 'xdlms',
    kind: 'ts',
    what: 'modules/nonlegal/dlms/xdlms.ts and acse.ts: the xDLMS APDUs, AARQ/AARE/RLRQ/RLRE',
    maxLength: 512,
    seeds: () => [
      hex('c001c1000800000100ff0200'),
      hex('c401c1000906000001 0000ff'.replace(' ', '')),
      hex('c10181000300005e5b00ff0200 0f01'.replace(' ', '')),
      hex('601da109060760857405080101be10040e01000000065f1f0400007e1fffff'),
      hex('6129a109060760857405080101a203020100a305a103020100be10040e0800065f1f040000501f01f40007'),
      hex('6200'),
      hex('6300'),
    ],
    check: (b) => {
      const a = clean(() => decodeApdu(b));
      if (a) roundTrip(a, encodeApdu, (d) => decodeApdu(d), 'xdlms');
      const c = clean(() => decodeAcse(b));
      if (c) roundTrip(c, encodeAcse, (d) => decodeAcse(d), 'acse');
    },
  },
  {
    name: 'wrapper',
    kind: 'ts',
    what: 'modules/nonlegal/dlms/wrapper.ts: the DLMS/COSEM UDP wrapper',
    maxLength: 300,
    seeds: () => [hex('0001 0010 0001 000d c001c1000800000100ff0200'.replace(/ /g, ''))],
    check: bytesDecoder((b) => decodeWrapperDatagram(b), encodeWrapper, 'wrapper'),
  },
  {
    name: 'hdlc',
    kind: 'ts',
    what: 'modules/nonlegal/dlms/hdlc.ts: HDLC frames, the frame reader, the SNRM/UA parameters',
    maxLength: 300,
    seeds: () => [
      hex('7ea00703219 30f017e'.replace(' ', '')),
      hex('7ea01e2103731d418180120180020180030400000001040400000001ad7a7e'),
      hex('a0070321930f01'),
      hex('818012050180060180070400000001080400000001'),
    ],
    check: (b) => {
      const f = clean(() => decodeHdlcFrame(b));
      if (f) {
        const again = clean(() => decodeHdlcFrame(encodeHdlcFrame(f)));
        assert.ok(again, 'hdlc: re-encoded frame does not decode');
        assert.deepStrictEqual(again, f);
      }
      clean(() => decodeHdlcParameters(b));
      const r = new HdlcFrameReader();
      for (let i = 0; i < b.length; i += 7) clean(() => r.push(b.subarray(i, i + 7)));
    },
  },
  {
    name: 'iec62056-21',
    kind: 'ts',
    what: 'modules/nonlegal/dlms/iec62056-21.ts: sign-on, identification, option select, data readout, data sets',
    maxLength: 300,
    seeds: () => [
      ascii('/?!\r\n'),
      ascii('/?12345678!\r\n'),
      ascii('/ISK5ME382-1000\r\n'),
      ascii('\x06050\r\n'),
      ascii('\x021.8.0(001234.5*kWh)\r\n!\r\n\x03\x1c'),
      ascii('1.8.0(001234.5*kWh)'),
    ],
    check: (b) => {
      clean(() => parseSignOn(b));
      clean(() => parseIdentification(b));
      clean(() => parseAcknowledgement(b));
      clean(() => parseDataReadout(b));
      clean(() => parseDataSet(String.fromCharCode(...b)));
    },
  },
  {
    name: 'shell',
    kind: 'ts',
    what: "modules/generic/shell.ts: the shell's line discipline and command parser",
    maxLength: 400,
    seeds: () => [
      ascii('SYS VERSION\r\n'),
      ascii('METRO LOAD 1 230000 5000 0\r\n'),
      ascii('LCD PRESS P1\n'),
      ascii('HELP\r\n'),
      ascii('metro load 0x4 -1 2 3\r'),
      ascii('SYS VERSION\x01\r\n'),
    ],
    check: (b) => shellCheck()(b),
  },
];

let appInstance: ((b: Uint8Array) => void) | undefined;
let shellInstance: ((b: Uint8Array) => void) | undefined;
const appCheck = (): ((b: Uint8Array) => void) => (appInstance ??= appTarget());
const shellCheck = (): ((b: Uint8Array) => void) => (shellInstance ??= shellTarget());

export const TARGETS: Target[] = [...nativeTargets, ...tsTargets];

export function target(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target ${name}; npm run fuzz -- --list`);
  return t;
}

/** Inputs for a TypeScript target: random bytes, and seeds cut, extended and mutated. */
export function arbitrary(t: TsTarget): fc.Arbitrary<Uint8Array> {
  const seeds = t.seeds();
  const random = fc.uint8Array({ maxLength: t.maxLength });
  if (seeds.length === 0) return random;
  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })), { maxLength: 8 }),
    )
    .map(([seed, edits]) => {
      let b = Array.from(seed);
      for (const [at, v, op] of edits) {
        const i = b.length ? at % (b.length + 1) : 0;
        if (op === 0 && i < b.length)
          b[i] = v; // replace
        else if (op === 1)
          b.splice(i, 0, v); // insert
        else if (op === 2)
          b.splice(i, 1); // delete
        else if (i < b.length) b[i] = b[i]! ^ (1 << (v & 7)); // flip a bit
      }
      if (b.length > t.maxLength) b = b.slice(0, t.maxLength);
      return Uint8Array.from(b);
    });
  const cut = fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([s, n]) => s.subarray(0, n % (s.length + 1)));
  const tail = fc.tuple(fc.constantFrom(...seeds), fc.uint8Array({ maxLength: 32 })).map(([s, t2]) => concat(s, t2));
  return fc.oneof(
    { arbitrary: random, weight: 2 },
    { arbitrary: mutated, weight: 5 },
    { arbitrary: cut, weight: 2 },
    { arbitrary: tail, weight: 1 },
  );
}

export { mac as macDataFrame, portFrame, encodeMeshHeader, encodeBroadcastHeader, encodeFragHeader, encodeEsc };
