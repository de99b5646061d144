// DLMS GET of one day of load profile (96 entries, selective access by entry) over the UDP
// wrapper across the PLC network, on the medium's SIMULATED clock (deterministic for the seed):
// a lin concentrator's `DLMS PROFILE <meter> 96 <client>` to a lin meter one hop away whose
// profile holds 96 entries (96 x `DLMS CAPTURE`), as the public and the management client.
//
// How a shell command is given a simulated instant: the medium pauses at a barrier (every node
// IDLE, time T); the concentrator is woken alone at T (so its clock reads T), the medium pauses
// again at T; the command is written to its console with `DLMS CLIENT` behind it, whose line says
// the command was taken; then the concentrator is woken at T once more and time runs until the
// barrier after it printed the result line (the node printed it at that barrier's instant, read
// from its output file, written before its IDLE). Time from request to complete profile is that
// instant minus T, in simulated seconds; datagrams from the concentrator's line, requests resent
// from its `DLMS CLIENT` counters before and after (time standing still again); MAC frames
// (data and ACKs, retries included), bytes on air (MPDU without FCS) and G.9903 airtime are the
// medium's totals between the two instants. Wall time is what the run took on this machine.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFigures } from '../lib.mjs';

const ENTRIES = 96;
const SEED = 5;
/** Simulated seconds allowed for the meter to join, and for each read. */
const JOIN_LIMIT_S = 600,
  READ_LIMIT_S = 300;
/** Wall time allowed for a console command to be taken while the medium is paused. */
const COMMAND_WALL_MS = 20000;

/** A lin node whose console output goes to a file, read synchronously at barriers (as sim.ts). */
class SimNode {
  constructor(name, cmd, args, dir) {
    this.name = name;
    this.outPath = join(dir, `${name}.out`);
    const w = openSync(this.outPath, 'w');
    this.child = spawn(cmd, args, { stdio: ['pipe', w, 'inherit'] });
    closeSync(w);
    this.fd = openSync(this.outPath, 'r');
    this.read = 0;
    this.partial = '';
    this.lines = [];
    this.cursor = 0;
    this.exited = undefined;
    this.child.stdin.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.exited = signal ?? code;
    });
  }
  /** Reads what the node has printed so far. */
  scan() {
    const size = fstatSync(this.fd).size;
    if (size <= this.read) return;
    const buf = Buffer.alloc(size - this.read);
    readSync(this.fd, buf, 0, buf.length, this.read);
    this.read = size;
    const parts = (this.partial + buf.toString('latin1')).split('\n');
    this.partial = parts.pop();
    for (const p of parts) this.lines.push(p.replace(/\r$/, ''));
  }
  /** The first line from the cursor on that matches (moves the cursor past it), or undefined. */
  take(re) {
    this.scan();
    for (let i = this.cursor; i < this.lines.length; i++) {
      if (re.test(this.lines[i])) {
        this.cursor = i + 1;
        return this.lines[i];
      }
    }
    return undefined;
  }
  /** Waits (wall time) for a line: what a console command prints while the medium is paused. */
  async waitFor(re, ms = COMMAND_WALL_MS) {
    const deadline = Date.now() + ms;
    for (let line = this.take(re); ; line = this.take(re)) {
      if (line !== undefined) return line;
      if (this.exited !== undefined) throw new Error(`${this.name} exited (${this.exited})`);
      if (Date.now() > deadline)
        throw new Error(`${this.name}: no line matching ${re} within ${ms} ms:\n${this.lines.slice(-10).join('\n')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  send(line) {
    this.child.stdin.write(line + '\r\n');
  }
  async stop() {
    if (this.exited === undefined) {
      const gone = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await gone;
    }
    closeSync(this.fd);
  }
}

export default {
  name: 'dlmsplc',
  title:
    `DLMS GET of the load profile (${ENTRIES} entries, one day at 15 min) over UDP 4059 across the PLC network,\n` +
    `lin concentrator to a lin meter (one hop), on the medium's simulated clock (seed ${SEED}): simulated seconds from\n` +
    'the request to the complete profile, APDU bytes, datagrams, MAC frames (data, retries, ACKs), bytes and airtime on the line',
  order: 35,
  columns: [
    { header: 'client', key: true, align: 'left', value: (r) => r.client },
    { header: 'entries', value: (r) => r.entries },
    { header: 'A-XDR bytes', value: (r) => r.axdr },
    { header: 'APDU tx', value: (r) => r.apduTx },
    { header: 'APDU rx', value: (r) => r.apduRx },
    { header: 'datagrams', value: (r) => r.datagrams },
    { header: 'MAC frames', value: (r) => r.frames },
    { header: 'bytes on air', value: (r) => r.bytes },
    { header: 'airtime (s)', value: (r) => r.airtimeS?.toFixed(2) },
    { header: 'resent', value: (r) => r.resent },
    { header: 'time (sim s)', value: (r) => r.simS?.toFixed(3) },
    { header: 'wall (s)', value: (r) => r.wallS?.toFixed(1) },
  ],

  async run(ctx) {
    if (!ctx.platforms.includes('lin')) return [];
    const { Medium } = await import('../../emulator/medium/medium.ts');
    const { firmwarePath } = await import('../../emulator/node.ts');
    const { provisionRecord } = await import('../../tools/provision.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'bench-dlmsplc-'));
    const sock = join(dir, 'plc.sock');
    const file = (name, b) => {
      const f = join(dir, name);
      writeFileSync(f, b);
      return f;
    };
    const psk = (n) => n.toString(16).padStart(32, '0');
    const medium = new Medium({ seed: SEED, simClock: true, expectNodes: 2 });
    const nodes = [];
    // the node's entropy from the seed too (as npm run sim): the same seed, the same run
    const start = (name, role, eui, rec) => {
      const n = new SimNode(
        name,
        firmwarePath('lin', role),
        [
          '--modem',
          sock,
          '--provision',
          file(`${name}.prov`, provisionRecord(rec)),
          '--seed',
          BigInt.asUintN(64, (BigInt(SEED) * 0x9e3779b97f4a7c15n) ^ BigInt(eui)).toString(),
        ],
        dir,
      );
      nodes.push(n);
      return n;
    };

    // The barrier: `stop(now)` says where to pause; run() resolves with the instant it paused at.
    let stop = () => false,
      limitUs = Infinity,
      paused,
      failed;
    medium.barrier = (now, next) => {
      if (stop(now) || next > limitUs) {
        paused?.(now);
        return false;
      }
      const dead = nodes.find((n) => n.exited !== undefined);
      if (dead) {
        failed?.(new Error(`${dead.name} exited (${dead.exited})`));
        return false;
      }
      return true;
    };
    medium.on('quiescent', (t) => failed?.(new Error(`the network went quiet at ${t} us`)));
    const run = (until, limitS, wake) =>
      new Promise((resolve, reject) => {
        stop = until;
        limitUs = medium.time + limitS * 1e6;
        paused = (t) => {
          paused = failed = undefined;
          resolve(t);
        };
        failed = (e) => {
          paused = failed = undefined;
          reject(e);
        };
        if (wake) medium.wakeNode(wake);
        medium.resume();
      });
    const wallAll = Date.now();
    try {
      await medium.listen(sock);
      const c = start('concentrator', 'concentrator', 1, {
        eui64: '0x1',
        psk: psk(1),
        seed: 'c1'.repeat(16),
        devices: [{ eui64: '0x2', psk: psk(2) }],
      });
      const m = start('meter', 'meter', 2, { eui64: '0x2', psk: psk(2), seed: psk(0x102) });
      let joined;
      const at = await run(() => (joined ??= m.take(/^PLC JOINED /)) !== undefined, JOIN_LIMIT_S);
      if (!joined) throw new Error(`the meter had not joined after ${at / 1e6} simulated s`);
      const short = '0x' + /short=0x([0-9a-f]{4})/.exec(joined)[1];
      // the profile: 96 captures while time stands still (the meter's clock reads its last TIME)
      for (let k = 0; k < ENTRIES; k++) {
        m.send('DLMS CAPTURE');
        const line = await m.waitFor(/^profile entries=|^ERROR/);
        if (line.startsWith('ERROR')) throw new Error(`meter: ${line}`);
      }
      const rows = [];
      for (const client of ['PUBLIC', 'MGMT']) {
        const wall = Date.now();
        await run(() => true, 0, 1n); // the concentrator's clock at the current instant
        const t0 = medium.time,
          s0 = medium.stats();
        c.send(`DLMS PROFILE ${short} ${ENTRIES} ${client}`);
        c.send('DLMS CLIENT');
        const before = parseFigures([await c.waitFor(/^dlms\.client /)]);
        let end;
        const t1 = await run(() => (end ??= c.take(/^DLMS PROFILE meter=|^ERROR/)) !== undefined, READ_LIMIT_S, 1n);
        const s1 = medium.stats(),
          wallS = (Date.now() - wall) / 1000;
        if (!end) {
          rows.push({ client, error: `no reply within ${READ_LIMIT_S} simulated s` });
          continue;
        }
        if (end.startsWith('ERROR')) {
          rows.push({ client, error: end });
          continue;
        }
        const f = parseFigures([end.replace(/^DLMS PROFILE /, '')]);
        c.send('DLMS CLIENT');
        const after = parseFigures([await c.waitFor(/^dlms\.client /)]);
        rows.push({
          client,
          entries: f.entries,
          axdr: f.bytes,
          apduTx: f['apdu.tx'],
          apduRx: f['apdu.rx'],
          datagrams: f.datagrams,
          frames: s1.framesSent + s1.acksSent - s0.framesSent - s0.acksSent,
          bytes: s1.bytesOnAir - s0.bytesOnAir,
          airtimeS: (s1.airtimeUs - s0.airtimeUs) / 1e6,
          resent: after.resent - before.resent,
          simS: (t1 - t0) / 1e6,
          concentratorMs: f.ms,
          wallS,
        });
      }
      ctx.log(`dlmsplc: joined at ${(at / 1e6).toFixed(1)} simulated s; wall ${((Date.now() - wallAll) / 1000).toFixed(1)} s`);
      return rows;
    } catch (e) {
      return [{ client: 'error', error: String(e.message ?? e).trimEnd() }];
    } finally {
      for (const n of nodes) await n.stop();
      await medium.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
