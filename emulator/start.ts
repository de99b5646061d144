// npm start: builds what is out of date, then runs a concentrator and meters on the simulated
// power line (emulator/sim.ts's runSim) with the head-end receiver storing in report/headend.db,
// a live view on the terminal, and a report in report/ at the end (docs/start.md).
// `npm start -- --platform P --role R` (either flag) boots one firmware with its shell instead.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Channel, formatEui64, type Topology } from './medium/channel.js';
import { firmwarePath, MACHINES, ROOT } from './node.js';
import type { ScenarioEvent } from './scenario.js';
import {
  CONCENTRATOR_EUI,
  generateTopology,
  intArg,
  loadScenario,
  meterEui,
  runSim,
  type SimConsole,
  type SimOptions,
  type SimSummary,
  UsageError,
} from './sim.js';
import { openSqlite } from '../tools/headend/db.js';
import { LiveView, PlainView, type View } from './start-view.js';
import { writeReport } from './start-report.js';
import { DEFAULT_BOARDS, DEMO_FIRST_READ_S, DEMO_READ_EVERY_S, dcMaxMeters, type StartOptions } from './start-options.js';

export { DEFAULT_BOARDS, DEMO_FIRST_READ_S, DEMO_READ_EVERY_S, dcMaxMeters, type StartOptions };

export const DEFAULT_METERS = 24;

export const USAGE = `usage: npm start [-- options]
  a concentrator and meters on the simulated power line, the head-end storing in <report>/headend.db,
  a live view, and a report in <report>/ at the end (docs/start.md):
  --meters N          meters (1..1000, default ${DEFAULT_METERS})
  --boards K          K of them on emulated mps2-an386 boards (QEMU; default ${DEFAULT_BOARDS}, 0 with --speed fast)
  --concentrator board|lin
                      the concentrator on an emulated mps2-an386 board (QEMU, default) or as a lin
                      process (default with --speed fast)
  --topology FILE     topology JSON (emulator/medium/topology.example.json); generated if absent
  --seed S            seed of the topology, the medium and the keys (default 1)
  --scenario FILE     events over simulated time (docs/scenarios.md) instead of the demo's loads and alarms
  --schedule demo|product
                      demo (default): the concentrator also reads every meter at ${DEMO_FIRST_READ_S} s and every ${DEMO_READ_EVERY_S} s;
                      product: only its 15-min schedule
  --speed real|fast   real (default): wall time, as emulated boards run; fast: lin nodes only (no
                      boards), as fast as the simulated clock allows
  --until S           stop at simulated second S, write the report, exit 0 (default: run until Ctrl-C)
  --report DIR        where the report goes (default report)
  --no-tty            plain progress lines, even on a terminal
  --no-build          do not build first (npm test has built)
one firmware with its shell, as before:
  npm start -- --platform lin|mps2-an386|stm32f405 [--role meter|meter-1p|concentrator]
`;

export type StartCommand = { mode: 'single'; platform: string; role: string; build: boolean } | ({ mode: 'network' } & StartOptions);

/** Strict parser: exactly the documented flags, each value checked; UsageError otherwise. */
export function parseStartArgs(argv: string[]): StartCommand {
  if (argv.includes('--platform') || argv.includes('--role')) {
    let platform = 'mps2-an386',
      role = 'concentrator',
      build = true;
    for (let i = 0; i < argv.length; i++) {
      const flag = argv[i]!;
      const v = argv[i + 1];
      if ((flag === '--platform' || flag === '--role') && (v === undefined || v.startsWith('--')))
        throw new UsageError(`${flag} needs a value`);
      if (flag === '--platform') platform = argv[++i]!;
      else if (flag === '--role') role = argv[++i]!;
      else if (flag === '--no-build') build = false;
      else throw new UsageError(`unknown option '${flag}' with --platform/--role (one firmware with its shell)`);
    }
    if (platform === 'stm32f429')
      throw new UsageError(
        "stm32f429 runs on Renode only (QEMU has no F429 board): renode --disable-xwt --console -e 'include @renode/scripts/concentrator-f429.resc; start'",
      );
    if (platform !== 'lin' && !(platform in MACHINES)) throw new UsageError(`unknown platform '${platform}'`);
    if (!['meter', 'meter-1p', 'concentrator'].includes(role)) throw new UsageError(`unknown role '${role}'`);
    return { mode: 'single', platform, role, build };
  }
  const o: StartOptions = {
    meters: DEFAULT_METERS,
    boards: DEFAULT_BOARDS,
    concentrator: 'board',
    seed: 1,
    schedule: 'demo',
    speed: 'real',
    report: 'report',
    tty: true,
    build: true,
  };
  const seen = new Set<string>();
  const int = intArg;
  const valued = [
    '--meters',
    '--boards',
    '--concentrator',
    '--topology',
    '--seed',
    '--scenario',
    '--schedule',
    '--speed',
    '--until',
    '--report',
  ];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (seen.has(flag)) throw new UsageError(`${flag} given twice`);
    seen.add(flag);
    if (flag === '--no-tty') {
      o.tty = false;
      continue;
    }
    if (flag === '--no-build') {
      o.build = false;
      continue;
    }
    if (!valued.includes(flag)) throw new UsageError(`unknown option '${flag}'`);
    const v = argv[++i];
    if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--meters':
        o.meters = int(flag, v, 1, 1000);
        break;
      case '--boards':
        o.boards = int(flag, v, 0, 1000);
        break;
      case '--concentrator':
        if (v !== 'board' && v !== 'lin') throw new UsageError(`--concentrator expects board or lin, got '${v}'`);
        o.concentrator = v;
        break;
      case '--seed':
        o.seed = int(flag, v, 0, 0xffffffff);
        break;
      case '--topology':
        o.topology = v;
        break;
      case '--scenario':
        o.scenario = v;
        break;
      case '--report':
        o.report = v;
        break;
      case '--schedule':
        if (v !== 'demo' && v !== 'product') throw new UsageError(`--schedule expects demo or product, got '${v}'`);
        o.schedule = v;
        break;
      case '--speed':
        if (v !== 'real' && v !== 'fast') throw new UsageError(`--speed expects real or fast, got '${v}'`);
        o.speed = v;
        break;
      case '--until':
        if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0 || Number(v) > 1e6)
          throw new UsageError(`--until expects simulated seconds (0 < s <= 1000000), got '${v}'`);
        o.until = Number(v);
    }
  }
  if (o.speed === 'fast') {
    // the simulated clock runs lin processes only: emulated boards (QEMU) keep wall time
    if (seen.has('--boards') && o.boards > 0)
      throw new UsageError('--speed fast runs lin nodes only: emulated boards (--boards) run in real time');
    if (seen.has('--concentrator') && o.concentrator === 'board')
      throw new UsageError('--speed fast runs lin nodes only: --concentrator board runs in real time');
    o.boards = 0;
    o.concentrator = 'lin';
  } else if (!seen.has('--boards')) o.boards = Math.min(DEFAULT_BOARDS, o.meters);
  if (o.boards > o.meters) throw new UsageError(`--boards ${o.boards} is more than --meters ${o.meters}`);
  return { mode: 'network', ...o };
}

/**
 * The demo's events: the concentrator reads every meter early and often (its own schedule reads
 * at 15-min boundaries), and, without --scenario, a load on every meter (a different current
 * each, so the profiles differ) and a few tamper and sag events that meters push as alarms.
 */
export function demoEvents(o: StartOptions): ScenarioEvent[] {
  const ev: ScenarioEvent[] = [];
  const end = Math.min(o.until ?? 86400, 86400);
  if (o.schedule === 'demo')
    for (let t = DEMO_FIRST_READ_S; t <= end; t += DEMO_READ_EVERY_S)
      ev.push({ at: t, do: 'shell', node: 'concentrator', command: 'DC SCHEDULE NOW' });
  if (!o.scenario) {
    for (let i = 1; i <= o.meters; i++)
      ev.push({ at: 5, do: 'load', meters: [i], phase: 1, vrms: 230, irms: 2 + ((i * 7) % 19), angleDeg: (i * 11) % 30 });
    const some = (list: number[]): number[] => list.filter((i) => i <= o.meters);
    if (some([2]).length) ev.push({ at: 200, do: 'tamper', meters: some([2]), kind: 'cover', durationS: 5 });
    if (some([1, 3]).length) ev.push({ at: 260, do: 'sag', meters: some([1, 3]), phase: 0, factor: 0.6, durationS: 2 });
    if (some([4, 5]).length) ev.push({ at: 420, do: 'tamper', meters: some([4, 5]), kind: 'magnet', durationS: 3 });
  }
  return ev;
}

class StartError extends Error {}

/** Checks files and the report directory before anything starts: one line each (StartError). */
function preflight(o: StartOptions): Topology {
  let topology: Topology;
  if (o.topology) {
    let text: string;
    try {
      text = readFileSync(o.topology, 'utf8');
    } catch (e) {
      throw new StartError(`--topology ${o.topology}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      topology = JSON.parse(text) as Topology;
      new Channel(topology);
    } catch (e) {
      throw new StartError(`--topology ${o.topology}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // every node of the run placed (report/topology.json of a run is a valid starting point)
    const listed = new Set(
      (Array.isArray(topology.nodes) ? topology.nodes : []).map((n) => String(n.eui64).replace(/^0x/i, '').toLowerCase()),
    );
    const missing = [CONCENTRATOR_EUI, ...Array.from({ length: o.meters }, (_, i) => meterEui(i + 1))]
      .map((e) => formatEui64(e))
      .filter((e) => !listed.has(e.padStart(16, '0')));
    if (missing.length)
      throw new StartError(
        `--topology ${o.topology}: no node for ${missing.length === 1 ? 'EUI-64' : `${missing.length} EUI-64s, the first`} ${missing[0]} (the concentrator is 0211223344000000, meter-i 02112233440000xx with xx = i in hex)`,
      );
  } else topology = generateTopology(o.meters, o.seed);
  try {
    loadScenario({ meters: o.meters, board: o.boards, seed: o.seed, until: 1, ...(o.scenario ? { scenario: o.scenario } : {}) });
  } catch (e) {
    throw new StartError(e instanceof Error ? e.message : String(e));
  }
  return topology;
}

/** mkdir -p one level at a time (Node's recursive mkdir loops on a path under /proc). */
function mkdirs(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) mkdirs(parent);
  mkdirSync(dir);
}

async function openReportDir(o: StartOptions): Promise<{ db: string; pcap: string }> {
  const dir = resolve(o.report);
  try {
    mkdirs(dir);
  } catch (e) {
    throw new StartError(`--report ${o.report}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const db = join(dir, 'headend.db');
  // a new run, a new database (the head-end would count the last run's records as duplicates)
  for (const f of [db, `${db}-wal`, `${db}-shm`, join(dir, 'summary.json'), join(dir, 'index.html')]) {
    try {
      rmSync(f, { force: true });
    } catch (e) {
      throw new StartError(`${f}: cannot remove the last run's file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  try {
    const h = await openSqlite(db);
    await h.close();
  } catch (e) {
    throw new StartError(`${db}: cannot open the head-end database (${e instanceof Error ? e.message : String(e)})`);
  }
  return { db, pcap: join(dir, 'powerline.pcap') };
}

/** Builds the lin (and with boards, mps2-an386) firmware: only what is out of date. */
function build(o: StartOptions, view: View, stop: AbortSignal): Promise<void> {
  const platforms = o.boards > 0 || o.concentrator === 'board' ? ['lin', 'mps2-an386'] : ['lin'];
  const args = [join(ROOT, 'tools', 'build.mjs'), '--quiet', ...platforms.flatMap((p) => ['--platform', p])];
  return new Promise((res, rej) => {
    const started = Date.now();
    view.building(platforms, 0);
    const tick = setInterval(() => view.building(platforms, (Date.now() - started) / 1000), 250);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // SIGTERM reaches npm start only: the build is stopped with it
    stop.addEventListener('abort', () => child.kill('SIGTERM'));
    let err = '';
    child.stdout.on('data', (d: Buffer) => view.note(d.toString().trim()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      clearInterval(tick);
      if (stop.aborted) {
        // Ctrl-C while building: the build stopped too (its process group); nothing ran, no report
        view.note('stopped while building: nothing ran, no report');
        res();
      } else if (code === 0) {
        view.built(platforms, (Date.now() - started) / 1000);
        res();
      } else
        rej(
          new Error(
            `build failed (node tools/build.mjs ${platforms.map((p) => `--platform ${p}`).join(' ')}): ${err.trim().split('\n').pop() ?? code}`,
          ),
        );
    });
  });
}

async function network(o: StartOptions): Promise<number> {
  const topology = preflight(o);
  const files = await openReportDir(o);
  const reportDir = resolve(o.report);
  if (!o.topology) writeFileSync(join(reportDir, 'topology.json'), `${JSON.stringify(topology, null, 2)}\n`);
  const tty = o.tty && process.stdout.isTTY === true;
  const stop = new AbortController();
  let stopping = '';
  // the live view takes the keyboard: Tab switches to the concentrator's shell, Ctrl-C stops
  const simConsole: SimConsole = {};
  const view: View = tty
    ? new LiveView(o, files.db, process.stdin.isTTY ? { console: simConsole, stop: () => onSignal('SIGINT') } : undefined)
    : new PlainView(o, files.db);
  const onSignal = (sig: string): void => {
    if (stopping) return;
    stopping = sig;
    view.note(`${sig}: stopping every node, then writing the report`);
    stop.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  view.start();
  try {
    if (o.build) await build(o, view, stop.signal);
    if (stop.signal.aborted) return 0;
    for (const role of ['concentrator', 'meter', 'meter-1p'] as const)
      if (!existsSync(firmwarePath('lin', role)))
        throw new StartError(`${firmwarePath('lin', role)} is missing: run npm start without --no-build`);
    view.intro();
    const sim: SimOptions = {
      meters: o.meters,
      board: o.boards,
      concentrator: o.concentrator,
      seed: o.seed,
      until: o.until ?? 1e6,
      pcap: files.pcap,
      headend: files.db,
      events: demoEvents(o),
      realTime: o.speed === 'real',
      detached: true,
      signal: stop.signal,
      onProgress: (v) => view.progress(v),
      console: simConsole,
      ...(o.topology ? { topology: o.topology } : {}),
      ...(o.scenario ? { scenario: o.scenario } : {}),
    };
    const wall = Date.now();
    const summary: SimSummary = await runSim(sim, (line) => {
      if (!/^sim: t=/.test(line)) view.note(line);
    });
    const full = { ...summary, wallS: (Date.now() - wall) / 1000, ...(stopping ? { stoppedBy: stopping } : {}) };
    writeFileSync(join(reportDir, 'summary.json'), `${JSON.stringify(full, null, 2)}\n`);
    await writeReport(reportDir, full, files.db);
    view.finish(full, reportDir);
    return 0;
  } finally {
    view.close();
  }
}

function single(platform: string, role: string, build: boolean): void {
  const fw = firmwarePath(platform as 'lin', role as 'meter');
  const built = build
    ? spawnSync(process.execPath, [join(ROOT, 'tools', 'build.mjs'), '--quiet', '--platform', platform, '--role', role], {
        stdio: 'inherit',
      })
    : { status: 0 };
  if (built.status !== 0 || !existsSync(fw)) {
    if (built.status === 0) process.stderr.write(`start: ${fw} is missing: run npm start without --no-build\n`);
    process.exit(built.status || 1);
  }
  let child: ChildProcess;
  if (platform === 'lin') {
    process.stdout.write(`${role} on lin: type shell commands (HELP lists them); Ctrl-D quits.\n`);
    child = spawn(fw, [], { stdio: 'inherit' });
  } else {
    const machine = MACHINES[platform as keyof typeof MACHINES];
    process.stdout.write(`${role} on ${platform} (QEMU ${machine}): type shell commands (HELP lists them); Ctrl-A X quits.\n`);
    child = spawn('qemu-system-arm', ['-M', machine, '-nographic', '-semihosting', '-kernel', fw], { stdio: 'inherit' });
  }
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  let cmd: StartCommand;
  try {
    cmd = parseStartArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`start: ${e.message} (npm start -- --help)\n`);
      process.exit(2);
    }
    throw e;
  }
  if (cmd.mode === 'single') return single(cmd.platform, cmd.role, cmd.build);
  try {
    process.exit(await network(cmd));
  } catch (e) {
    process.stderr.write(`start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof StartError ? 2 : 1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, 'emulator', 'start.ts')) void main();
