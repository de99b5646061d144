// Test fixtures: a simulated meter (providers), in-memory transports for the wrapper and HDLC.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import type { DateTimeValue, DlmsData } from '../../modules/nonlegal/dlms/axdr.js';
import { serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import {
  CosemServer,
  DlmsClient,
  dt,
  u32,
  en,
  type AesBlock,
  type ClientConfig,
  type CosemServerOptions,
  type SecurityEventKind,
  type DlmsClientOptions,
} from '../../modules/nonlegal/cosem/index.js';
import { HdlcClientLink, HdlcServerLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import { WrapperClientLink, WrapperServerPort, type ApduLink, type ByteTransport } from '../../modules/nonlegal/dlms/link.js';
import { createMeterObjects, type MeterProviders, DEFAULT_CLIENTS } from '../../modules/nonlegal/meter/meter-objects.js';

export { nodeGcm };
export const hex = fromHex;

interface Ecb {
  update(b: Uint8Array): Uint8Array;
  final(): Uint8Array;
  setAutoPadding(p: boolean): unknown;
}
type EcbFactory = (alg: string, key: Uint8Array, iv: null) => Ecb;
const ecb = (f: unknown, key: Uint8Array, b: Uint8Array) => {
  const c = (f as EcbFactory)('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array([...c.update(b), ...c.final()]);
};
export const nodeAes: AesBlock = { encrypt: (k, b) => ecb(createCipheriv, k, b), decrypt: (k, b) => ecb(createDecipheriv, k, b) };

export const KEYS = { encryptionKey: hex('000102030405060708090A0B0C0D0E0F'), authenticationKey: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
export const MASTER = hex('00112233445566778899AABBCCDDEEFF');
export const SERVER_TITLE = hex('4D4D4D0000BC614E');
export const CLIENT_TITLE = hex('4D4D4D0000000001');

export function dateTime(day: number, hour: number, minute: number): DateTimeValue {
  return { year: 2024, month: 1, day, dayOfWeek: 0xff, hour, minute, second: 0, hundredths: 0, deviation: 0, clockStatus: 0 };
}

/** 96 quarter-hour entries of 2024-01-01: clock, +A, -A, +R, -R. */
export function loadProfileRows(n = 96): DlmsData[][] {
  const rows: DlmsData[][] = [];
  for (let i = 0; i < n; i++)
    rows.push([
      dt(dateTime(1 + Math.floor(i / 96), Math.floor((i % 96) / 4), (i % 4) * 15)),
      u32(1000 + i * 10),
      u32(i),
      u32(500 + i),
      u32(2 * i),
    ]);
  return rows;
}

export function buffer(rows: DlmsData[][]) {
  return { count: () => rows.length, read: (first: number, n: number) => rows.slice(first, first + n) };
}

export interface Meter {
  server: CosemServer;
  providers: MeterProviders;
  events: [SecurityEventKind, string][];
  clockSets: DateTimeValue[];
  relayClosed: { v: boolean };
  pushes: Uint8Array[];
}

export function makeMeter(
  opts: Partial<CosemServerOptions> & {
    clients?: ClientConfig[];
    rows?: DlmsData[][];
    /** The load profile's buffer (default: buffer(rows), Data only). */
    loadProfile?: MeterProviders['loadProfile'];
    security?: Partial<MeterProviders['security']>;
    extra?: MeterProviders['extra'];
  } = {},
): Meter {
  const events: [SecurityEventKind, string][] = [];
  const clockSets: DateTimeValue[] = [];
  const relayClosed = { v: true };
  const pushes: Uint8Array[] = [];
  let now = dateTime(2, 12, 0);
  const rows = opts.rows ?? loadProfileRows();
  const providers: MeterProviders = {
    clock: {
      now: () => now,
      setTime: (t) => {
        clockSets.push(t);
        now = t;
        return true;
      },
    },
    energy: (o) => ({ '1.0.1.8.0.255': 123456, '1.0.2.8.0.255': 42, '1.0.3.8.0.255': 7, '1.0.4.8.0.255': 8 })[o] ?? 0,
    instant: (o) =>
      o.startsWith('1.0.32') || o.startsWith('1.0.52') || o.startsWith('1.0.72') ? 2301 : o.startsWith('1.0.14') ? 5000 : 1500,
    loadProfile: opts.loadProfile ?? buffer(rows),
    eventLog: buffer([[dt(dateTime(1, 0, 5)), { type: 'unsigned', value: 1 }]]),
    powerQualityLog: buffer([]),
    relay: {
      open: () => {
        relayClosed.v = false;
        return true;
      },
      close: () => {
        relayClosed.v = true;
        return true;
      },
      isClosed: () => relayClosed.v,
    },
    push: (apdu) => {
      pushes.push(apdu);
      return true;
    },
    security: { serverTitle: SERVER_TITLE, keys: { ...KEYS, masterKey: MASTER }, aes: nodeAes, ...opts.security },
    deviceName: 'MMM0000012345678',
    deviceId: '12345678',
    clients: opts.clients ?? [...DEFAULT_CLIENTS, { sap: 32, role: 0, mechanism: 1, secret: new TextEncoder().encode('12345678') }],
    ...(opts.extra ? { extra: opts.extra } : {}),
  };
  const server = new CosemServer({
    objects: createMeterObjects(providers),
    gcm: nodeGcm,
    random: (n) => new Uint8Array(randomBytes(n)),
    onSecurityEvent: (k, d) => {
      events.push([k, d]);
    },
    ...opts,
  });
  return { server, providers, events, clockSets, relayClosed, pushes };
}

/** In-memory byte transport: send() delivers to the peer at once, replies queue for receive(). */
export class Loop implements ByteTransport {
  readonly q: Uint8Array[] = [];
  sent: Uint8Array[] = [];
  constructor(public peer: (b: Uint8Array) => Promise<void>) {}
  async send(b: Uint8Array): Promise<void> {
    this.sent.push(b);
    await this.peer(b);
  }
  async receive(): Promise<Uint8Array> {
    const b = this.q.shift();
    if (!b) throw new Error('timeout: nothing received');
    return b;
  }
}

export type Transport = 'udp' | 'hdlc';

/** Builds a link to the meter's server, over the UDP wrapper or HDLC (split into odd chunks). */
export function linkTo(
  m: Meter,
  kind: Transport,
  clientSap: number,
  maxInfo = 128,
): { link: ApduLink; loop: Loop; hdlc?: HdlcServerLink; out?: Uint8Array[] } {
  if (kind === 'udp') {
    const port = new WrapperServerPort((sap, a) => m.server.handle(sap, a));
    const loop: Loop = new Loop(async (b) => {
      const r = await port.input(b);
      if (r) loop.q.push(r);
    });
    return { link: new WrapperClientLink(loop, clientSap, 1), loop };
  }
  const out: Uint8Array[] = [];
  const hdlc = new HdlcServerLink({
    address: serverAddress(1, 17, 2),
    send: (b) => {
      out.push(b);
    },
    handle: (sap, a) => m.server.handle(sap, a),
    onDisconnect: (sap) => m.server.release(sap),
    maxInfo,
  });
  const loop: Loop = new Loop(async (b) => {
    // Deliver in chunks of 7 bytes, as a UART would; split replies likewise.
    for (let i = 0; i < b.length; i += 7) await hdlc.input(b.subarray(i, i + 7));
    for (const r of out.splice(0)) for (let i = 0; i < r.length; i += 5) loop.q.push(r.subarray(i, i + 5));
  });
  return { link: new HdlcClientLink(loop, clientSap, serverAddress(1, 17, 2), { maxInfo }), loop, hdlc, out };
}

export function client(link: ApduLink, o: Partial<DlmsClientOptions> = {}): DlmsClient {
  return new DlmsClient({ link, gcm: nodeGcm, keys: KEYS, systemTitle: CLIENT_TITLE, random: (n) => new Uint8Array(randomBytes(n)), ...o });
}

export { en };
