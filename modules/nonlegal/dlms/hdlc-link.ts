// Minimal HDLC link layer (IEC 62056-46, NRM, window 1) for both stations: the client (primary)
// and the meter's optical/serial port (secondary). SNRM/UA with parameter negotiation, I frames
// with N(S)/N(R) and segmentation, RR polling, DISC/UA/DM. Frames come from HdlcFrameReader.
import { concat } from './bytes.js';
import {
  HdlcFrameReader,
  HdlcReassembler,
  decodeHdlcParameters,
  encodeHdlcFrame,
  encodeHdlcParameters,
  negotiateHdlcParameters,
  segmentInformation,
  type HdlcAddress,
  type HdlcFrame,
  type HdlcFrameType,
  type HdlcParameters,
} from './hdlc.js';
import { HdlcAddressValue, LLC_REQUEST, LLC_RESPONSE } from './hdlc-const.js';
import type { ApduHandler, ApduLink, ByteTransport } from './link.js';

export interface HdlcLinkOptions {
  /** Largest information field we send and accept. Default 128. */
  maxInfo?: number;
  /** Largest reassembled APDU. Default 2048 (client: 65535). */
  maxApdu?: number;
  /** Inter-octet time-out, ms, when input() is given arrival times. Default 25 (HdlcFrameReader). */
  interOctetTimeoutMs?: number;
}

const hasLlc = (b: Uint8Array, llc: Uint8Array) => b.length >= 3 && b[0] === llc[0] && b[1] === llc[1] && b[2] === llc[2];
const frame = (
  type: HdlcFrameType,
  destination: HdlcAddress,
  source: HdlcAddress,
  nr = 0,
  ns = 0,
  info: Uint8Array = new Uint8Array(0),
  segmented = false,
): HdlcFrame => ({ type, destination, source, pf: true, nr, ns, info, segmented });

function params(maxInfo: number): HdlcParameters {
  return { maxInfoTx: maxInfo, maxInfoRx: maxInfo, windowTx: 1, windowRx: 1 };
}

/** Server (secondary station) side: feed received bytes with input(); frames go out through send. */
export class HdlcServerLink {
  state: 'ndm' | 'nrm' = 'ndm';
  peer = -1;
  readonly drops = { address: 0, state: 0, sequence: 0, llc: 0, reassembly: 0, params: 0 };
  /** Valid frames addressed to us: what keeps the link alive (62056-46 inactivity time-out). */
  received = 0;
  readonly reader: HdlcFrameReader;
  private vs = 0;
  private vr = 0;
  private txMax = 128;
  private pending: { info: Uint8Array; segmented: boolean }[] = [];
  private last: Uint8Array | undefined;
  private readonly re: HdlcReassembler;
  private readonly maxInfo: number;

  constructor(
    private readonly o: HdlcLinkOptions & {
      /** Our address: logical device (upper) and physical device (lower). */
      address: HdlcAddress;
      send(bytes: Uint8Array): void | Promise<void>;
      handle: ApduHandler;
      /** The client disconnected (DISC or a new SNRM from another client): release its association. */
      onDisconnect?(clientSap: number): void;
    },
  ) {
    this.maxInfo = o.maxInfo ?? 128;
    this.re = new HdlcReassembler({ maxLength: o.maxApdu ?? 2048 });
    this.reader = new HdlcFrameReader(o.interOctetTimeoutMs === undefined ? {} : { interOctetTimeoutMs: o.interOctetTimeoutMs });
  }

  /** `at`: when the bytes arrived (ms), for the inter-octet time-out. */
  async input(chunk: Uint8Array, at?: number): Promise<void> {
    for (const f of this.reader.push(chunk, at)) await this.frame(f);
  }

  private mine(a: HdlcAddress): boolean {
    const me = this.o.address,
      all = a.size === 1 ? HdlcAddressValue.SERVER_ALL_STATION_1BYTE : HdlcAddressValue.SERVER_ALL_STATION;
    return (
      (a.upper === me.upper || a.upper === all) &&
      (a.lower === undefined || me.lower === undefined || a.lower === me.lower || a.lower === all)
    );
  }

  private async out(f: HdlcFrame): Promise<void> {
    const b = encodeHdlcFrame(f);
    if (f.type === 'I') this.last = b;
    await this.o.send(b);
  }

  private async frame(f: HdlcFrame): Promise<void> {
    if (!this.mine(f.destination) || f.source.size !== 1) {
      this.drops.address++;
      return;
    }
    this.received++;
    const sap = f.source.upper,
      me = { ...this.o.address, size: f.destination.size };
    const reply = (type: HdlcFrameType, info?: Uint8Array) => this.out(frame(type, f.source, me, this.vr, this.vs, info));
    if (f.type === 'SNRM') {
      let p: HdlcParameters;
      try {
        p = decodeHdlcParameters(f.info);
      } catch {
        this.drops.params++;
        return reply('DM');
      }
      const n = negotiateHdlcParameters(p, params(this.maxInfo));
      if (this.state === 'nrm' && this.peer !== sap) this.o.onDisconnect?.(this.peer);
      this.state = 'nrm';
      this.peer = sap;
      this.vs = this.vr = 0;
      this.txMax = n.maxInfoTx;
      this.pending = [];
      this.re.reset();
      return reply('UA', encodeHdlcParameters({ ...n, windowTx: 1, windowRx: 1 }));
    }
    if (this.state !== 'nrm' || sap !== this.peer) {
      if (f.type !== 'UI') {
        this.drops.state++;
        await reply('DM');
      }
      return;
    }
    if (f.type === 'DISC') {
      this.state = 'ndm';
      this.o.onDisconnect?.(sap);
      return reply('UA');
    }
    if (f.type === 'RR') {
      if (f.nr !== this.vs && this.last) return void (await this.o.send(this.last)); // our last I frame was lost
      return this.pending.length ? this.next(f.source, me) : reply('RR');
    }
    if (f.type !== 'I') return;
    if (f.ns !== this.vr) {
      this.drops.sequence++;
      return reply('RR');
    }
    this.vr = (this.vr + 1) & 7;
    let whole: Uint8Array | null;
    try {
      whole = this.re.push(f);
    } catch {
      this.drops.reassembly++;
      return reply('RR');
    }
    if (!whole) return reply('RR');
    if (!hasLlc(whole, LLC_REQUEST)) {
      this.drops.llc++;
      return reply('RR');
    }
    const r = await this.o.handle(sap, whole.subarray(3));
    if (!r) return reply('RR');
    this.pending = segmentInformation(concat(LLC_RESPONSE, r), this.txMax);
    return this.next(f.source, me);
  }

  private next(to: HdlcAddress, me: HdlcAddress): Promise<void> {
    const s = this.pending.shift() as { info: Uint8Array; segmented: boolean };
    const f = frame('I', to, me, this.vr, this.vs, s.info, s.segmented);
    this.vs = (this.vs + 1) & 7;
    return this.out(f);
  }
}

/** Client (primary station) side, an ApduLink over a byte transport. */
export class HdlcClientLink implements ApduLink {
  readonly reader = new HdlcFrameReader();
  private queue: HdlcFrame[] = [];
  private vs = 0;
  private vr = 0;
  private txMax = 128;
  private readonly me: HdlcAddress;
  constructor(
    private readonly t: ByteTransport,
    clientSap: number,
    private readonly server: HdlcAddress,
    private readonly o: HdlcLinkOptions = {},
  ) {
    this.me = { upper: clientSap, size: 1 };
  }

  private async recv(): Promise<HdlcFrame> {
    for (let i = 0; this.queue.length === 0; i++) {
      if (i > 64) throw new Error('hdlc: no frame');
      for (const f of this.reader.push(await this.t.receive()))
        if (f.destination.upper === this.me.upper && f.source.upper === this.server.upper) this.queue.push(f);
    }
    return this.queue.shift() as HdlcFrame;
  }

  private send(type: HdlcFrameType, info?: Uint8Array, segmented = false): void | Promise<void> {
    return this.t.send(encodeHdlcFrame(frame(type, this.server, this.me, this.vr, this.vs, info, segmented)));
  }

  private async expect(type: HdlcFrameType): Promise<HdlcFrame> {
    const f = await this.recv();
    if (f.type !== type) throw new Error(`hdlc: ${f.type} instead of ${type}`);
    return f;
  }

  async open(): Promise<void> {
    this.queue = [];
    await this.send('SNRM', encodeHdlcParameters(params(this.o.maxInfo ?? 128)));
    const ua = await this.expect('UA');
    // The UA states the server's view: its receive limit is our transmit limit.
    this.txMax = decodeHdlcParameters(ua.info).maxInfoRx;
    this.vs = this.vr = 0;
  }

  async request(apdu: Uint8Array): Promise<Uint8Array> {
    const segs = segmentInformation(concat(LLC_REQUEST, apdu), this.txMax);
    for (const s of segs) {
      await this.send('I', s.info, s.segmented);
      this.vs = (this.vs + 1) & 7;
      if (s.segmented && (await this.expect('RR')).nr !== this.vs) throw new Error('hdlc: segment not acknowledged');
    }
    const re = new HdlcReassembler({ maxLength: (this.o.maxApdu ?? 0xffff) + 3 });
    for (;;) {
      const f = await this.recv();
      if (f.type !== 'I') {
        if (f.type === 'RR') continue;
        throw new Error(`hdlc: ${f.type}`);
      }
      if (f.ns !== this.vr) {
        await this.send('RR');
        continue;
      }
      this.vr = (this.vr + 1) & 7;
      const whole = re.push(f);
      if (whole) {
        if (!hasLlc(whole, LLC_RESPONSE)) throw new Error('hdlc: bad LLC header');
        return whole.subarray(3);
      }
      await this.send('RR');
    }
  }

  async close(): Promise<void> {
    await this.send('DISC');
    const f = await this.recv();
    if (f.type !== 'UA' && f.type !== 'DM') throw new Error(`hdlc: ${f.type} to DISC`);
  }
}
