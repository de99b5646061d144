// Firmware campaigns (concentrator): an image comes from the Host Unit over the shell link in
// framed chunks (`DC FOTA LOAD`, `DC FOTA DATA`, `DC FOTA END`; tools/fota.ts drives them) into
// the concentrator's flash area fota-image; `DC FOTA START` then updates each meter in turn with
// DLMS Image transfer (class 18, cosem/image-client.ts) over UDP 4059: initiate, the blocks the
// meter's bitmap lacks (so a transfer cut by a loss or a restart of either end resumes), verify,
// activate, then image_transfer_status is polled until the new NON-LEGAL answers
// activation-successful (its health check passed far enough for its DLMS server to run) or
// activation-failed. A meter whose step fails is tried again up to fota.retries times, each time
// from its bitmap. `DC FOTA STATUS` lists each meter's state (text or JSON: docs/firmware-update.md).
import type { RunServiceFn } from '../../generic/services.js';
import type { ShellPrint } from '../../generic/shell.js';
import type { TimerModule } from '../../generic/timer.js';
import type { FlashArea, FlashDriver } from 'drivers/spinor/flash';
import type { Crc32 } from '../../generic/shared/nvrecord.js';
import { WPort } from '../dlms/wrapper.js';
import { ImageStatus, activateImage, imageStatus, sendImage, verifyImage } from '../cosem/image-client.js';
import type { DlmsUdpClient } from './dlms-read.js';
import type { Registry } from './registry.js';
import type { DcShell } from './shell.js';

export interface FotaConfig {
  /** Largest image taken from the Host Unit, octets (at most the fota-image area). */
  readonly maxImageSize: number;
  /** Meters in one campaign (1..256). */
  readonly maxMeters: number;
  /** Attempts per meter after the first (each resumes from the meter's bitmap), 0..16. */
  readonly retries: number;
  /** How often image_transfer_status is read after image_activate, s (1..600). */
  readonly pollS: number;
  /** How long a meter has to report its activation, s (10..3600). */
  readonly activateTimeoutS: number;
}

export const FOTA_AREA = 'fota-image';
const SECTOR = 4096;
/** Octets of a DC FOTA DATA chunk: 8 words, as the 128-character shell line holds them. */
export const CHUNK_WORDS = 8;
const STATES = ['waiting', 'sending', 'verifying', 'activating', 'done', 'failed'] as const;
type State = (typeof STATES)[number];

interface Target {
  readonly eui: string;
  readonly short: number;
  state: State;
  sent: number;
  blocks: number;
  attempts: number;
  status: number;
  reason: string;
}

export function fotaConfig(c: Partial<FotaConfig> | undefined, area: FlashArea): FotaConfig {
  const f: FotaConfig = { maxImageSize: 524288, maxMeters: 64, retries: 3, pollS: 5, activateTimeoutS: 300, ...c };
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new RangeError(`dc.fota.${name}: ${lo}..${hi}`);
  };
  int(f.maxImageSize, 1, area.size, 'maxImageSize');
  int(f.maxMeters, 1, 256, 'maxMeters');
  int(f.retries, 0, 16, 'retries');
  int(f.pollS, 1, 600, 'pollS');
  int(f.activateTimeoutS, 10, 3600, 'activateTimeoutS');
  return f;
}

export class Campaign {
  /** The image being loaded (received octets) or loaded (crc set). */
  size = 0;
  received = 0;
  crc: number | undefined;
  targets: Target[] = [];
  running = false;
  readonly counters = { chunks: 0, badChunks: 0, campaigns: 0 };
  private erased = 0; // sectors of the area erased for the image being loaded

  constructor(
    readonly cfg: FotaConfig,
    private readonly area: FlashArea,
    private readonly crc32: Crc32,
    private readonly client: DlmsUdpClient,
    private readonly registry: Registry,
    private readonly timers: TimerModule,
    private readonly trace: (level: number, text: string) => void,
  ) {}

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.timers.set(() => r(), ms));
  }

  /** DC FOTA LOAD: a new image of size octets; its sectors are erased as its chunks arrive. */
  load(size: number): void {
    if (this.running) throw new Error('a campaign is running');
    if (!(size >= 1 && size <= this.cfg.maxImageSize)) throw new RangeError(`size: 1..${this.cfg.maxImageSize}`);
    this.size = size;
    this.received = 0;
    this.erased = 0;
    this.crc = undefined;
  }

  /** DC FOTA DATA: the chunk at offset (the next one; the previous one again is taken as a repeat). */
  data(offset: number, crc: number, words: number[]): boolean {
    if (!this.size || this.crc !== undefined) throw new Error('no image being loaded: DC FOTA LOAD first');
    const n = Math.min(words.length * 4, this.size - offset);
    const chunk = new Uint8Array(words.length * 4);
    const v = new DataView(chunk.buffer);
    for (let i = 0; i < words.length; i++) v.setUint32(i * 4, words[i]! >>> 0);
    const bytes = chunk.subarray(0, Math.max(0, n));
    this.crc32.reset();
    if (this.crc32.checksum(bytes) >>> 0 !== crc >>> 0 || n < 1) {
      this.counters.badChunks++;
      throw new RangeError(`chunk at ${offset}: CRC-32 or length does not match`);
    }
    if (offset + n <= this.received) return false; // a repeat (its answer was lost)
    if (offset !== this.received) throw new RangeError(`chunk at ${offset}: ${this.received} expected`);
    while (this.erased * SECTOR < offset + n) this.area.erase(this.erased++ * SECTOR);
    this.area.program(offset, bytes);
    this.received += n;
    this.counters.chunks++;
    return true;
  }

  /** DC FOTA END: the whole image's CRC-32, checked against what the area holds. */
  end(crc: number): number {
    if (!this.size || this.received !== this.size) throw new Error(`image incomplete: ${this.received}/${this.size} octets`);
    this.crc32.reset();
    const buf = new Uint8Array(SECTOR);
    let c = 0;
    for (let at = 0; at < this.size; at += SECTOR) {
      const part = buf.subarray(0, Math.min(SECTOR, this.size - at));
      this.area.read(at, part);
      c = this.crc32.checksum(part);
    }
    if (c >>> 0 !== crc >>> 0) throw new Error(`image CRC-32 0x${(c >>> 0).toString(16)}, not 0x${(crc >>> 0).toString(16)}`);
    this.crc = c >>> 0;
    return this.crc;
  }

  /** DC FOTA START: meters by short address (0: every meter of the registry). */
  start(shorts: number[]): number {
    if (this.running) throw new Error('a campaign is running');
    if (this.crc === undefined) throw new Error('no image loaded: DC FOTA LOAD, DATA, END first');
    const all = shorts.includes(0);
    const list = all ? this.registry.list() : shorts.map((s) => this.registry.find(s));
    if (list.some((m) => !m)) throw new RangeError(`meter 0x${shorts[list.indexOf(undefined)]!.toString(16)}: not in the registry`);
    if (list.length < 1 || list.length > this.cfg.maxMeters) throw new RangeError(`meters: 1..${this.cfg.maxMeters}`);
    this.targets = list.map((m) => ({
      eui: m!.eui,
      short: m!.short,
      state: 'waiting',
      sent: 0,
      blocks: 0,
      attempts: 0,
      status: -1,
      reason: '',
    }));
    this.running = true;
    this.counters.campaigns++;
    void this.run().finally(() => {
      this.running = false;
    });
    return this.targets.length;
  }

  private async run(): Promise<void> {
    const id = new Uint8Array(8);
    const hex = (this.crc as number).toString(16).padStart(8, '0');
    for (let i = 0; i < 8; i++) id[i] = hex.charCodeAt(i);
    const image = {
      size: this.size,
      read: (o: number, n: number) => {
        const b = new Uint8Array(n);
        this.area.read(o, b);
        return b;
      },
    };
    for (const t of this.targets) {
      while (t.state !== 'done' && t.state !== 'failed') {
        try {
          await this.update(t, image, id);
        } catch (e) {
          t.reason = e instanceof Error ? e.message : String(e);
          if (++t.attempts > this.cfg.retries) t.state = 'failed';
          this.trace(2, `DC FOTA ${t.eui}: ${t.reason}${t.state === 'failed' ? '' : ' (again from its bitmap)'}`);
        }
      }
      this.trace(3, `DC FOTA ${t.eui} ${t.state} status=${t.status} sent=${t.sent}/${t.blocks}${t.reason ? ` reason=${t.reason}` : ''}`);
    }
  }

  private async update(t: Target, image: { size: number; read(o: number, n: number): Uint8Array }, id: Uint8Array) {
    // an activation asked (its answer maybe lost) is not asked again: the status tells its outcome
    if (t.state !== 'activating') await this.transfer(t, image, id);
    if ((t.state as State) !== 'activating') return;
    await this.poll(t);
  }

  private async transfer(t: Target, image: { size: number; read(o: number, n: number): Uint8Array }, id: Uint8Array) {
    const mgmt = WPort.MANAGEMENT_LOGICAL_DEVICE;
    t.state = 'sending';
    await this.client.exec(t.short, mgmt, async (c) => {
      const r = await sendImage(c, image, id, (_n, sent) => {
        t.sent = sent;
      });
      t.blocks = r.blocks;
      t.state = 'verifying';
      const s = await imageStatus(c);
      if (s !== ImageStatus.VERIFICATION_SUCCESSFUL) {
        try {
          await verifyImage(c);
        } catch (e) {
          t.status = await imageStatus(c);
          if (t.status === ImageStatus.VERIFICATION_FAILED) {
            t.state = 'failed';
            t.reason = 'verification failed';
            return;
          }
          throw e;
        }
      }
      t.state = 'activating';
      await activateImage(c);
    });
  }

  private async poll(t: Target) {
    const mgmt = WPort.MANAGEMENT_LOGICAL_DEVICE;
    // the meter swaps its NON-LEGAL in and restarts it: its status tells how that went
    const deadline = this.timersNow() + this.cfg.activateTimeoutS * 1000;
    while (this.timersNow() < deadline) {
      await this.sleep(this.cfg.pollS * 1000);
      try {
        t.status = (await this.client.exec(t.short, mgmt, (c) => imageStatus(c))).value;
      } catch {
        continue; // not answering while it swaps
      }
      if (t.status === ImageStatus.ACTIVATION_SUCCESSFUL) {
        t.state = 'done';
        t.reason = '';
        return;
      }
      if (t.status === ImageStatus.ACTIVATION_FAILED) {
        t.state = 'failed';
        t.reason = 'activation failed (reverted)';
        return;
      }
    }
    t.state = 'failed';
    t.reason = `no activation within ${this.cfg.activateTimeoutS} s`;
  }

  private timersNow = (): number => Date.now();

  /** Sets the clock the activation deadline uses (the system's uptime). */
  clock(now: () => number): void {
    this.timersNow = now;
  }

  status(shell: DcShell, out: ShellPrint): void {
    for (const t of this.targets)
      shell.line(out, 'fota', {
        eui: t.eui,
        short: `0x${t.short.toString(16).padStart(4, '0')}`,
        state: t.state,
        sent: t.sent,
        blocks: t.blocks,
        attempts: t.attempts,
        status: t.status,
        reason: t.reason || null,
      });
    const done = this.targets.filter((t) => t.state === 'done').length;
    const failed = this.targets.filter((t) => t.state === 'failed').length;
    shell.end(out, 'FOTA', {
      running: this.running,
      size: this.size,
      received: this.received,
      crc: this.crc === undefined ? null : `0x${this.crc.toString(16).padStart(8, '0')}`,
      meters: this.targets.length,
      done,
      failed,
      chunks: this.counters.chunks,
      badChunks: this.counters.badChunks,
    });
  }
}

const OPS = { STATUS: 0, LOAD: 1, DATA: 2, END: 3, START: 4, ALL: 0 } as const;

/** The campaign and its DC FOTA command, where the area fota-image exists; else undefined. */
export function startFota(
  rs: RunServiceFn,
  client: DlmsUdpClient,
  registry: Registry,
  shell: DcShell,
  cfg: Partial<FotaConfig> | undefined,
  crc32: Crc32,
): Campaign | undefined {
  let area: FlashArea;
  try {
    const fd = rs('driver.get', 'flash') as FlashDriver;
    if (!fd.areas().includes(FOTA_AREA)) throw new Error(`no flash area ${FOTA_AREA}`);
    area = fd.open(FOTA_AREA);
  } catch (e) {
    rs('trace', 3, `DC FOTA off: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const timers = rs('timer.module') as TimerModule;
  const c = new Campaign(fotaConfig(cfg, area), area, crc32, client, registry, timers, (l, t) => rs('trace', l, t));
  c.clock(() => rs('misc.uptime'));
  rs(
    'shell.register',
    'DC',
    'FOTA',
    [0, 16],
    '[STATUS|LOAD <size>|DATA <offset> <crc32> <w0..w7>|END <crc32>|START <ALL|meter...>] - firmware campaign',
    (p, out) => {
      const op = p[0] ?? OPS.STATUS;
      const args = p.slice(1);
      if (op === OPS.STATUS) c.status(shell, out);
      else if (op === OPS.LOAD && args.length === 1) {
        c.load(args[0]!);
        shell.end(out, 'FOTA', { op: 'LOAD', size: c.size });
      } else if (op === OPS.DATA && args.length >= 3 && args.length <= 2 + CHUNK_WORDS) {
        const taken = c.data(args[0]!, args[1]!, args.slice(2));
        shell.end(out, 'FOTA', { op: 'DATA', received: c.received, repeat: !taken });
      } else if (op === OPS.END && args.length === 1) {
        const crc = c.end(args[0]!);
        shell.end(out, 'FOTA', { op: 'END', size: c.size, crc: `0x${crc.toString(16).padStart(8, '0')}` });
      } else if (op === OPS.START && args.length >= 1) {
        const n = c.start(args);
        shell.end(out, 'FOTA', { op: 'START', meters: n });
      } else throw new RangeError('DC FOTA [STATUS|LOAD <size>|DATA <offset> <crc32> <w0..w7>|END <crc32>|START <ALL|meter...>]');
    },
    OPS,
  );
  return c;
}
