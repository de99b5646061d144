// npm start: the network run end to end (plain lines, the report, the head-end's database), a
// SIGINT mid-run that leaves no node process behind, and bad input (one line, non-zero exit).
// The tests run what `npm start` runs (node --import tsx emulator/start.ts) with --no-build:
// npm test has built the firmware before mocha.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStartArgs } from '../../emulator/start.js';
import { UsageError } from '../../emulator/sim.js';
import { openSqlite } from '../../tools/headend/db.js';

const START = ['--import', 'tsx', 'emulator/start.ts'];

/** A running npm start: its output lines as they come, and a wait for one. */
class Run {
  readonly child: ChildProcess;
  out = '';
  err = '';
  exit: Promise<number | null>;
  constructor(args: string[]) {
    this.child = spawn(process.execPath, [...START, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
    });
    this.exit = new Promise((res) => this.child.once('exit', (code) => res(code)));
  }
  async waitFor(re: RegExp, timeoutMs = 40_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no line ${re} (exit ${this.child.exitCode}):\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every process below `pid` (ps: pid and parent pid), its own process group or not. */
function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const out: { pid: number; args: string }[] = [];
  const walk = (p: number): void => {
    for (const r of rows)
      if (r.ppid === p) {
        out.push(r);
        walk(r.pid);
      }
  };
  walk(pid);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // a zombie is dead for our purpose (ps shows it as <defunct>)
    return !/defunct|^Z/.test(execFileSync('ps', ['-o', 'stat=,args=', '-p', String(pid)], { encoding: 'utf8' }));
  } catch {
    return false;
  }
};

describe('npm start: command line', () => {
  it('--platform or --role boots one firmware with its shell (the old npm start)', () => {
    assert.deepEqual(parseStartArgs(['--platform', 'lin']), { mode: 'single', platform: 'lin', role: 'concentrator', build: true });
    assert.deepEqual(parseStartArgs(['--role', 'meter']), { mode: 'single', platform: 'mps2-an386', role: 'meter', build: true });
    assert.throws(() => parseStartArgs(['--platform', 'lin', '--meters', '3']), UsageError);
  });
  it('npm start -- --platform lin --role meter: one firmware, its shell on stdin/stdout', () => {
    const r = spawnSync(process.execPath, [...START, '--platform', 'lin', '--role', 'meter', '--no-build'], {
      input: 'SYS CLOCK\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^meter on lin: type shell commands/m);
    assert.match(r.stdout, /^clock mode=real/m);
  });
  it('defaults: the concentrator and 2 of 24 meters on emulated boards, real time, demo schedule, report/', () => {
    const o = parseStartArgs([]);
    assert.equal(o.mode, 'network');
    if (o.mode !== 'network') return;
    assert.equal(o.meters, 24);
    assert.equal(o.boards, 2);
    assert.equal(o.concentrator, 'board');
    assert.equal(o.speed, 'real');
    assert.equal(o.schedule, 'demo');
    assert.equal(o.report, 'report');
    assert.equal(o.until, undefined);
    const f = parseStartArgs(['--speed', 'fast']);
    assert.ok(f.mode === 'network' && f.boards === 0 && f.concentrator === 'lin', 'fast: lin nodes only');
    const one = parseStartArgs(['--meters', '1']);
    assert.ok(one.mode === 'network' && one.boards === 1, 'no more boards than meters');
    const l = parseStartArgs(['--concentrator', 'lin', '--boards', '0']);
    assert.ok(l.mode === 'network' && l.speed === 'real' && l.concentrator === 'lin' && l.boards === 0);
  });

  const dir = mkdtempSync(join(tmpdir(), 'start-bad-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.json'), '{"nodes": [');
  writeFileSync(join(dir, 'scenario.json'), '{"events": [{"at": 5, "do": "explode", "meters": "all"}]}');
  writeFileSync(join(dir, 'file'), '');
  mkdirSync(join(dir, 'dbdir', 'headend.db'), { recursive: true });
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['--verbose'], /^start: unknown option '--verbose'/],
    ['bad number', ['--meters', '12x'], /^start: --meters expects an integer 1\.\.1000, got '12x'/],
    ['bad --until', ['--until', '-3'], /^start: --until expects simulated seconds/],
    ['bad --speed', ['--speed', 'warp'], /^start: --speed expects real or fast/],
    ['fast with boards', ['--boards', '1', '--speed', 'fast'], /^start: --speed fast runs lin nodes only: emulated boards/],
    [
      'fast with a board concentrator',
      ['--concentrator', 'board', '--speed', 'fast'],
      /^start: --speed fast runs lin nodes only: --concentrator board/,
    ],
    ['bad --concentrator', ['--concentrator', 'qemu'], /^start: --concentrator expects board or lin, got 'qemu'/],
    ['flag twice', ['--seed', '1', '--seed', '2'], /^start: --seed given twice/],
    ['missing value', ['--meters'], /^start: --meters needs a value/],
    ['missing topology', ['--topology', join(dir, 'none.json')], /^start: --topology .*none\.json: ENOENT/],
    ['malformed topology', ['--topology', join(dir, 'bad.json')], /^start: --topology .*bad\.json: .*JSON/],
    ["topology without the run's nodes", ['--topology', 'emulator/medium/topology.example.json'], /^start: --topology .*: no node for/],
    ['missing scenario', ['--scenario', join(dir, 'none.json')], /^start: --scenario .*none\.json: ENOENT/],
    ['malformed scenario', ['--scenario', join(dir, 'scenario.json')], /^start: --scenario .*scenario\.json: .*do/],
    ['report dir under a file', ['--report', join(dir, 'file', 'r')], /^start: --report .*: cannot create the directory \(ENOTDIR\)/],
    ['database that cannot be opened', ['--report', join(dir, 'dbdir')], /^start: .*headend\.db: /],
    ['unknown platform', ['--platform', 'z80'], /^start: unknown platform 'z80'/],
  ];
  for (const [what, args, error] of cases) {
    it(`${what} (${args.join(' ')}): one line on stderr, exit 2`, () => {
      const r = spawnSync(process.execPath, [...START, '--no-build', ...(args.includes('--platform') ? [] : ['--no-tty']), ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 2, r.stderr + r.stdout);
      assert.match(r.stderr, error);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
});

describe('npm start: a run', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'start-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--speed fast --no-tty --meters 6 --until 1200 --seed 3: plain lines, exit 0, the report, intervals from every meter and no duplicates', async () => {
    const report = join(dir, 'report');
    const run = new Run([
      '--no-build',
      '--no-tty',
      '--speed',
      'fast',
      '--meters',
      '6',
      '--until',
      '1200',
      '--seed',
      '3',
      '--report',
      report,
    ]);
    assert.equal(await run.exit, 0, run.err);
    assert.equal(run.err, '');
    assert.match(run.out, /^start: demo schedule: .*faster than the product's 15-min schedule/m);
    assert.match(run.out, /^start: t=\d+\.\d s joined \d\/6 frames=\d+/m);
    assert.match(run.out, /^start: stopped at t=1200\.0 s \(simulated\)/m);
    assert.doesNotMatch(run.out, /\x1b\[/, 'no terminal control sequences');
    for (const f of ['summary.json', 'headend.db', 'powerline.pcap', 'index.html']) assert.ok(statSync(join(report, f)).size > 0, f);
    const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8'));
    assert.equal(summary.meters, 6);
    assert.equal(summary.stoppedAtS, 1200);
    assert.equal(summary.joined, 6);
    assert.equal(summary.headend.duplicates, 0);
    const db = await openSqlite(join(report, 'headend.db'));
    try {
      const perMeter = await db.all('SELECT meter, COUNT(*) AS n FROM intervals GROUP BY meter');
      assert.deepEqual(
        perMeter.map((r) => String(r.meter).toLowerCase()).sort(),
        Array.from({ length: 6 }, (_, i) => `02112233440000${(i + 1).toString(16).padStart(2, '0')}`),
      );
      const dup = await db.all("SELECT value FROM counters WHERE name = 'duplicates'");
      assert.equal(Number(dup[0]?.value ?? 0), 0);
      const alarms = await db.all('SELECT COUNT(*) AS n FROM alarms');
      assert.ok(Number(alarms[0]?.n) > 0, 'the demo alarms reached the head-end');
    } finally {
      await db.close();
    }
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    for (const id of ['profile', 'energy', 'area', 'joins', 'alarms', 'hops']) assert.match(html, new RegExp(`<canvas id="${id}">`));
    assert.match(html, /Chart\.js v4/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'self-contained');
  });

  it('on a terminal: the live view (alternate screen, progress bar, a row per meter), then the final lines', async function () {
    if (spawnSync('script', ['--version']).status !== 0) {
      console.log('    (util-linux script is not installed: it gives the run a terminal)');
      this.skip();
    }
    const report = join(dir, 'report');
    const cmd = `stty rows 40 cols 160; exec ${process.execPath} ${START.join(' ')} --no-build --speed fast --meters 3 --until 300 --seed 2 --report ${report}`;
    const r = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    r.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((res) => r.once('exit', (c) => res(c)));
    assert.equal(code, 0, out);
    const [screen, after] = out.split('\x1b[?1049l');
    assert.match(screen!, /\x1b\[\?1049h/, 'the alternate screen');
    assert.match(screen!, /\[#{30}\] joined 3\/3 {3}t=0:0\d:\d\d simulated/);
    assert.match(screen!, /meter-3 +lin +joined +0:00:\d\d/);
    assert.match(screen!, /head-end intervals=\d+/);
    assert.match(after ?? '', /^start: stopped at t=300\.0 s \(simulated\)/m, 'the final lines on the normal screen');
    assert.ok(existsSync(join(report, 'index.html')));
  });

  it("on a terminal: Tab shows the concentrator's shell, a typed command is answered there, Tab goes back, Ctrl-C stops", async function () {
    if (spawnSync('script', ['--version']).status !== 0) {
      console.log('    (util-linux script is not installed: it gives the run a terminal)');
      this.skip();
    }
    const report = join(dir, 'report');
    const cmd = `stty rows 40 cols 160; exec ${process.execPath} ${START.join(' ')} --no-build --speed fast --meters 2 --seed 2 --report ${report}`;
    const r = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    r.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exit = new Promise<number | null>((res) => r.once('exit', (c) => res(c)));
    const waitFor = async (re: RegExp, from: number): Promise<number> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const m = re.exec(out.slice(from));
        if (m) return from + m.index + m[0].length;
        if (Date.now() > deadline) throw new Error(`no ${re} on the screen:\n${out.slice(from).slice(-3000)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    };
    let at = await waitFor(/joined 2\/2/, 0);
    at = await waitFor(/Tab: the concentrator's shell/, 0);
    r.stdin.write('\t');
    at = await waitFor(/the concentrator's shell \(lin\): type a command/, at);
    r.stdin.write('SYS CLOCK\r');
    at = await waitFor(/> SYS CLOCK/, at);
    at = await waitFor(/clock mode=sim /, at);
    r.stdin.write('\t');
    at = await waitFor(/head-end /, at);
    r.stdin.write('\x03'); // Ctrl-C: a key in the live view's raw input
    assert.equal(await exit, 0, out.slice(-2000));
    assert.match(out.slice(at), /SIGINT: stopping every node/);
    assert.match(out.slice(at), /start: stopped at t=[\d.]+ s \(simulated\)/);
    assert.ok(existsSync(join(report, 'summary.json')));
    assert.equal(JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8')).stoppedBy, 'SIGINT');
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    it(`${sig} mid-run stops every node process, writes the report and exits 0`, async () => {
      const report = join(dir, 'report');
      const run = new Run(['--no-build', '--no-tty', '--speed', 'fast', '--meters', '4', '--seed', '2', '--report', report]);
      await run.waitFor(/^start: t=[\d.]+ s joined 4\/4/m);
      const nodes = descendants(run.child.pid!).filter((p) => /build\/lin\/(meter|meter-1p|concentrator)\/firmware/.test(p.args));
      assert.equal(nodes.length, 5, JSON.stringify(nodes));
      run.child.kill(sig);
      assert.equal(await run.exit, 0, run.err);
      assert.match(run.out, new RegExp(`^start: ${sig}: stopping every node`, 'm'));
      for (const p of nodes) assert.ok(!alive(p.pid), `${p.args} (pid ${p.pid}) still runs`);
      assert.deepEqual(descendants(run.child.pid!), []);
      const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8'));
      assert.equal(summary.stoppedBy, sig);
      assert.ok(existsSync(join(report, 'index.html')));
    });

  it('the default kind of run (concentrator and a meter on QEMU boards, real time): every meter joins, readings reach the head-end, SIGINT leaves no process', async function () {
    this.timeout(240_000);
    const report = join(dir, 'report');
    const run = new Run(['--no-build', '--no-tty', '--meters', '3', '--boards', '1', '--seed', '2', '--report', report]);
    await run.waitFor(/^start: concentrator on an mps2-an386 board \(QEMU\), 3 meters \(2 lin, 1 boards\).* real time/m, 30_000);
    await run.waitFor(/^start: t=[\d.]+ s joined 3\/3/m, 180_000);
    // the demo schedule's first read (DEMO_FIRST_READ_S) reaches the head-end
    await run.waitFor(/^start: t=[\d.]+ s joined 3\/3 .* registers=[1-9]/m, 200_000);
    const nodes = descendants(run.child.pid!).filter((p) => /qemu-system-arm|build\/lin\/(meter|meter-1p)\/firmware/.test(p.args));
    assert.equal(nodes.filter((p) => /qemu-system-arm/.test(p.args)).length, 2, JSON.stringify(nodes));
    assert.ok(
      nodes.some((p) => /qemu-system-arm.*concentrator\.elf/.test(p.args)),
      'the concentrator runs on QEMU',
    );
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.err);
    for (const p of nodes) assert.ok(!alive(p.pid), `${p.args} (pid ${p.pid}) still runs`);
    assert.deepEqual(descendants(run.child.pid!), []);
    const summary = JSON.parse(readFileSync(join(report, 'summary.json'), 'utf8'));
    assert.equal(summary.concentratorKind, 'board');
    assert.equal(summary.clock, 'real');
    assert.equal(summary.joined, 3);
  });
});
