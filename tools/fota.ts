// npm run fota -- <signed image> --meters <EUI-64|short,...|all> [--json] --connect HOST:PORT
// Talks to a running concentrator's shell over TCP as `npm run dc` does: sends the image over the
// Host Unit link in framed chunks (`DC FOTA LOAD <size>`, then `DC FOTA DATA <offset> <CRC-32 of
// the chunk> <8 words>` each answered before the next, `DC FOTA END <CRC-32 of the image>`), the
// concentrator keeps it in its flash area fota-image; then `DC FOTA START` with the meters and
// `DC FOTA STATUS` until the campaign ends: one row per meter (or its JSON lines with --json).
// Exit status 0 when every meter reports its activation, 1 otherwise. docs/firmware-update.md.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
// @ts-expect-error: plain JavaScript build tool without declarations
import { crc32 as crc32Js } from './image.mjs';
import { ShellLink, UsageError } from './dc.js';

const crc32 = crc32Js as (b: Uint8Array) => number;

export const USAGE = 'usage: npm run fota -- <image> --meters <EUI-64|short,...|all> [--json] --connect HOST:PORT';
/** Octets per DC FOTA DATA line (8 words: the shell's line holds 128 characters). */
export const CHUNK = 32;

type Line = Record<string, unknown> & { dc?: string };
/** A concentrator's shell: runs a DC command, returns its JSON lines up to its end line (throws its ERROR line). */
export interface DcRunner {
  run(line: string, timeoutMs?: number): Promise<Line[]>;
}

export function parseFotaArgs(argv: string[]): { image: string; meters: string[] | 'all'; json: boolean; host: string; port: number } {
  let image: string | undefined,
    meters: string | undefined,
    at: string | undefined,
    json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--meters' || a === '--connect') {
      const v = argv[++i];
      if (!v) throw new UsageError(`${a} needs a value`);
      if (a === '--meters') meters = v;
      else at = v;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else if (image) throw new UsageError(`one image, not '${a}' too`);
    else image = a;
  }
  if (!image) throw new UsageError('no image');
  if (!meters) throw new UsageError('--meters <list|all> is required');
  if (!at) throw new UsageError('--connect HOST:PORT is required');
  const m = /^(.+):(\d{1,5})$/.exec(at);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--connect expects HOST:PORT, got '${at}'`);
  const list = meters.toLowerCase() === 'all' ? 'all' : meters.split(',').filter(Boolean);
  if (list !== 'all' && list.some((x) => !/^(0x)?[0-9A-Fa-f]{16}$/.test(x) && !/^(0x[0-9A-Fa-f]{1,4}|\d{1,5})$/.test(x)))
    throw new UsageError(`--meters: EUI-64s or short addresses separated by commas, or all; got '${meters}'`);
  return { image, meters: list, json, host: m[1]!, port: Number(m[2]) };
}

/** The DC FOTA DATA line of the chunk at offset. */
export function dataLine(image: Uint8Array, offset: number): string {
  const chunk = image.subarray(offset, offset + CHUNK);
  const padded = new Uint8Array(Math.ceil(chunk.length / 4) * 4);
  padded.set(chunk);
  const v = new DataView(padded.buffer);
  const words: string[] = [];
  for (let i = 0; i < padded.length; i += 4) words.push(`0x${v.getUint32(i).toString(16)}`);
  return `DC FOTA DATA ${offset} 0x${crc32(chunk).toString(16)} ${words.join(' ')}`;
}

/** Sends the image in chunks; returns its CRC-32 as the concentrator checked it. */
export async function loadImage(dc: DcRunner, image: Uint8Array, progress?: (offset: number) => void): Promise<number> {
  await dc.run(`DC FOTA LOAD ${image.length}`);
  for (let at = 0; at < image.length; at += CHUNK) {
    await dc.run(dataLine(image, at));
    progress?.(at);
  }
  const crc = crc32(image);
  await dc.run(`DC FOTA END 0x${crc.toString(16)}`);
  return crc;
}

/** Starts the campaign on the meters (short addresses; EUI-64s mapped through DC METERS) and waits for its end. */
export async function runCampaign(dc: DcRunner, meters: string[] | 'all', wait: () => Promise<void>): Promise<{ rows: Line[]; end: Line }> {
  let shorts = ['ALL'];
  if (meters !== 'all') {
    const known = (await dc.run('DC METERS')).filter((l) => l.dc === 'meter');
    shorts = meters.map((w) => {
      if (!/^(0x)?[0-9A-Fa-f]{16}$/.test(w)) return w;
      const m = known.find((x) => x.eui === w.replace(/^0x/, '').toUpperCase());
      if (!m) throw new Error(`meter ${w} not in the registry`);
      return String(m.short);
    });
  }
  await dc.run(`DC FOTA START ${shorts.join(' ')}`);
  for (;;) {
    const lines = await dc.run('DC FOTA STATUS');
    const end = lines[lines.length - 1]!;
    if (end.running === false) return { rows: lines.filter((l) => l.dc === 'fota'), end };
    await wait();
  }
}

export async function runFota(argv: string[], print: (s: string) => void): Promise<number> {
  const o = parseFotaArgs(argv);
  const image = new Uint8Array(readFileSync(o.image));
  const s = connect(o.port, o.host);
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  try {
    const link = new ShellLink(s);
    await link.run('DC JSON ON');
    const crc = await loadImage(link, image);
    if (!o.json) print(`image ${o.image}: ${image.length} octets, CRC-32 0x${crc.toString(16)}, in the concentrator`);
    const { rows, end } = await runCampaign(link, o.meters, () => new Promise((r) => setTimeout(r, 5000)));
    if (o.json) for (const l of [...rows, end]) print(JSON.stringify(l));
    else {
      for (const r of rows)
        print(
          `${r.eui} ${r.short} ${r.state} blocks=${r.sent}/${r.blocks} attempts=${r.attempts} status=${r.status}${r.reason ? ` ${r.reason}` : ''}`,
        );
      print(`meters=${end.meters} done=${end.done} failed=${end.failed}`);
    }
    return end.failed === 0 && end.done === end.meters ? 0 : 1;
  } finally {
    s.destroy();
  }
}

if (process.argv[1] && /tools[/\\]fota\.ts$/.test(process.argv[1])) {
  runFota(process.argv.slice(2), (l) => process.stdout.write(`${l}\n`)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`fota: ${e instanceof UsageError ? `${e.message} (${USAGE})` : e instanceof Error ? e.message : String(e)}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
