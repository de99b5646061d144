// Shared by the LEGAL tests: NVRAM files, METRO SHOW / METRO LOG parsing, waits on lines.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { FirmwareNode } from '../../emulator/node.js';

export function nvramFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'meterfw-nvram-')), name);
}

export interface LogEntry {
  seq: number;
  time: number;
  type: string;
  phase: number;
  value: number;
  duration: number;
}

export async function logOf(node: FirmwareNode, n = 32): Promise<LogEntry[]> {
  const lines = await node.command(`METRO LOG ${n}`, /^log=/);
  return lines
    .filter((l) => l.startsWith('#'))
    .map((l) => {
      const m = /^#(\d+) t=(\d+) (\w+) L(\d) value=(-?\d+) duration=(\d+)$/.exec(l);
      if (!m) throw new Error(`bad METRO LOG line: ${l}`);
      return { seq: +m[1]!, time: +m[2]!, type: m[3]!, phase: +m[4]!, value: +m[5]!, duration: +m[6]! };
    });
}

// METRO SHOW once a second is measured (at or after `second`); returns the key=value map.
export async function showAt(node: FirmwareNode, second = 0): Promise<Map<string, number>> {
  for (;;) {
    const lines = await node.command('METRO SHOW', /^(ERROR|AP=)/);
    if (!lines.some((l) => l.startsWith('ERROR'))) {
      const m = new Map(lines.map((l) => l.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));
      if (m.get('second')! >= second) return m;
    }
    // the next measured second is announced by nothing; wait for the METRO timer's next capture
    await node.waitFor(/^never$/, 250).catch(() => undefined);
  }
}

// Waits until METRO LOG holds an event of this type with seq > after.
export async function waitEvent(node: FirmwareNode, type: string, after: number, timeoutMs = 15000): Promise<LogEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = (await logOf(node)).find((x) => x.type === type && x.seq > after);
    if (e) return e;
    if (Date.now() > deadline) throw new Error(`no ${type} event after #${after} within ${timeoutMs} ms`);
    await node.waitFor(/^never$/, 300).catch(() => undefined);
  }
}
