// Helpers shared by the bench sections: statistics, a small job pool, table formatting,
// and the machine description written into the report.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function stats(values, digits = 2) {
  const round = (x) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    runs: values.length,
  };
}

// Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order.
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

// "key=value key=value" lines into an object of numbers.
export function parseFigures(lines) {
  const out = {};
  for (const line of lines) {
    for (const m of line.matchAll(/([\w.]+)=(-?\d+(?:\.\d+)?)/g)) out[m[1]] = Number(m[2]);
  }
  return out;
}

export function group(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// A section's columns are { header, value(row) -> string|number|null, align?: 'left'|'right',
// key?: true }. Key columns (the leading ones) identify a row and are still printed when the row
// carries an `error`; the rest of such a row is the error's first line.
export function formatTable(title, columns, rows) {
  const text = (v) => (v === null || v === undefined ? '-' : String(v));
  const table = rows.map((row) => ({
    cells: columns.map((c) => (row.error && !c.key ? '' : text(c.value(row)))),
    error: row.error ? `ERROR: ${String(row.error).split('\n')[0]}` : null,
  }));
  const width = columns.map((c, i) => Math.max(c.header.length, ...table.map((r) => r.cells[i].length)));
  const pad = (s, i) => (columns[i].align === 'left' ? s.padEnd(width[i]) : s.padStart(width[i]));
  const keys = columns.filter((c) => c.key).length;
  const lines = [title, columns.map((c, i) => pad(c.header, i)).join('  '), width.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of table) {
    if (r.error) lines.push([...r.cells.slice(0, keys).map(pad), r.error].join('  '));
    else lines.push(r.cells.map(pad).join('  ').trimEnd());
  }
  return lines.join('\n');
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return null;
  }
}

export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    qemu: firstLine('qemu-system-arm', ['--version']),
    gcc: {
      host: firstLine('gcc', ['--version']),
      arm: firstLine('arm-none-eabi-gcc', ['--version']),
    },
  };
}

// Boots a meter on `platform` under qemu -icount shift=0, runs one shell command that prints
// `bench <name> key=value ...` lines up to one matching `last`, and returns them as
// [{ name, figures }]. The node is stopped in every case.
export async function benchCommand(ctx, platform, command, last, timeoutMs = 600000) {
  const { FirmwareNode } = ctx.harness;
  const node = await FirmwareNode.start({ platform, role: 'meter', icount: true, waitReady: false });
  try {
    await node.waitFor(/^PARTS started$/, ctx.readyTimeout);
    const lines = await node.command(command, new RegExp(`${last.source}|^ERROR`), timeoutMs);
    const rows = lines
      .filter((l) => l.startsWith('bench '))
      .map((l) => ({ name: l.split(' ')[1], figures: parseFigures([l.replace(/^bench \S+ /, '')]) }));
    return { rows, lines };
  } finally {
    await node.stop();
  }
}
