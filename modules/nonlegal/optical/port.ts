// The optical port (board UART1): IEC 62056-21 mode C (sign-on, identification, option select,
// data readout with BCC) and, after the mode E switch or when the first byte is an HDLC flag,
// DLMS over HDLC (IEC 62056-46). Bytes from the UART go through a bounded queue; a time-out
// brings the port back to waiting for a sign-on. Nothing received can throw out of here.
import { buildDataReadout, BAUD_CHAR, ACK } from '../dlms/iec62056-21.js';
import { encodeHdlcFrame } from '../dlms/hdlc.js';
import { HDLC_DEFAULT_INTER_OCTET_MS, HDLC_FLAG, LLC_RESPONSE } from '../dlms/hdlc-const.js';
import { concat } from '../dlms/bytes.js';
import { HdlcServerLink } from '../dlms/hdlc-link.js';
import type { CosemServer } from '../cosem/server.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';

export interface OpticalSerial {
  read(byteLength: number): ArrayBuffer | undefined;
  write(bytes: Uint8Array): void;
  readonly dropped: number;
}

export interface PortConfig {
  /** Manufacturer id (3 letters) and identification (<= 16 chars) sent after sign-on. */
  manufacturer: string;
  identification: string;
  /** Device address answered in "/?<address>!" (an empty sign-on address always answers). */
  address: string;
  /** Highest baud rate character offered (mode C: '0'..'6'). */
  maxBaud: string;
  /** HDLC server address: logical (upper) and physical (lower) device. */
  hdlcLogical: number;
  hdlcPhysical: number;
  /** Largest HDLC information field. */
  hdlcMaxInfo: number;
  /** Mode C: time-out between messages, ms. HDLC: inactivity time-out, ms (restarted by valid frames only). */
  modeCTimeoutMs: number;
  hdlcTimeoutMs: number;
  /** HDLC inter-octet time-out, ms: a partial frame whose bytes stop coming is abandoned (62056-46; default 25). */
  hdlcInterOctetMs?: number;
  /** Bytes from UART1 waiting for the port task; more are dropped and counted `overflow` (default 2,048). */
  queueMax?: number;
}

const IDLE = 0,
  SIGN_ON = 1,
  OPTION = 2,
  HDLC = 3;
export const STATE_NAMES = ['idle', 'sign-on', 'option', 'hdlc'];
const SLASH = 0x2f;
const MAX_LINE = 48; // "/?" + 32-character address + "!" CR LF, with room
const QUEUE_MAX = 2048; // bytes waiting for the port task (default of the manifest's queueMax)

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) b[k] = s.charCodeAt(k) & 0x7f;
  return b;
}

export class OpticalPort {
  state = IDLE;
  baud = 300;
  readonly stats = { signOns: 0, readouts: 0, hdlcSessions: 0, noise: 0, errors: 0, timeouts: 0, overflow: 0, unsupported: 0, pushes: 0 };
  private line: number[] = [];
  /** Chunks with their arrival time (the inter-octet time-out is about arrival, not processing). */
  private queue: { b: Uint8Array; at: number }[] = [];
  private queued = 0;
  private running = false;
  private link: HdlcServerLink | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly io: OpticalSerial,
    private readonly server: CosemServer,
    private readonly timers: TimerModule,
    private readonly cfg: PortConfig,
    private readonly readout: () => Promise<string[]>,
    private readonly trace: (level: number, text: string) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** UART1 has `count` bytes: take them all (bounded queue), then process in order. */
  onReadable(count: number): void {
    const at = this.now();
    for (let left = count; left > 0; ) {
      const b = this.io.read(Math.min(left, 512));
      if (!b || b.byteLength === 0) break;
      left -= b.byteLength;
      if (this.queued + b.byteLength > (this.cfg.queueMax ?? QUEUE_MAX)) {
        this.stats.overflow += b.byteLength;
        continue;
      }
      this.queue.push({ b: new Uint8Array(b), at });
      this.queued += b.byteLength;
    }
    if (!this.running) void this.pump();
  }

  get hdlc(): HdlcServerLink | undefined {
    return this.link;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      // Serve from a promise job, at the bottom of the XS stack, not under the driver's call chain:
      // the decoders then have the stack's margin (docs/dlms-bounds.md).
      await undefined;
      for (let q = this.queue.shift(); q; q = this.queue.shift()) {
        this.queued -= q.b.length;
        try {
          await this.input(q.b, q.at);
        } catch (e) {
          this.stats.errors++;
          this.trace(1, `optical: ${e instanceof Error ? e.message : String(e)}`);
          this.idle();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private arm(ms: number): void {
    if (this.timer) this.timers.schedule(this.timer, ms);
    else
      this.timer = this.timers.set(() => {
        this.timer = undefined;
        this.stats.timeouts++;
        this.idle();
      }, ms);
  }

  private idle(): void {
    if (this.link?.state === 'nrm' && this.link.peer >= 0) this.server.release(this.link.peer);
    this.link = undefined;
    this.state = IDLE;
    this.line = [];
    this.baud = 300;
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private async input(c: Uint8Array, at: number): Promise<void> {
    for (let i = 0; i < c.length; i++) {
      if (this.state === HDLC) return this.hdlcInput(c.subarray(i), at);
      const b = c[i]!;
      if (this.state === IDLE) {
        if (b === SLASH) {
          this.state = SIGN_ON;
          this.line = [b];
          this.arm(this.cfg.modeCTimeoutMs);
        } else if (b === HDLC_FLAG) {
          this.startHdlc();
          return this.hdlcInput(c.subarray(i), at);
        } else this.stats.noise++;
        continue;
      }
      if (this.state === OPTION && this.line.length === 0 && b === SLASH) this.state = SIGN_ON; // a new sign-on
      this.line.push(b);
      if (this.state === SIGN_ON) {
        if (b === 0x0a) await this.signOn();
        else if (this.line.length > MAX_LINE) this.fail('sign-on too long');
      } else if (this.line.length === 6 || this.line[0] !== ACK) await this.option();
    }
  }

  private fail(why: string): void {
    this.stats.errors++;
    this.trace(2, `optical: ${why}`);
    this.idle();
  }

  private async signOn(): Promise<void> {
    // "/?<address>!" CR LF, address up to 32 characters 0-9 A-Z a-z space (62056-21 6.3.1)
    const l = this.line,
      n = l.length;
    if (n < 5 || l[1] !== 0x3f || l[n - 3] !== 0x21 || l[n - 2] !== 0x0d || n - 5 > 32) return this.fail('bad sign-on');
    let address = '';
    for (let k = 2; k < n - 3; k++) {
      const c = l[k]!;
      if (!(c === 0x20 || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)))
        return this.fail('bad sign-on');
      address += String.fromCharCode(c);
    }
    if (address !== '' && address !== this.cfg.address) {
      this.idle();
      return;
    } // another meter's
    this.stats.signOns++;
    this.line = [];
    this.state = OPTION;
    // "\2": enhanced capability, mode E (HDLC) supported (62056-21 6.3.15)
    this.io.write(ascii(`/${this.cfg.manufacturer}${this.cfg.maxBaud}\\2${this.cfg.identification}\r\n`));
    this.arm(this.cfg.modeCTimeoutMs);
  }

  private async option(): Promise<void> {
    // <ACK> V Z Y CR LF, V Z Y digits (62056-21 6.3.3)
    const l = this.line,
      digit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
    if (l.length !== 6 || l[0] !== ACK || !digit(l[1]) || !digit(l[2]) || !digit(l[3]) || l[4] !== 0x0d || l[5] !== 0x0a)
      return this.fail('bad option select');
    const o = { protocol: String.fromCharCode(l[1]!), baud: String.fromCharCode(l[2]!), mode: String.fromCharCode(l[3]!) };
    this.line = [];
    if (o.baud > this.cfg.maxBaud) return this.fail(`baud ${o.baud} not offered`);
    this.baud = BAUD_CHAR[o.baud] ?? 300;
    if (o.protocol === '2' && o.mode === '2') {
      // Mode E (62056-21 Annex E): the meter confirms with the same message, then both sides
      // talk HDLC at the acknowledged rate (the emulated UART has no line rate to change).
      this.io.write(Uint8Array.from(this.ack(o.baud)));
      this.startHdlc();
      return;
    }
    if (o.protocol !== '0' || o.mode !== '0') {
      this.stats.unsupported++;
      return this.fail(`option ${o.protocol}${o.baud}${o.mode} not supported`);
    }
    const lines = await this.readout();
    this.io.write(buildDataReadout(lines));
    this.stats.readouts++;
    this.idle();
  }

  private ack(baud: string): number[] {
    return [ACK, 0x32, baud.charCodeAt(0), 0x32, 0x0d, 0x0a];
  }

  private startHdlc(): void {
    this.state = HDLC;
    this.stats.hdlcSessions++;
    const server = this.server;
    this.link = new HdlcServerLink({
      address: { upper: this.cfg.hdlcLogical, lower: this.cfg.hdlcPhysical, size: 4 },
      maxInfo: this.cfg.hdlcMaxInfo,
      maxApdu: 2048,
      interOctetTimeoutMs: this.cfg.hdlcInterOctetMs ?? HDLC_DEFAULT_INTER_OCTET_MS,
      send: (b) => this.io.write(b),
      handle: (sap, apdu) => server.handle(sap, apdu),
      onDisconnect: (sap) => server.release(sap),
    });
    this.arm(this.cfg.modeCTimeoutMs);
  }

  private async hdlcInput(c: Uint8Array, at: number): Promise<void> {
    const link = this.link as HdlcServerLink;
    const was = link.state,
      frames = link.received;
    await link.input(c, at);
    if (was === 'nrm' && link.state === 'ndm') {
      this.idle();
      return;
    } // DISC: back to mode C
    // Only a valid frame for us restarts the inactivity time-out: noise must not keep the port in HDLC.
    if (link.received !== frames) this.arm(link.state === 'nrm' ? this.cfg.hdlcTimeoutMs : this.cfg.modeCTimeoutMs);
  }

  /** Sends a DATA-NOTIFICATION (push) to the connected HDLC client in a UI frame. */
  push(apdu: Uint8Array): boolean {
    const l = this.link;
    if (l?.state !== 'nrm' || l.peer < 0) return false;
    this.io.write(
      encodeHdlcFrame({
        type: 'UI',
        destination: { upper: l.peer, size: 1 },
        source: { upper: this.cfg.hdlcLogical, lower: this.cfg.hdlcPhysical, size: 4 },
        pf: false,
        info: concat(LLC_RESPONSE, apdu),
        segmented: false,
      }),
    );
    this.stats.pushes++;
    return true;
  }
}
