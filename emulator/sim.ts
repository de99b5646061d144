// npm run sim: a concentrator and N meters on the emulated power-line medium, until every meter
// has joined the PAN (or a given simulated time), with a JSON summary. README.md ("Network
// simulation") describes it. Lin nodes only: the medium's simulated clock (deterministic for a
// seed); with emulated boards (--board K and --concentrator board on QEMU, --concentrator renode
// on Renode) the whole network runs in real time.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { Channel, formatEui64, parseEui64, type Phase, type Topology, type TopologyNode } from './medium/channel.js';
import { Medium, type MediumStats } from './medium/medium.js';
import { Prng } from './medium/prng.js';
import { type Db, openSqlite } from '../tools/headend/db.js';
import { parse as parseHeadend, serve as serveHeadend } from '../tools/headend/main.js';
import { summary as headendSummary, type Summary as HeadendSummary } from '../tools/headend/store.js';
import { firmwarePath, freePort, MACHINES, type Role, reflash, ROOT } from './node.js';
import { startRenodeBoard } from './renode-board.js';
import {
  meterCommand,
  noiseBursts,
  parseScenario,
  SCENARIO_MAX_S,
  type Scenario,
  ScenarioError,
  type ScenarioEvent,
  selected,
  stormScenario,
} from './scenario.js';
import { TransformerModel } from './transformer.js';
import {
  type HeapSample,
  heapTrend,
  SOAK_MAX_CHUNKS_PER_DAY,
  SOAK_MAX_SLOTS_PER_DAY,
  SOAK_NOISE_CHUNKS,
  SOAK_NOISE_SLOTS,
  soakScenario,
  soakTiming,
  trendFailures,
} from './soak.js';

export interface SimOptions {
  meters: number;
  board: number;
  /** Meters on Renode STM32F405 boards (real time, docs/renode.md), after the QEMU boards; 0 if absent. */
  renode?: number;
  /**
   * Where the concentrator runs: a lin process (default), an emulated mps2-an386 board (QEMU, real
   * time) or the STM32F429 board on Renode (real time).
   */
  concentrator?: 'lin' | 'board' | 'renode';
  seed: number;
  topology?: string;
  until: 'joined' | number;
  pcap?: string;
  json?: string;
  /** The head-end's SQLite database: the concentrator uploads over its backhaul port to a receiver run here. */
  headend?: string;
  /** Scenario file (emulator/scenario.ts, docs/scenarios.md). */
  scenario?: string;
  /** Simulated second at which every meter loses its supply (back STORM_OUTAGE_S later). */
  stormAt?: number;
  /** The soak (emulator/soak.ts, docs/soak.md): its scenario, hourly heap samples and the verdict. */
  soak?: boolean;
  /** Programmatic only (the bench): stop after this many simulated seconds whatever --until says. */
  limitS?: number;
  /** Programmatic only (npm start): more scenario events, merged with --scenario's. */
  events?: ScenarioEvent[];
  /** Programmatic only (npm start --speed real): lin meters too run in real time. */
  realTime?: boolean;
  /**
   * Programmatic only (npm start): every node in a process group of its own, so a Ctrl-C on the
   * terminal reaches the caller only, which stops the run (`signal`) and then the nodes.
   */
  detached?: boolean;
  /** Programmatic only: stops the run at the current simulated time, as --until would. */
  signal?: AbortSignal;
  /** Programmatic only: called about once a second (and at the end) with the run's state. */
  onProgress?: (view: SimView) => void;
  /** Programmatic only (npm start): the concentrator's shell. */
  console?: SimConsole;
}

/** The concentrator's shell for a program that runs the simulation (npm start's live view). */
export interface SimConsole {
  /** Set by runSim once the concentrator runs: types one line on its shell. */
  send?: (line: string) => void;
  /** Every line the concentrator prints, as the simulator reads its output. */
  onLine?: (line: string) => void;
}

/** What a live view shows of one meter (npm start). */
export interface SimMeterView {
  name: string;
  eui: string;
  kind: NodeKind;
  state: 'booting' | 'joined' | 'off' | 'exited';
  joinedS: number | null;
  short: number | null;
  hops: number | null;
  boots: number;
  rejoins: number;
}

/** How a node runs: a lin process, a QEMU board (mps2-an386), a Renode board (STM32F405 meter, STM32F429 concentrator). */
export type NodeKind = 'lin' | 'board' | 'renode';

/**
 * The clock a node ran on: the medium's simulated clock (lin --sim-clock), the host's clock (lin
 * in real time, QEMU boards), or Renode's virtual time (paced by the host: docs/renode.md).
 */
export type NodeClock = 'simulated' | 'host' | 'renode-virtual';

/** The run's state for a live view (npm start): simulated time, meters, the medium's counters. */
export interface SimView {
  tS: number;
  wallS: number;
  joined: number;
  meters: SimMeterView[];
  medium: MediumStats;
  pan?: string;
}

/** The storm's outage (`--storm-at`): long enough for every meter to see a power failure. */
export const STORM_OUTAGE_S = 60;

export const USAGE = `usage: npm run sim -- --meters N [--board K] [--renode K] [--seed S] [--topology FILE] [--until joined|<seconds>] [--pcap FILE] [--json FILE]
  --meters N          meters on the PAN (1..${1000}), with one concentrator
  --board K           K of them on emulated mps2-an386 boards (real time), the rest lin (default 0)
  --renode K          K more of them on Renode STM32F405 boards: refused for K > 0 until that
                      image has a PLC stack (docs/renode.md)
  --concentrator lin|board|renode
                      the concentrator as a lin process (default), on an emulated mps2-an386
                      board (QEMU) or on the STM32F429 board on Renode (the network then runs in
                      real time)
  --seed S            seed of the medium, the generated topology and the keys (default 1)
  --topology FILE     topology JSON (emulator/medium/topology.example.json); generated if absent
  --until joined|S    stop when every meter has joined (default), or after S simulated seconds
  --hours H           run H simulated hours (0 < H <= 720; the same as --until H*3600)
  --scenario FILE     events over simulated time (docs/scenarios.md): load, sag, swell, tamper,
                      outage, off, on, noise, kick, shell
  --storm-at S        every meter loses its supply at simulated second S and gets it back
                      ${STORM_OUTAGE_S} s later, all at the same instant
  --soak              the soak (docs/soak.md): outages, noise, a kick, a rekey every 6 simulated
                      hours; every node's XS heap sampled hourly; exit status 1 on a heap growth
                      trend, a reset or a lost record (needs --hours or --until S)
  --headend FILE      run the head-end receiver on the concentrator's backhaul port, storing in
                      the SQLite database FILE; the summary gets its totals (headend)
  --pcap FILE         write every frame on the line to FILE (802.15.4 with FCS, pcap)
  --json FILE         write the summary there too (it is always printed)
`;

const MAX_METERS = 1000;

/**
 * Why `--renode K` (K > 0) is refused: the STM32F405 meter image carries no PLC stack (manifest
 * platforms.stm32f405, modules/plc/main.ts: its 128 KB of SRAM cannot hold it yet), so a meter on
 * that board could never join. docs/renode.md, "Renode boards on the power line".
 */
export const RENODE_METER_NO_PLC =
  '--renode: the STM32F405 meter image has no PLC stack (its 128 KB of SRAM cannot hold it yet), so it cannot join; --concentrator renode puts the concentrator on the Renode STM32F429';

export class UsageError extends Error {}

/** A command line's integer value within [min, max], else a UsageError naming the flag. */
export function intArg(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${flag} expects an integer ${min}..${max}, got '${v}'`);
  return Number(v);
}

/** Strict parser: exactly the documented flags, each value checked. */
export function parseSimArgs(argv: string[]): SimOptions {
  const o: Partial<SimOptions> = { board: 0, seed: 1, until: 'joined' };
  const seen = new Set<string>();
  const int = intArg;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--soak') {
      if (o.soak) throw new UsageError('--soak given twice');
      o.soak = true;
      continue;
    }
    if (
      ![
        '--meters',
        '--board',
        '--renode',
        '--concentrator',
        '--seed',
        '--topology',
        '--until',
        '--hours',
        '--scenario',
        '--storm-at',
        '--headend',
        '--pcap',
        '--json',
      ].includes(flag)
    ) {
      throw new UsageError(`unknown option '${flag}'`);
    }
    if (seen.has(flag)) throw new UsageError(`${flag} given twice`);
    seen.add(flag);
    const v = argv[++i];
    if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--meters':
        o.meters = int(flag, v, 1, MAX_METERS);
        break;
      case '--board':
        o.board = int(flag, v, 0, MAX_METERS);
        break;
      case '--renode':
        o.renode = int(flag, v, 0, MAX_METERS);
        if (o.renode > 0) throw new UsageError(RENODE_METER_NO_PLC);
        break;
      case '--concentrator':
        if (v !== 'lin' && v !== 'board' && v !== 'renode') throw new UsageError(`--concentrator expects lin, board or renode, got '${v}'`);
        o.concentrator = v;
        break;
      case '--seed':
        o.seed = int(flag, v, 0, 0xffffffff);
        break;
      case '--topology':
        o.topology = v;
        break;
      case '--pcap':
        o.pcap = v;
        break;
      case '--headend':
        o.headend = v;
        break;
      case '--json':
        o.json = v;
        break;
      case '--scenario':
        o.scenario = v;
        break;
      case '--storm-at':
        if (/^\d+(\.\d+)?$/.test(v) && Number(v) <= SCENARIO_MAX_S) o.stormAt = Number(v);
        else throw new UsageError(`--storm-at expects a simulated second 0..${SCENARIO_MAX_S}, got '${v}'`);
        break;
      case '--hours':
        if (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= 720) o.until = Number(v) * 3600;
        else throw new UsageError(`--hours expects simulated hours (0 < h <= 720), got '${v}'`);
        break;
      case '--until':
        if (v === 'joined') o.until = 'joined';
        else if (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= 1e6) o.until = Number(v);
        else throw new UsageError(`--until expects 'joined' or simulated seconds (0 < s <= 1000000), got '${v}'`);
    }
  }
  if (o.meters === undefined) throw new UsageError('--meters is required');
  if (seen.has('--hours') && seen.has('--until')) throw new UsageError('--hours and --until are the same limit: give one');
  if (o.board! > o.meters) throw new UsageError(`--board ${o.board} is more than --meters ${o.meters}`);
  if (o.soak && (o.until === 'joined' || o.board || o.concentrator === 'renode'))
    throw new UsageError('--soak runs lin meters for --hours H or --until S');
  return o as SimOptions;
}

/** The lin nodes' date at the medium's time 0 on the simulated clock (hosts/lin/simclock.c). */
export const SIM_EPOCH_S = 1767225600; // 2026-01-01T00:00:00Z

// ------------------------------------------------------------------ scenario

/** The run's scenario: --scenario FILE and --storm-at S together (checked against --meters). */
export function loadScenario(o: SimOptions): Scenario {
  const events: ScenarioEvent[] = [...(o.events ?? [])];
  if (o.scenario) {
    let text: string;
    try {
      text = readFileSync(o.scenario, 'utf8');
    } catch (e) {
      throw new UsageError(`--scenario ${o.scenario}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      events.push(...parseScenario(text, o.meters).events);
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(`--scenario ${o.scenario}: ${e.message}`);
      throw e;
    }
  }
  if (o.stormAt !== undefined) events.push(...stormScenario(o.stormAt, STORM_OUTAGE_S).events);
  if (o.soak && o.until !== 'joined') events.push(...soakScenario(o.meters, o.until / 3600));
  return {
    events: events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
      .map((x) => x.e),
  };
}

// ------------------------------------------------------------------ topology

export const CONCENTRATOR_EUI = 0x0211_2233_4400_0000n;
export const meterEui = (i: number): bigint => 0x0211_2233_4400_0000n + BigInt(i);

/**
 * A distribution network behind one transformer: the concentrator at the transformer (3 phases),
 * meters on four feeders at random cable positions, each on one phase. Feeders grow with the
 * number of meters (about 25 m of cable per meter and feeder, at least 1.6 km) so that meters at a
 * feeder's far end are out of the concentrator's reach and join through other meters. Every meter
 * is checked to have a path of good links (SNR >= 6 dB) to the concentrator; a meter that has
 * none is moved closer.
 */
export function generateTopology(meters: number, seed: number): Topology {
  const prng = new Prng(seed ^ 0x70b0);
  const feeders = 4;
  const lengthM = Math.max(1600, Math.round((25 * meters) / feeders));
  const phases: Phase[] = ['L1', 'L2', 'L3'];
  const nodes: TopologyNode[] = [
    { eui64: formatEui64(CONCENTRATOR_EUI), name: 'concentrator', phase: '3P', transformer: 'T1', feeder: 'F1', positionM: 0 },
  ];
  for (let i = 1; i <= meters; i++) {
    nodes.push({
      eui64: formatEui64(meterEui(i)),
      name: `meter-${i}`,
      phase: phases[prng.int(3)]!,
      transformer: 'T1',
      feeder: `F${1 + prng.int(feeders)}`,
      positionM: 30 + prng.int(lengthM - 30),
    });
  }
  const topo: Topology = { randomLoss: 0.01, nodes };
  // connectivity: breadth-first over good links; pull unreachable meters in by 10% until reached
  for (let round = 0; round < 100; round++) {
    const ch = new Channel(topo);
    const good = (a: TopologyNode, b: TopologyNode): boolean => {
      const l = ch.link(parseEui64(a.eui64), parseEui64(b.eui64));
      if (l.blocked) return false;
      return ch.txLevel(parseEui64(a.eui64)) - l.attenuationDb - ch.backgroundNoise(parseEui64(b.eui64)) >= 6;
    };
    const reached = new Set<TopologyNode>([nodes[0]!]);
    const queue = [nodes[0]!];
    while (queue.length) {
      const a = queue.shift()!;
      for (const b of nodes)
        if (!reached.has(b) && good(a, b)) {
          reached.add(b);
          queue.push(b);
        }
    }
    const out = nodes.filter((n) => !reached.has(n));
    if (!out.length) break;
    for (const n of out) n.positionM = Math.round(n.positionM! * 0.9);
  }
  return topo;
}

// ------------------------------------------------------------------ provisioning

const key = (seed: number, what: string, eui: bigint): Buffer =>
  createHash('sha256')
    .update(`meterfw-sim ${seed} ${what} ${eui.toString(16)}`)
    .digest()
    .subarray(0, 16);

const eui8 = (e: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(e);
  return b;
};

/** The provisioning record (layout: drivers/plcmodem/xs_provision.c). */
export function provisionRecord(
  eui: bigint,
  psk: Buffer,
  seed: Buffer,
  devices: { eui: bigint; psk: Buffer }[] = [],
  listedOnly = false,
): Buffer {
  const head = Buffer.alloc(48);
  head.write('G3PV', 0, 'latin1');
  head[4] = 1;
  head[5] = listedOnly ? 1 : 0;
  head.writeUInt16BE(devices.length, 6);
  eui8(eui).copy(head, 8);
  psk.copy(head, 16);
  seed.copy(head, 32);
  const body = Buffer.concat([head, ...devices.map((d) => Buffer.concat([eui8(d.eui), d.psk, Buffer.of(0)]))]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

// ------------------------------------------------------------------ nodes

interface SimNode {
  eui: bigint;
  name: string;
  kind: NodeKind;
  role: 'meter' | 'concentrator';
  child: ChildProcess;
  /** Its shell's input: the process's stdin, or a Renode board's shell socket. */
  input: Writable;
  /** Ends its process (a Renode board: its whole process group). */
  kill: (signal: NodeJS.Signals) => void;
  out: number; // stdout file descriptor (read side)
  outPath: string;
  read: number; // bytes consumed
  partial: string;
  joinedUs?: number;
  /** Boots of its process: 1, and one more after each power cut a scenario made. */
  boots: number;
  /** Switched off by the scenario (its process was killed on purpose). */
  off: boolean;
  /** PLC JOINED lines after the first (rejoins after a restart or a kick). */
  rejoins?: number;
  short?: number;
  agent?: number;
  exited?: number | null;
  signal?: string;
  /** Medium time (us) of its latest boot. */
  bootUs: number;
  /** `PARTS started` lines (one per boot of the firmware) and `FATAL` lines printed. */
  starts: number;
  fatals: number;
  /** --soak: its XS heap in use (SYS MEM) every SOAK_SAMPLE_S. */
  heap: HeapSample[];
}

export interface SimSummary {
  meters: number;
  lin: number;
  boards: number;
  /** Meters on Renode STM32F405 boards. */
  renode: number;
  /** Where the concentrator ran: a lin process, an emulated mps2-an386 board (QEMU) or the STM32F429 on Renode. */
  concentratorKind: NodeKind;
  seed: number;
  clock: 'simulated' | 'real';
  clockNote?: string;
  /** The clock each node ran on, by name (concentrator, meter-1 ...). */
  nodeClockOf: Record<string, NodeClock>;
  until: 'joined' | number;
  stoppedAtS: number;
  joined: number;
  allJoined: boolean;
  joinTimeS: { total: number | null; perMeter: Record<string, number | null> };
  hops: { perMeter: Record<string, number | null>; max: number; histogram: Record<string, number> };
  frames: {
    sent: number;
    acks: number;
    retries: number;
    delivered: number;
    filtered: number;
    lost: number;
    lostByReason: MediumStats['lost'];
    acksLostByReason: MediumStats['acksLost'];
  };
  drops: {
    noAck: number;
    channelAccessFailure: number;
    queueFull: number;
    portDroppedFrames: number;
    portDroppedBytes: number;
    portIgnored: number;
  };
  /** The concentrator's XS stack at the end (SYS MEM): high-water mark and size, in slots. */
  concentratorXsStack?: { peak: number; slots: number };
  /** PLC STATS counters at the end ("<line>.<key>"): the concentrator's, and the meters' summed. */
  plcStats: { concentrator: Record<string, number> | null; meters: Record<string, number>; metersReporting: number };
  /**
   * The nodes' clocks at the end (SYS CLOCK): how many ran in each mode, and what would make a
   * simulated run depend on the host's scheduling: a clock that ran in real time before READY
   * (`waitExpired`), writes a sleeping node could not hold (`holdOverflow`), requests the medium
   * received from a sleeping node (`asleepRequests`). All 0 on the simulated clock.
   */
  nodeClocks: { modes: Record<string, number>; waitExpired: number; holdOverflow: number; asleepRequests: number; reporting: number };
  /** What the scenario did (--scenario, --storm-at): steps run, commands, power cuts and boots, kicks; `skipped`: a step's meter was off or not joined. */
  scenario?: {
    events: number;
    steps: number;
    commands: number;
    powerOffs: number;
    powerOns: number;
    kicks: number;
    skipped: number;
    rejoins: number;
  };
  /** The head-end's totals at the end (--headend): npm run headend -- summary --db FILE --json. */
  headend?: HeadendSummary & { file: string; uplink: string | null };
  /**
   * The concentrator's energy balance at the end (a scenario with an unmetered load): DC BALANCE 96
   * in JSON, its interval lines and its summary line; `undeclared`: meters whose phase it was not told.
   */
  balance?: { rows: Record<string, unknown>[]; end: Record<string, unknown> | null; undeclared: number };
  /**
   * --soak: every node's heap trend (least-squares slope per simulated day, after warm-up), its
   * resets beyond the scenario's power cuts, the head-end's records, and the verdict.
   */
  soak?: SoakVerdict;
  /** Simulated clock: node wake-ups (TIME messages) and instants time stopped at. */
  wakeUps: number;
  instants: number;
  pan?: string;
}

export interface SoakVerdict {
  thresholds: { slotsPerDay: number; chunksPerDay: number; noiseSlots: number; noiseChunks: number };
  heap: Record<string, ReturnType<typeof heapTrend>>;
  maxSlotsPerDay: number | null;
  maxChunksPerDay: number | null;
  /** Boots and FATAL lines the scenario's power cuts do not explain (a watchdog reset, a crash). */
  resets: Record<string, number>;
  records: { meters: number; missing: number; duplicates: number; behind: string[] } | null;
  failures: string[];
  passed: boolean;
}

export async function runSim(o: SimOptions, log: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<SimSummary> {
  const concentratorKind = o.concentrator ?? 'lin';
  const renodeMeters = o.renode ?? 0;
  if (renodeMeters > 0) throw new Error(RENODE_METER_NO_PLC);
  const sim = o.board === 0 && renodeMeters === 0 && concentratorKind === 'lin' && !o.realTime;
  const topology: Topology = o.topology ? (JSON.parse(readFileSync(o.topology, 'utf8')) as Topology) : generateTopology(o.meters, o.seed);
  const scenario = loadScenario(o);
  const bursts = noiseBursts(scenario, o.meters, (i) => formatEui64(meterEui(i)));
  if (bursts.length) topology.noiseBursts = [...(topology.noiseBursts ?? []), ...bursts];
  const dir = mkdtempSync(join(tmpdir(), 'meterfw-sim-'));
  const sock = join(dir, 'medium.sock');
  const medium = new Medium({
    topology,
    seed: o.seed,
    simClock: sim,
    expectNodes: o.meters + 1,
    ...(o.pcap ? { pcap: resolve(o.pcap) } : {}),
  });
  await medium.listen(sock);
  const nodes: SimNode[] = [];
  // the head-end: a receiver in this process on the concentrator's backhaul port, on the
  // simulated clock (its stored times and alarm latencies are in the nodes' time)
  // the soak judges lost records in the head-end's database: one in the run's folder if none given
  const headendFile = o.headend ?? (o.soak ? join(dir, 'soak-headend.db') : undefined);
  const backhaulPort = headendFile ? await freePort() : undefined;
  let headend: { db: Db; server: { stop(): Promise<void> } } | undefined;
  const wallStart = Date.now();
  try {
    const meterEuis = Array.from({ length: o.meters }, (_, i) => meterEui(i + 1));
    const devices = meterEuis.map((eui) => ({ eui, psk: key(o.seed, 'psk', eui) }));
    // A meter on one phase (L1, L2 or L3 in the topology) runs the single-phase meter's firmware,
    // as the houses of a low-voltage feeder have; a '3P' (or unphased) meter the three-phase one.
    const phaseOf = new Map((topology.nodes ?? []).map((t) => [parseEui64(t.eui64), t.phase]));
    const firmwareRole = (eui: bigint, role: 'meter' | 'concentrator'): Role => {
      if (role === 'concentrator') return role;
      const ph = phaseOf.get(eui);
      return ph === 'L1' || ph === 'L2' || ph === 'L3' ? 'meter-1p' : 'meter';
    };
    // Starts (or, after a power cut, starts again) a node's process: the same provisioning record
    // and NVRAM file each time, its output in <name>.out, <name>.2.out ... (one file per boot).
    const launch = async (n: SimNode): Promise<void> => {
      const { eui, role, kind, name } = n;
      const rec =
        role === 'concentrator'
          ? provisionRecord(eui, key(o.seed, 'psk', eui), key(o.seed, 'seed', eui), devices, true)
          : provisionRecord(eui, key(o.seed, 'psk', eui), key(o.seed, 'seed', eui));
      const recPath = join(dir, `${name}.prov`);
      writeFileSync(recPath, rec);
      const nvram = join(dir, `${name}.nvram`);
      // the concentrator's meter registry lives on its SPI NOR (flash area dc-registry): without
      // the store file it falls back to the NVRAM record and its 7 meters (docs/concentrator.md)
      const spinor = role === 'concentrator' ? join(dir, `${name}.nor`) : undefined;
      n.boots++;
      n.bootUs = Math.max(0, medium.time);
      const outPath = join(dir, n.boots === 1 ? `${name}.out` : `${name}.${n.boots}.out`);
      const w = openSync(outPath, 'w');
      let child: ChildProcess;
      let input: Writable | undefined;
      let kill: ((signal: NodeJS.Signals) => void) | undefined;
      if (kind === 'renode') {
        // the STM32F405 meter, the STM32F429 concentrator; no NVRAM file (Renode serves no
        // semihosting) and its SPI NOR lives in the Renode process: a power cut is a new chip
        const platform = role === 'concentrator' ? 'stm32f429' : 'stm32f405';
        const elf = reflashProvision(reflash(firmwarePath(platform, firmwareRole(eui, role)), {}), rec, join(dir, `${name}.elf`));
        const board = await startRenodeBoard({
          platform,
          elf,
          name,
          medium: sock,
          outPath,
          logPath: outPath.replace(/\.out$/, '.renode.log'),
          ...(role === 'concentrator' && backhaulPort ? { backhaulPort } : {}),
          onError: (e) => log(`sim: ${name}: ${e.message.split('\n')[0]}`),
        });
        child = board.child;
        input = board.input;
        kill = () => board.kill();
      } else if (kind === 'lin') {
        // the emulated node's entropy from the run's seed too: the same seed, the same run
        const entropy = BigInt.asUintN(64, (BigInt(o.seed) * 0x9e3779b97f4a7c15n) ^ eui ^ BigInt(n.boots - 1)).toString();
        // --sim-clock: wait for the medium's READY however long booting 257 processes on a
        // loaded host takes (without it a node not answered within 5 s of wall time runs its
        // clock in real time and starts ahead of the network)
        child = spawn(
          firmwarePath('lin', firmwareRole(eui, role)),
          [
            '--modem',
            sock,
            '--provision',
            recPath,
            '--nvram',
            nvram,
            ...(spinor ? ['--spinor', spinor] : []),
            '--seed',
            entropy,
            ...(sim ? ['--sim-clock'] : []),
            ...(role === 'concentrator' && backhaulPort ? ['--backhaul-port', String(backhaulPort)] : []),
          ],
          { stdio: ['pipe', w, 'inherit'], detached: !!o.detached },
        );
      } else {
        const elf = reflashProvision(reflash(firmwarePath('mps2-an386', firmwareRole(eui, role)), {}), rec, join(dir, `${name}.elf`));
        child = spawn(
          'qemu-system-arm',
          [
            '-M',
            MACHINES['mps2-an386'],
            '-display',
            'none',
            '-monitor',
            'none',
            '-semihosting-config',
            `enable=on,arg=firmware,arg=nvram=${nvram.replace(/,/g, ',,')}${spinor ? `,arg=spinor=${spinor.replace(/,/g, ',,')}` : ''}`,
            '-chardev',
            'stdio,id=uart0,signal=off',
            '-serial',
            'chardev:uart0',
            '-serial',
            'null',
            '-chardev',
            `socket,id=modem,path=${sock}`,
            '-serial',
            'chardev:modem',
            // the concentrator's backhaul (UART3) on a TCP server, as lin's --backhaul-port
            ...(role === 'concentrator' && backhaulPort ? ['-serial', `tcp:127.0.0.1:${backhaulPort},server=on,wait=off`] : []),
            '-kernel',
            elf,
          ],
          { stdio: ['pipe', w, 'inherit'], detached: !!o.detached },
        );
      }
      closeSync(w);
      if (n.boots > 1) closeSync(n.out);
      Object.assign(n, {
        child,
        input: input ?? child.stdin!,
        kill: kill ?? ((signal: NodeJS.Signals) => child.kill(signal)),
        out: openSync(outPath, 'r'),
        outPath,
        read: 0,
        partial: '',
        exited: undefined,
        signal: undefined,
      });
      child.stdin!.on('error', () => undefined);
      child.on('exit', (code, signal) => {
        if (n.child !== child) return;
        n.exited = code ?? (signal ? 128 : null);
        if (signal) n.signal = signal;
      });
    };
    const spawnNode = async (eui: bigint, role: 'meter' | 'concentrator', kind: NodeKind, name: string): Promise<void> => {
      const n = { eui, name, kind, role, boots: 0, off: false, read: 0, partial: '', starts: 0, fatals: 0, heap: [] } as unknown as SimNode;
      await launch(n);
      nodes.push(n);
    };
    await spawnNode(CONCENTRATOR_EUI, 'concentrator', concentratorKind, 'concentrator');
    if (o.console) {
      const c = nodes[0]!;
      // on the simulated clock a lin node reads the line when it next wakes (within a second)
      o.console.send = (line) => {
        if (c.exited === undefined && !c.off) c.input.write(`${line}\r\n`);
      };
    }
    if (headendFile) {
      const db = await openSqlite(resolve(headendFile));
      const opts = parseHeadend(['serve', '--db', resolve(headendFile), '--connect', `127.0.0.1:${backhaulPort}`]);
      const now = sim ? () => SIM_EPOCH_S + medium.time / 1e6 : undefined;
      const server = serveHeadend(db, { ...opts, ...(now ? { now } : {}) }, (line) => {
        if (/failed|refused|malformed/.test(line)) log(`sim: headend: ${line}`);
      });
      headend = { db, server };
    }
    for (const [i, eui] of meterEuis.entries()) {
      await spawnNode(eui, 'meter', i < o.board ? 'board' : i < o.board + renodeMeters ? 'renode' : 'lin', `meter-${i + 1}`);
    }
    const meters = nodes.filter((n) => n.role === 'meter');
    const byShort = new Map<number, SimNode>();
    // route hops along the bootstrap path: agent 0x0000 is the concentrator (1 hop)
    const hopsOf = (n: SimNode, depth = 0): number | null => {
      if (n.agent === undefined || depth > o.meters) return null;
      if (n.agent === 0) return 1;
      const a = byShort.get(n.agent);
      const h = a ? hopsOf(a, depth + 1) : null;
      return h === null ? null : h + 1;
    };

    // The scenario as steps at exact instants: the medium stops at each (mark) and the barrier
    // runs what is due while time stands still.
    const acted = { events: scenario.events.length, steps: 0, commands: 0, powerOffs: 0, powerOns: 0, kicks: 0, skipped: 0 };
    interface Step {
      atUs: number;
      run: () => Promise<void>;
    }
    const steps: Step[] = [];
    const meterNodes = (sel: readonly number[]): SimNode[] => sel.map((i) => meters[i - 1]!);
    const helloOf = (euis: Set<bigint>): Promise<void> =>
      new Promise((res) => {
        const on = (port: { eui64?: bigint }): void => {
          if (port.eui64 !== undefined) euis.delete(port.eui64);
          if (euis.size === 0) {
            medium.off('hello', on);
            res();
          }
        };
        if (euis.size === 0) res();
        else medium.on('hello', on);
      });
    const powerOff = async (ns: SimNode[]): Promise<void> => {
      const gone = ns.filter((n) => !n.off && n.exited === undefined);
      await Promise.all(
        gone.map(
          (n) =>
            new Promise<void>((res) => {
              n.off = true;
              n.child.once('exit', () => res());
              n.kill('SIGKILL');
            }),
        ),
      );
      // the medium sees each socket close before time moves on
      await new Promise((r) => setImmediate(r));
      acted.powerOffs += gone.length;
      acted.skipped += ns.length - gone.length;
    };
    const powerOn = async (ns: SimNode[]): Promise<void> => {
      const back = ns.filter((n) => n.off);
      const hello = helloOf(new Set(back.map((n) => n.eui)));
      for (const n of back) {
        n.off = false;
        await launch(n);
      }
      await hello;
      acted.powerOns += back.length;
      acted.skipped += ns.length - back.length;
    };
    const command = async (ns: SimNode[], cmd: string, end: RegExp): Promise<void> => {
      const live = ns.filter((n) => !n.off && n.exited === undefined);
      await Promise.all(live.map((n) => shellQuery(n, cmd, end)));
      acted.commands += live.length;
      acted.skipped += ns.length - live.length;
    };
    const at = (s: number, run: () => Promise<void>): void => {
      steps.push({ atUs: Math.round(s * 1e6), run });
    };
    // The transformer (emulator/transformer.ts), where the scenario has an unmetered load: the
    // concentrator's METRO carries the meters' loads and the unmetered ones, per grid phase, and
    // the concentrator is told each meter's phase (DC PHASE, installation data) once it is registered.
    const transformer = scenario.events.some((e) => e.do === 'unmetered')
      ? new TransformerModel((i) => phaseOf.get(meterEui(i)) ?? '3P')
      : undefined;
    const numberOf = (n: SimNode): number => meters.indexOf(n) + 1;
    const feedTransformer = async (): Promise<void> => {
      for (const cmd of transformer?.commands() ?? []) {
        const out = await shellQuery(nodes[0]!, cmd, /^(METRO LOAD|ERROR)/m);
        if (!out || /^ERROR/m.test(out)) throw new Error(`concentrator: ${cmd}: ${out?.trim() ?? 'no answer'}`);
        acted.commands++;
      }
    };
    const cut = (ns: SimNode[]): void => {
      for (const n of ns) transformer?.off(numberOf(n));
    };
    const pending = new Set(transformer ? meters : []);
    const pendingPhases = (): number => pending.size;
    if (transformer) {
      const declare = async (): Promise<void> => {
        for (const n of [...pending]) {
          if (n.short === undefined || n.off || n.exited !== undefined) continue;
          const ph = phaseOf.get(n.eui) ?? '3P';
          const out = await shellQuery(nodes[0]!, `DC PHASE 0x${n.short.toString(16)} ${ph}`, /^(DC PHASE|ERROR)/m);
          if (out && /^DC PHASE /m.test(out)) pending.delete(n);
        }
      };
      // every simulated minute until each meter is declared (the registry takes a meter at discovery)
      const untilS = Math.min(o.until === 'joined' ? 3600 : o.until, o.limitS ?? Infinity, SCENARIO_MAX_S);
      for (let s = 60; s <= untilS; s += 60) at(s, () => (pending.size ? declare() : Promise.resolve()));
    }
    for (const e of scenario.events) {
      if (e.do === 'unmetered') {
        at(e.at, () => {
          transformer!.unmetered(e.phase, e.vrms, e.irms, e.angleDeg);
          return feedTransformer();
        });
        continue;
      }
      if (e.do === 'shell') {
        const targets = e.node === 'concentrator' ? [nodes[0]!] : meterNodes(selected(e.node, o.meters));
        at(e.at, () => command(targets, e.command, /\n/));
        continue;
      }
      const ns = meterNodes(selected(e.meters, o.meters));
      const cmd = meterCommand(e);
      switch (e.do) {
        case 'outage':
          at(e.at, () => command(ns, cmd!, /^(METRO EVENT|ERROR)/m));
          at(e.at + e.holdUpS, async () => {
            cut(ns);
            await powerOff(ns);
            await feedTransformer();
          });
          at(e.at + e.durationS, () => powerOn(ns));
          break;
        case 'off':
          at(e.at, async () => {
            cut(ns);
            await powerOff(ns);
            await feedTransformer();
          });
          break;
        case 'on':
          at(e.at, () => powerOn(ns));
          break;
        case 'kick':
          at(e.at, async () => {
            for (const n of ns) {
              if (n.short === undefined || n.off) {
                acted.skipped++;
                continue;
              }
              await shellQuery(nodes[0]!, `PLC KICK 0x${n.short.toString(16)}`, /^(KICKED|ERROR)/m);
              acted.kicks++;
            }
          });
          break;
        case 'noise':
          break; // a burst of the channel model, set before the start
        case 'load':
          at(e.at, async () => {
            if (transformer)
              for (const n of ns) if (!n.off && n.exited === undefined) transformer.load(numberOf(n), e.phase, e.vrms, e.irms, e.angleDeg);
            await command(ns, cmd!, /^(METRO LOAD|ERROR)/m);
            await feedTransformer();
          });
          break;
        default:
          at(e.at, () => command(ns, cmd!, /^(METRO (LOAD|EVENT)|ERROR)/m));
      }
    }
    // --soak: every live node's XS heap in use, after the GC that SYS MEM forces, every hour
    const sampleHeap = async (tS: number): Promise<void> => {
      const live = nodes.filter((n) => !n.off && n.exited === undefined);
      await Promise.all(
        live.map(async (n) => {
          const text = await shellQuery(n, 'SYS MEM', /xs\.slots=\d+ /);
          const c = text && /xs\.chunks=(\d+)/.exec(text);
          const sl = text && /xs\.slots=(\d+)/.exec(text);
          if (c && sl) n.heap.push({ tS, boot: n.boots, upS: tS - n.bootUs / 1e6, chunks: Number(c[1]), slots: Number(sl[1]) });
        }),
      );
    };
    if (o.soak && o.until !== 'joined') {
      const { sampleS, offsetS } = soakTiming(o.until / 3600);
      for (let t = offsetS; t < o.until; t += sampleS) {
        const tS = t;
        at(tS, () => sampleHeap(tS));
      }
    }
    steps.sort((a, b) => a.atUs - b.atUs);
    for (const st of steps) if (sim) medium.mark(st.atUs);
    const runDue = async (now: number): Promise<void> => {
      while (steps.length && steps[0]!.atUs <= now) {
        await steps.shift()!.run();
        acted.steps++;
      }
    };
    let pan: string | undefined;
    let joined = 0;

    // Reads what a node printed; `nowUs` is the medium time those lines belong to.
    const scan = (n: SimNode, nowUs: number): void => {
      const size = fstatSync(n.out).size;
      if (size <= n.read) return;
      const buf = Buffer.alloc(size - n.read);
      readSync(n.out, buf, 0, buf.length, n.read);
      n.read = size;
      const text = n.partial + buf.toString('latin1');
      const lines = text.split('\n');
      n.partial = lines.pop()!;
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        if (n.role === 'concentrator') o.console?.onLine?.(line);
        let m = /^PLC JOINED pan=0x([0-9a-f]{4}) short=0x([0-9a-f]{4}) agent=0x([0-9a-f]{4})/i.exec(line);
        if (m && n.role === 'meter' && n.joinedUs === undefined) {
          n.joinedUs = nowUs;
          n.short = parseInt(m[2]!, 16);
          n.agent = parseInt(m[3]!, 16);
          byShort.set(n.short, n);
          joined++;
        } else if (m && n.role === 'meter') {
          // joined again (after a power cut or a kick): maybe another address and agent
          n.rejoins = (n.rejoins ?? 0) + 1;
          if (byShort.get(n.short!) === n) byShort.delete(n.short!);
          n.short = parseInt(m[2]!, 16);
          n.agent = parseInt(m[3]!, 16);
          byShort.set(n.short, n);
        }
        m = /^PLC PAN pan=0x([0-9a-f]{4})/i.exec(line);
        if (m && n.role === 'concentrator') {
          pan = m[1];
          // A board's clock starts at the epoch (no battery-backed RTC): the date comes from the
          // Host Unit, played here as soon as the concentrator runs: its system clock (what the
          // scheduler reads) and its LEGAL clock. lin nodes take the host's or the medium's date.
          if (n.kind !== 'lin') {
            const s = Math.floor(Date.now() / 1000);
            n.input.write(`SYS TIME ${s}\r\nMETRO CLOCK ${s}\r\n`);
          }
        }
        if (/^FATAL /.test(line)) {
          n.fatals++;
          log(`sim: ${n.name}: ${line}`);
        }
        if (/^PARTS started/.test(line)) n.starts++;
      }
    };
    const limitUs = Math.min(o.until === 'joined' ? Infinity : Math.round(o.until * 1e6), o.limitS ? Math.round(o.limitS * 1e6) : Infinity);
    let lastProgress = 0;
    const progress = (nowUs: number, force = false): void => {
      const wall = Date.now();
      if (!force && wall - lastProgress < 1000) return;
      lastProgress = wall;
      log(`sim: t=${(nowUs / 1e6).toFixed(1)} s joined ${joined}/${o.meters} (wall ${((wall - wallStart) / 1000).toFixed(1)} s)`);
      o.onProgress?.({
        tS: nowUs / 1e6,
        wallS: (wall - wallStart) / 1000,
        joined,
        meters: meters.map((n) => ({
          name: n.name,
          eui: formatEui64(n.eui),
          kind: n.kind,
          state: n.off ? 'off' : n.exited !== undefined ? 'exited' : n.joinedUs !== undefined ? 'joined' : 'booting',
          joinedS: n.joinedUs === undefined ? null : n.joinedUs / 1e6,
          short: n.short ?? null,
          hops: hopsOf(n),
          boots: n.boots,
          rejoins: n.rejoins ?? 0,
        })),
        medium: medium.stats(),
        ...(pan ? { pan: `0x${pan}` } : {}),
      });
    };
    const done = (): boolean => o.until === 'joined' && joined === o.meters;

    let watchdog: NodeJS.Timeout | undefined;
    const stoppedAt = await new Promise<number>((resolveStop, rejectStop) => {
      const dead = (): SimNode | undefined => nodes.find((n) => n.exited !== undefined && !n.off);
      if (sim) {
        const byEui = new Map(nodes.map((n) => [n.eui, n]));
        medium.barrier = (now, next, woken) => {
          // only a node that was awake can have printed (a sleeping one waits for its TIME)
          for (const eui of woken) {
            const n = byEui.get(eui);
            if (n) scan(n, now);
          }
          progress(now);
          if (done() || o.signal?.aborted) {
            resolveStop(now);
            return false;
          }
          if (steps.length && steps[0]!.atUs <= now && now <= limitUs) {
            // time stands still while the scenario acts at this instant
            runDue(now).then(() => medium.resume(), rejectStop);
            return false;
          }
          if (next > limitUs) {
            resolveStop(limitUs);
            return false;
          }
          const d = dead();
          if (d) {
            rejectStop(new Error(`${d.name} exited (${d.signal ?? d.exited})`));
            return false;
          }
          return true;
        };
        medium.once('quiescent', (t: number) => rejectStop(new Error(`the network went quiet at ${t} us`)));
        // a node that dies while the others wait for it (before the start, or awake) stops the run;
        // a stop asked for while the network waits (no instant passes) stops it at its time
        let abortedAt = 0;
        watchdog = setInterval(() => {
          const d = dead();
          if (d) rejectStop(new Error(`${d.name} exited (${d.exited})`));
          if (o.signal?.aborted) {
            abortedAt ||= Date.now();
            if (Date.now() - abortedAt > 2000) resolveStop(Math.max(medium.time, 0));
          }
        }, 500);
      } else {
        let acting = false;
        const timer = setInterval(() => {
          const now = medium.time;
          for (const n of nodes) scan(n, Math.max(now, 0));
          progress(now);
          if (!acting && steps.length && steps[0]!.atUs <= now) {
            acting = true;
            runDue(now).then(() => {
              acting = false;
            }, rejectStop);
          }
          const d = dead();
          if (done() || now >= limitUs || d || o.signal?.aborted) {
            clearInterval(timer);
            if (d && !done()) rejectStop(new Error(`${d.name} exited (${d.exited})`));
            else resolveStop(Math.min(now, limitUs));
          }
        }, 100);
      }
    }).finally(() => {
      if (watchdog) clearInterval(watchdog);
    });
    if (watchdog) clearInterval(watchdog);
    progress(stoppedAt, true);
    const concentrator = nodes[0]!;
    const stack = concentrator.exited === undefined ? await xsStack(concentrator) : undefined;
    let balance: SimSummary['balance'];
    if (transformer && concentrator.exited === undefined) {
      await shellQuery(concentrator, 'DC JSON ON', /"cmd":"JSON"/);
      const text = await shellQuery(concentrator, 'DC BALANCE 96', /("cmd":"BALANCE"|^ERROR).*\r?\n/m);
      await shellQuery(concentrator, 'DC JSON OFF', /^DC JSON/m);
      const objs = (text ?? '')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      balance = { rows: objs.filter((x) => x.dc === 'energy'), end: objs.find((x) => x.dc === 'end') ?? null, undeclared: pendingPhases() };
    }
    // the head-end: what the concentrator still holds is sent (its batch closed now, acks awaited
    // while time stands still), then the database's totals
    let headendTotals: SimSummary['headend'];
    if (headend && headendFile) {
      let uplink: string | null = null;
      if (concentrator.exited === undefined) {
        await shellQuery(concentrator, 'HE FLUSH', /^HE STATS/m);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const text = await shellQuery(concentrator, 'HE STATS', /^HE STATS .*\r?\n/m);
          uplink = /^HE STATS (.*)$/m.exec(text ?? '')?.[1]?.trim() ?? null;
          if (!uplink || / queued=0 pending=0 /.test(` ${uplink} `) || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      headendTotals = { file: resolve(headendFile), uplink, ...(await headendSummary(headend.db, { periodS: 900 })) };
    }
    const soak = o.soak && headend ? await soakVerdict(nodes, headend.db, headendTotals, o.meters, stoppedAt / 1e6) : undefined;
    // every node's PLC STATS: the concentrator's, and the meters' summed (what the traffic was);
    // and its clock's mode and counters
    const stats = await Promise.all(nodes.map((n) => (n.exited === undefined ? plcStats(n) : undefined)));
    const clocks = await Promise.all(nodes.map((n) => (n.exited === undefined ? clockStats(n) : undefined)));
    const nodeClocks: SimSummary['nodeClocks'] = { modes: {}, waitExpired: 0, holdOverflow: 0, asleepRequests: 0, reporting: 0 };
    for (const c of clocks) {
      if (!c) continue;
      nodeClocks.reporting++;
      nodeClocks.modes[c.mode] = (nodeClocks.modes[c.mode] ?? 0) + 1;
      nodeClocks.waitExpired += c.counters.waitExpired ?? 0;
      nodeClocks.holdOverflow += c.counters.holdOverflow ?? 0;
    }
    const meterTotals: Record<string, number> = {};
    let reporting = 0;
    for (const s of stats.slice(1)) {
      if (!s) continue;
      reporting++;
      for (const [k, v] of Object.entries(s)) meterTotals[k] = (meterTotals[k] ?? 0) + v;
    }

    const st = medium.stats();
    nodeClocks.asleepRequests = st.asleepRequests;
    if (sim && (nodeClocks.waitExpired || nodeClocks.holdOverflow || nodeClocks.asleepRequests || nodeClocks.modes.sim !== nodes.length)) {
      log(`sim: warning: this run depended on the host's scheduling (nodeClocks ${JSON.stringify(nodeClocks)})`);
    }
    const perJoin: Record<string, number | null> = {};
    const perHops: Record<string, number | null> = {};
    const histogram: Record<string, number> = {};
    let maxHops = 0;
    for (const n of meters) {
      const label = formatEui64(n.eui);
      perJoin[label] = n.joinedUs === undefined ? null : n.joinedUs / 1e6;
      const h = hopsOf(n);
      perHops[label] = h;
      if (h !== null) {
        histogram[String(h)] = (histogram[String(h)] ?? 0) + 1;
        maxHops = Math.max(maxHops, h);
      }
    }
    const lostTotal = Object.values(st.lost).reduce((a, b) => a + b, 0);
    const summary: SimSummary = {
      meters: o.meters,
      lin: o.meters - o.board - renodeMeters,
      boards: o.board,
      renode: renodeMeters,
      concentratorKind,
      seed: o.seed,
      clock: sim ? 'simulated' : 'real',
      ...(sim
        ? {}
        : {
            clockNote:
              o.board || renodeMeters || concentratorKind !== 'lin'
                ? 'emulated boards run in real time, so the whole network ran in real time (not reproducible)'
                : 'real time was asked for (npm start --speed real): not reproducible',
          }),
      nodeClockOf: Object.fromEntries(
        nodes.map((n): [string, NodeClock] => [
          n.name,
          n.kind === 'renode' ? 'renode-virtual' : sim && n.kind === 'lin' ? 'simulated' : 'host',
        ]),
      ),
      until: o.until,
      stoppedAtS: stoppedAt / 1e6,
      joined,
      allJoined: joined === o.meters,
      joinTimeS: {
        total: joined === o.meters ? Math.max(...meters.map((n) => n.joinedUs!)) / 1e6 : null,
        perMeter: perJoin,
      },
      hops: { perMeter: perHops, max: maxHops, histogram },
      frames: {
        sent: st.framesSent,
        acks: st.acksSent,
        retries: st.retries,
        delivered: st.delivered,
        filtered: st.filtered,
        lost: lostTotal,
        lostByReason: st.lost,
        acksLostByReason: st.acksLost,
      },
      drops: {
        noAck: st.noAck,
        channelAccessFailure: st.channelAccessFailure,
        queueFull: st.queueFull,
        portDroppedFrames: st.port.droppedFrames,
        portDroppedBytes: st.port.droppedBytes,
        portIgnored: st.port.ignored,
      },
      ...(stack ? { concentratorXsStack: stack } : {}),
      plcStats: { concentrator: stats[0] ?? null, meters: meterTotals, metersReporting: reporting },
      nodeClocks,
      ...(scenario.events.length ? { scenario: { ...acted, rejoins: meters.reduce((a, n) => a + (n.rejoins ?? 0), 0) } } : {}),
      ...(headendTotals ? { headend: headendTotals } : {}),
      ...(balance ? { balance } : {}),
      ...(soak ? { soak } : {}),
      wakeUps: st.wakeUps,
      instants: st.steps,
      ...(pan ? { pan: `0x${pan}` } : {}),
    };
    return summary;
  } finally {
    for (const n of nodes) {
      if (n.exited === undefined) n.kill('SIGTERM');
    }
    await Promise.all(nodes.map((n) => (n.exited !== undefined ? undefined : new Promise((r) => n.child.once('exit', r)))));
    for (const n of nodes) closeSync(n.out);
    if (headend) {
      await headend.server.stop();
      await headend.db.close();
    }
    await medium.close();
    if (process.env.SIM_KEEP) log(`sim: node output kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The soak's verdict (docs/soak.md): heap trends, resets, records. */
async function soakVerdict(nodes: SimNode[], db: Db, he: SimSummary['headend'], meters: number, stopS: number): Promise<SoakVerdict> {
  const failures: string[] = [];
  const heap: SoakVerdict['heap'] = {};
  const resets: Record<string, number> = {};
  let maxSlots: number | null = null;
  let maxChunks: number | null = null;
  for (const n of nodes) {
    const t = heapTrend(n.heap, soakTiming(stopS / 3600).warmupS);
    heap[n.name] = t;
    if (t.slotsPerDay !== null) maxSlots = Math.max(maxSlots ?? -Infinity, t.slotsPerDay);
    if (t.chunksPerDay !== null) maxChunks = Math.max(maxChunks ?? -Infinity, t.chunksPerDay);
    failures.push(...trendFailures(n.name, t));
    // every boot prints PARTS started once; the last boot's may be the one still running
    const extra = Math.max(0, n.starts - n.boots) + n.fatals + (n.exited !== undefined && !n.off ? 1 : 0);
    if (extra) {
      resets[n.name] = extra;
      failures.push(`${n.name}: ${extra} reset(s) or crash(es) the scenario did not make`);
    }
  }
  let records: SoakVerdict['records'] = null;
  if (he) {
    // every aligned interval of every meter stored once, none missing, each meter read up to
    // the last two intervals before the stop
    const last = await db.all('SELECT meter, MAX(capture_s) AS t FROM intervals WHERE capture_s % 900 = 0 GROUP BY meter');
    const behind = last.filter((r) => Number(r.t) < SIM_EPOCH_S + stopS - 1800).map((r) => String(r.meter));
    records = { meters: he.meters, missing: he.missing, duplicates: he.duplicates, behind };
    if (he.meters !== meters) failures.push(`head-end: ${he.meters} of ${meters} meters`);
    if (he.missing || he.duplicates) failures.push(`head-end: ${he.missing} missing, ${he.duplicates} duplicate intervals`);
    if (behind.length) failures.push(`head-end: ${behind.length} meters not read up to the end (${behind.slice(0, 4).join(' ')})`);
  } else failures.push('head-end: no totals');
  return {
    thresholds: {
      slotsPerDay: SOAK_MAX_SLOTS_PER_DAY,
      chunksPerDay: SOAK_MAX_CHUNKS_PER_DAY,
      noiseSlots: SOAK_NOISE_SLOTS,
      noiseChunks: SOAK_NOISE_CHUNKS,
    },
    heap,
    maxSlotsPerDay: maxSlots,
    maxChunksPerDay: maxChunks,
    resets,
    records,
    failures,
    passed: failures.length === 0,
  };
}

/**
 * Sends a shell command to a node (a sleeping node still reads its console); its output up to a
 * line matching `end`, or undefined if the node exits first. Hundreds of nodes asked at once on a
 * loaded host can take seconds to answer: the wall-time bound is only for a node that hangs.
 */
async function shellQuery(n: SimNode, command: string, end: RegExp, timeoutMs = 120_000): Promise<string | undefined> {
  const from = fstatSync(n.out).size;
  n.input.write(`${command}\r\n`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && n.exited === undefined) {
    const size = fstatSync(n.out).size;
    if (size > from) {
      const buf = Buffer.alloc(size - from);
      readSync(n.out, buf, 0, buf.length, from);
      const text = buf.toString('latin1');
      if (end.test(text)) return text;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** The XS stack high-water mark and size (SYS MEM). */
async function xsStack(n: SimNode): Promise<{ peak: number; slots: number } | undefined> {
  const text = await shellQuery(n, 'SYS MEM', /xs\.stack\.slots=\d+ xs\.stack\.peak=\d+/);
  const m = text && /xs\.stack\.slots=(\d+) xs\.stack\.peak=(\d+)/.exec(text);
  return m ? { peak: Number(m[2]), slots: Number(m[1]) } : undefined;
}

/** The node's clock (SYS CLOCK): its mode and counters. */
async function clockStats(n: SimNode): Promise<{ mode: string; counters: Record<string, number> } | undefined> {
  const text = await shellQuery(n, 'SYS CLOCK', /^clock mode=\w+.* uptime\.ms=\d+/m);
  const m = text && /^clock mode=(\w+)(.*)$/m.exec(text);
  if (!m) return undefined;
  const counters: Record<string, number> = {};
  for (const [, k, v] of m[2]!.matchAll(/(\w+)=(\d+)/g)) counters[k!] = Number(v);
  return { mode: m[1]!, counters };
}

/**
 * Counters of a node's PLC STATS, as "<line prefix>.<key>": number (e.g. "loadng.sent.rreq"). The
 * MAC frame counter and its bound are positions, not counts (a random start on a node without an
 * NVRAM file, as the sim's are): left out.
 */
async function plcStats(n: SimNode): Promise<Record<string, number> | undefined> {
  const text = await shellQuery(n, 'PLC STATS', /^stack errors=\d+/m);
  if (!text) return undefined;
  const out: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const words = line.trim().split(/\s+/);
    const prefix = words[0] && !words[0].includes('=') ? `${words.shift()}.` : '';
    for (const w of words) {
      const m = /^([A-Za-z][\w.]*)=(\d+)$/.exec(w);
      if (m && m[1] !== 'fc' && m[1] !== 'fc.bound') out[prefix + m[1]] = Number(m[2]);
    }
  }
  return out;
}

/**
 * CPU seconds used so far by this process (the medium, the head-end) and by its children that
 * have exited and been reaped (the nodes: runSim waits for every one), from /proc/self/stat.
 */
export function cpuSeconds(): { self: number; children: number } {
  const u = process.cpuUsage();
  let children = 0;
  try {
    // fields after the command's closing parenthesis; cutime and cstime are the 14th and 15th
    const f = readFileSync('/proc/self/stat', 'latin1').split(')').pop()!.trim().split(/\s+/);
    children = (Number(f[13]) + Number(f[14])) / 100; // clock ticks (USER_HZ 100)
  } catch {
    children = Number.NaN; // not Linux
  }
  return { self: (u.user + u.system) / 1e6, children };
}

/** What a run cost: CPU seconds of the medium and of the nodes, and CPU milliseconds per node per simulated second. */
export function cpuFigures(
  a: { self: number; children: number },
  b: { self: number; children: number },
  nodes: number,
  simS: number,
): { mediumS: number; nodesS: number; msPerNodeSecond: number | null } {
  const mediumS = Math.round((b.self - a.self) * 10) / 10;
  const nodesS = Math.round((b.children - a.children) * 10) / 10;
  return {
    mediumS,
    nodesS,
    msPerNodeSecond: simS > 0 ? Math.round(((mediumS + nodesS) * 1e6) / (nodes * simS)) / 1000 : null,
  };
}

/** Writes the provisioning record into a board ELF's provisioning flash region. */
function reflashProvision(elf: string, record: Buffer, outPath: string): string {
  const image = Buffer.from(readFileSync(elf));
  // The .provision section's file offset, from the ELF section headers (32-bit little-endian).
  const shoff = image.readUInt32LE(0x20);
  const shentsize = image.readUInt16LE(0x2e);
  const shnum = image.readUInt16LE(0x30);
  const shstrndx = image.readUInt16LE(0x32);
  const strOff = image.readUInt32LE(shoff + shstrndx * shentsize + 0x10);
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    const nameOff = image.readUInt32LE(h);
    let end = strOff + nameOff;
    while (image[end] !== 0) end++;
    if (image.toString('latin1', strOff + nameOff, end) !== '.provision') continue;
    const off = image.readUInt32LE(h + 0x10);
    const size = image.readUInt32LE(h + 0x14);
    if (record.length > size) throw new Error(`provisioning record (${record.length} bytes) larger than the region (${size})`);
    record.copy(image, off);
    writeFileSync(outPath, image);
    return outPath;
  }
  throw new Error(`${elf}: no .provision section`);
}

async function main(): Promise<void> {
  let o: SimOptions;
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  try {
    o = parseSimArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sim: ${e.message} (npm run sim -- --help)\n`);
      process.exit(2);
    }
    throw e;
  }
  if (o.topology) {
    try {
      new Channel(JSON.parse(readFileSync(o.topology, 'utf8')) as Topology);
    } catch (e) {
      process.stderr.write(`sim: --topology ${o.topology}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    }
  }
  try {
    loadScenario(o);
  } catch (e) {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const wall = Date.now();
  const cpu0 = cpuSeconds();
  // kill -TERM <pid>: the run stops at the current simulated time and still prints its summary
  // (and a soak its verdict on what ran)
  const stop = new AbortController();
  process.once('SIGTERM', () => {
    process.stderr.write('sim: SIGTERM: stopping at the current simulated time\n');
    stop.abort();
  });
  const summary = await runSim({ ...o, signal: stop.signal });
  const cpu = cpuSeconds();
  const text = JSON.stringify(
    { ...summary, wallS: (Date.now() - wall) / 1000, cpu: cpuFigures(cpu0, cpu, o.meters + 1, summary.stoppedAtS) },
    null,
    2,
  );
  if (o.json) writeFileSync(o.json, text + '\n');
  process.stdout.write(text + '\n');
  if (summary.soak && !summary.soak.passed) for (const f of summary.soak.failures) process.stderr.write(`sim: soak: ${f}\n`);
  process.exit((summary.allJoined || o.until !== 'joined') && summary.soak?.passed !== false ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, 'emulator', 'sim.ts')) {
  main().catch((e: unknown) => {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
