// What npm start shows: a live view refreshing in place on a terminal (terminal-kit), or plain
// progress lines (not a TTY, --no-tty). Both read the head-end's database (a second connection:
// SQLite in WAL mode lets it read while the receiver writes) for its totals.
import termkit from 'terminal-kit';
import { type Db, openSqlite } from '../tools/headend/db.js';
import { summary as headendSummary, type Summary as HeadendSummary } from '../tools/headend/store.js';
import type { SimConsole, SimSummary, SimView } from './sim.js';
import { DEMO_FIRST_READ_S, DEMO_READ_EVERY_S, dcMaxMeters, type StartOptions } from './start-options.js';

/** Alarm codes (docs/alarms.md). */
export const ALARM_NAMES: Record<number, string> = {
  1: 'POWER_FAIL',
  2: 'POWER_RESTORE',
  3: 'SAG',
  4: 'SWELL',
  5: 'INTERRUPTION',
  6: 'OVERVOLTAGE',
  7: 'UNDERVOLTAGE',
  8: 'REVERSE',
  9: 'COVER',
  10: 'MAGNET',
  11: 'CLOCK',
  12: 'NVRAM',
  13: 'REGISTERS_LOST',
  14: 'LAYOUT',
  16: 'AUTH_FAILURE',
  17: 'DECIPHER_FAILURE',
  18: 'REPLAY',
  19: 'KEY_CHANGED',
  20: 'ASSOC_REJECTED',
};

/** Simulated seconds as h:mm:ss. */
export const clock = (s: number): string => {
  const t = Math.floor(s);
  return `${Math.floor(t / 3600)}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
};

const SIM_EPOCH_S = 1767225600;
const sec = (x: number | null): string => (x === null ? '-' : x.toFixed(2));

interface MeterData {
  lastReading?: string;
  lastAlarm?: string;
}

/** The head-end's totals and each meter's last reading and alarm, read every 2 s of wall time. */
class HeadendWatch {
  totals?: HeadendSummary;
  perMeter = new Map<string, MeterData>();
  private db?: Db;
  private busy = false;
  private last = 0;
  constructor(private readonly file: string) {}

  poll(force = false): void {
    if (this.busy || (!force && Date.now() - this.last < 2000)) return;
    this.busy = true;
    this.last = Date.now();
    void this.read()
      .catch(() => undefined)
      .finally(() => {
        this.busy = false;
      });
  }

  private async read(): Promise<void> {
    this.db ??= await openSqlite(this.file);
    const db = this.db;
    this.totals = await headendSummary(db, { periodS: 900 });
    const per = new Map<string, MeterData>();
    const at = (m: string): MeterData => per.get(m) ?? (per.set(m, {}).get(m) as MeterData);
    const rows = await db.all(
      "SELECT meter, 'profile' AS kind, capture_s, vals FROM intervals i WHERE capture_s = (SELECT MAX(capture_s) FROM intervals WHERE meter = i.meter) " +
        "UNION ALL SELECT meter, 'A+' AS kind, capture_s, vals FROM registers r WHERE obis = '1.0.1.8.0.255' AND capture_s = (SELECT MAX(capture_s) FROM registers WHERE meter = r.meter AND obis = '1.0.1.8.0.255')",
    );
    for (const r of rows) {
      const vals = JSON.parse(String(r.vals)) as number[];
      const t = clock(Number(r.capture_s) - SIM_EPOCH_S);
      const text = r.kind === 'profile' ? `profile ${t} A+=${(vals[0] ?? 0).toFixed(0)}Wh` : `A+ ${(vals[0] ?? 0).toFixed(0)}Wh @${t}`;
      const d = at(String(r.meter).toLowerCase());
      // the newest of the two
      if (!d.lastReading || d.lastReading < text || r.kind === 'profile') d.lastReading = text;
    }
    const alarms = await db.all(
      'SELECT meter, code, event_s, latency_s FROM alarms a WHERE event_s = (SELECT MAX(event_s) FROM alarms WHERE meter = a.meter)',
    );
    for (const a of alarms)
      at(String(a.meter).toLowerCase()).lastAlarm =
        `${ALARM_NAMES[Number(a.code)] ?? `code ${a.code}`} @${clock(Number(a.event_s) - SIM_EPOCH_S)} (${Number(a.latency_s).toFixed(1)}s)`;
    this.perMeter = per;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }
}

export interface View {
  start(): void;
  building(platforms: string[], s: number): void;
  built(platforms: string[], s: number): void;
  /** A line from the run (warnings, the head-end's failures, stopping). */
  note(line: string): void;
  intro(): void;
  progress(v: SimView): void;
  finish(s: SimSummary & { wallS: number }, dir: string): void;
  close(): void;
}

const scheduleLine = (o: StartOptions): string =>
  o.schedule === 'demo'
    ? `demo schedule: the concentrator reads every meter at ${DEMO_FIRST_READ_S} s, then every ${DEMO_READ_EVERY_S} s (faster than the product's 15-min schedule); meters capture their load profile every 15 min (the product's period)`
    : 'product schedule: the concentrator reads every meter at 15-min boundaries; meters capture their load profile every 15 min';

/** The registry's bound, when the run has more meters than it. */
const registryLine = (o: StartOptions): string | undefined => {
  const max = dcMaxMeters();
  return o.meters > max
    ? `the concentrator's registry holds ${max} meters (dc.maxMeters): all ${o.meters} join, the first ${max} it discovers are read`
    : undefined;
};

const demoLine = (o: StartOptions): string | undefined =>
  o.scenario
    ? `scenario: ${o.scenario}`
    : 'demo events: a load on every meter at 5 s; tamper (meter 2) at 200 s, sag (meters 1, 3) at 260 s, magnet (meters 4, 5) at 420 s, pushed as alarms';

function finalLines(s: SimSummary & { wallS: number }, dir: string): string[] {
  const h = s.headend;
  return [
    `start: stopped at t=${s.stoppedAtS.toFixed(1)} s (${s.clock === 'simulated' ? 'simulated' : 'real time'}), wall ${s.wallS.toFixed(1)} s; joined ${s.joined}/${s.meters}, max hops ${s.hops.max}`,
    `start: frames sent=${s.frames.sent} retries=${s.frames.retries} lost=${s.frames.lost} noAck=${s.drops.noAck}`,
    ...(h
      ? [
          `start: head-end intervals=${h.intervalsStored} missing=${h.missing} duplicates=${h.duplicates} registers=${h.registers} events=${h.events} alarms=${h.alarms} latency p50=${sec(h.alarmLatencyS.p50)} s p99=${sec(h.alarmLatencyS.p99)} s`,
        ]
      : []),
    `start: report in ${dir}: summary.json headend.db powerline.pcap index.html`,
  ];
}

/** Plain lines: about one every 5 s of wall time, and every note. */
export class PlainView implements View {
  private he: HeadendWatch;
  private lastLine = 0;
  private joined = -1;
  constructor(
    private readonly o: StartOptions,
    db: string,
  ) {
    this.he = new HeadendWatch(db);
  }
  private out(line: string): void {
    process.stdout.write(`${line}\n`);
  }
  start(): void {}
  building(platforms: string[], s: number): void {
    if (s === 0) this.out(`start: building the ${platforms.join(' and ')} firmware (what is out of date)`);
  }
  built(_p: string[], s: number): void {
    this.out(`start: build done in ${s.toFixed(1)} s`);
  }
  note(line: string): void {
    if (line) this.out(line.startsWith('sim:') || line.startsWith('start:') ? line : `start: ${line}`);
  }
  intro(): void {
    const o = this.o;
    this.out(
      `start: concentrator on ${o.concentrator === 'board' ? 'an mps2-an386 board (QEMU)' : 'lin'}, ${o.meters} meters (${o.meters - o.boards} lin, ${o.boards} boards), seed ${o.seed}, ${o.topology ? `topology ${o.topology}` : 'generated topology'}, ${o.speed === 'fast' ? 'simulated clock' : 'real time'}, until ${o.until === undefined ? 'Ctrl-C' : `t=${o.until} s`}`,
    );
    this.out(`start: ${scheduleLine(o)}`);
    const d = demoLine(o);
    if (d) this.out(`start: ${d}`);
    const r = registryLine(o);
    if (r) this.out(`start: ${r}`);
  }
  progress(v: SimView): void {
    this.he.poll();
    if (Date.now() - this.lastLine < 5000 && v.joined === this.joined) return;
    this.lastLine = Date.now();
    this.joined = v.joined;
    const h = this.he.totals;
    this.out(
      `start: t=${v.tS.toFixed(1)} s joined ${v.joined}/${v.meters.length} frames=${v.medium.framesSent} retries=${v.medium.retries} noAck=${v.medium.noAck}` +
        (h ? ` intervals=${h.intervalsStored} registers=${h.registers} alarms=${h.alarms}` : '') +
        ` (wall ${v.wallS.toFixed(1)} s)`,
    );
  }
  finish(s: SimSummary & { wallS: number }, dir: string): void {
    for (const l of finalLines(s, dir)) this.out(l);
  }
  close(): void {
    void this.he.close();
  }
}

/** Lines of the concentrator's output kept for its shell screen. */
const SHELL_LINES_KEPT = 200;
/** The shell's longest line (the firmware's shell.maxLine). */
const SHELL_INPUT_MAX = 128;

/** The terminal view: a header with a progress bar, the meters' table, counters; redrawn in place. */
export class LiveView implements View {
  private term = termkit.terminal;
  private he: HeadendWatch;
  private notes: string[] = [];
  private last?: SimView;
  private phase = 'starting';
  private timer?: NodeJS.Timeout;
  /** Tab switches between the network view and the concentrator's shell. */
  private mode: 'view' | 'shell' = 'view';
  private shellLines: string[] = [];
  private input = '';
  constructor(
    private readonly o: StartOptions,
    db: string,
    private readonly shell?: { console: SimConsole; stop: () => void },
  ) {
    this.he = new HeadendWatch(db);
    if (shell)
      shell.console.onLine = (line) => {
        this.keepShellLine(line);
        if (this.mode === 'shell') this.draw();
      };
  }
  start(): void {
    this.term.fullscreen(true);
    this.term.hideCursor(true);
    if (this.shell) {
      // raw input: Ctrl-C arrives as a key, not as SIGINT
      this.term.grabInput(true);
      this.term.on('key', (name, _m, data) => this.key(name, data.isCharacter));
    }
    this.timer = setInterval(() => this.draw(), 500);
    this.draw();
  }
  private keepShellLine(line: string): void {
    this.shellLines.push(line);
    if (this.shellLines.length > SHELL_LINES_KEPT) this.shellLines.shift();
  }
  private key(name: string, isCharacter: boolean): void {
    if (name === 'CTRL_C') {
      this.shell!.stop();
      return;
    }
    if (name === 'TAB') {
      this.mode = this.mode === 'view' ? 'shell' : 'view';
      this.term.hideCursor(this.mode === 'view');
    } else if (this.mode === 'shell') {
      if (name === 'ENTER') {
        const line = this.input.trim();
        this.input = '';
        if (line) {
          this.keepShellLine(`> ${line}`);
          this.shell!.console.send?.(line);
        }
      } else if (name === 'BACKSPACE') this.input = this.input.slice(0, -1);
      else if (isCharacter && this.input.length < SHELL_INPUT_MAX) this.input += name;
    } else return;
    this.draw();
  }
  building(platforms: string[], s: number): void {
    this.phase = `building the ${platforms.join(' and ')} firmware (what is out of date) ... ${s.toFixed(0)} s`;
    this.draw();
  }
  built(_p: string[], s: number): void {
    this.note(`build done in ${s.toFixed(1)} s`);
    this.phase = 'starting the nodes';
  }
  note(line: string): void {
    if (!line) return;
    this.notes.push(line);
    if (this.notes.length > 4) this.notes.shift();
    this.draw();
  }
  intro(): void {
    this.phase = 'joining';
  }
  progress(v: SimView): void {
    this.last = v;
    this.he.poll();
    this.phase = v.joined < v.meters.length ? 'joining' : 'running';
  }
  finish(s: SimSummary & { wallS: number }, dir: string): void {
    this.draw(); // the last state, also when the run was shorter than a refresh
    this.close();
    for (const l of finalLines(s, dir)) process.stdout.write(`${l}\n`);
  }
  close(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.shell) this.term.grabInput(false);
    this.term.hideCursor(false);
    this.term.fullscreen(false);
    void this.he.close();
  }

  private bar(n: number, of: number, width: number): string {
    const full = of ? Math.round((n / of) * width) : 0;
    return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
  }

  private draw(): void {
    if (!this.timer) return;
    const t = this.term;
    const o = this.o;
    const v = this.last;
    const w = Math.max(60, t.width);
    const cut = (s: string): string => (s.length > w ? s.slice(0, w - 1) : s);
    t.moveTo(1, 1);
    const line = (s: string, style?: (x: string) => void): void => {
      t.eraseLine();
      if (style) style(cut(s));
      else t(cut(s));
      t('\n');
    };
    if (this.mode === 'shell') {
      line(
        `meterfw  the concentrator's shell (${o.concentrator === 'board' ? 'mps2-an386 board' : 'lin'}): type a command and Enter; Tab: back to the network view; Ctrl-C stops and writes the report`,
        (s) => t.bold(s),
      );
      const room = Math.max(1, t.height - 3);
      for (const l of this.shellLines.slice(-room)) line(l, l.startsWith('> ') ? (s) => t.cyan(s) : undefined);
      line(`> ${this.input}`, (s) => t.cyan(s));
      t.eraseDisplayBelow();
      return;
    }
    line(
      `meterfw  npm start: concentrator ${o.concentrator === 'board' ? 'board' : 'lin'}, ${o.meters} meters (${o.meters - o.boards} lin, ${o.boards} boards), seed ${o.seed}, ${o.speed === 'fast' ? 'simulated clock' : 'real time'}, until ${o.until === undefined ? 'Ctrl-C' : `${o.until} s`}   ${this.shell ? "Tab: the concentrator's shell   " : ''}Ctrl-C stops and writes the report`,
      (s) => t.bold(s),
    );
    line(scheduleLine(o), (s) => t.yellow(s));
    line(demoLine(o) ?? '', (s) => t.dim(s));
    line(registryLine(o) ?? '', (s) => t.yellow(s));
    if (!v) {
      line(`${this.phase}`, (s) => t.cyan(s));
    } else {
      line(
        `${this.phase.padEnd(8)} ${this.bar(v.joined, v.meters.length, 30)} joined ${v.joined}/${v.meters.length}   t=${clock(v.tS)} simulated   wall ${v.wallS.toFixed(0)} s   pan ${v.pan ?? '-'}`,
        (s) => t.cyan(s),
      );
      const m = v.medium;
      const lost = Object.values(m.lost).reduce((a, b) => a + b, 0);
      line(
        `network  frames=${m.framesSent} acks=${m.acksSent} retries=${m.retries} delivered=${m.delivered} lost=${lost} noAck=${m.noAck} cca=${m.channelAccessFailure} queueFull=${m.queueFull}`,
      );
      const h = this.he.totals;
      line(
        h
          ? `head-end intervals=${h.intervalsStored} missing=${h.missing} duplicates=${h.duplicates} registers=${h.registers} events=${h.events} alarms=${h.alarms} latency p50=${sec(h.alarmLatencyS.p50)} s p99=${sec(h.alarmLatencyS.p99)} s`
          : 'head-end (nothing stored yet)',
      );
      line('');
      line(
        `${'meter'.padEnd(10)}${'kind'.padEnd(6)}${'state'.padEnd(9)}${'joined'.padEnd(9)}${'hops'.padEnd(5)}${'lqi'.padEnd(4)}${'last reading'.padEnd(30)}last alarm (latency)`,
        (s) => t.bold(s),
      );
      const room = Math.max(1, t.height - 10 - 6);
      const shown = v.meters.slice(0, room);
      for (const mv of shown) {
        const d = this.he.perMeter.get(mv.eui) ?? {};
        const text = `${mv.name.padEnd(10)}${mv.kind.padEnd(6)}${mv.state.padEnd(9)}${(mv.joinedS === null ? '-' : clock(mv.joinedS)).padEnd(9)}${String(mv.hops ?? '-').padEnd(5)}${'-'.padEnd(4)}${(d.lastReading ?? '-').padEnd(30)}${d.lastAlarm ?? '-'}`;
        line(text, mv.state === 'joined' ? undefined : (s) => (mv.state === 'booting' ? t.dim(s) : t.red(s)));
      }
      if (shown.length < v.meters.length)
        line(`... ${v.meters.length - shown.length} more (a taller terminal shows them)`, (s) => t.dim(s));
    }
    line('');
    for (const n of this.notes) line(n, (s) => t.brightBlack(s));
    t.eraseDisplayBelow();
  }
}
