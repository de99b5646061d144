// npm start's options and the figures of its demo schedule, shared by the command (start.ts),
// its views (start-view.ts) and its report (start-report.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './node.js';

/** How many meters the concentrator's registry holds (dc.maxMeters, docs/concentrator.md). */
export function dcMaxMeters(): number {
  const m = JSON.parse(readFileSync(join(ROOT, 'modules', 'nonlegal', 'manifest.json'), 'utf8')) as {
    roles?: { concentrator?: { config?: { parts?: { nonlegal?: { dc?: { maxMeters?: number } } } } } };
  };
  return m.roles?.concentrator?.config?.parts?.nonlegal?.dc?.maxMeters ?? 0;
}
/** The demo schedule: the concentrator reads every meter at this simulated second, then every DEMO_READ_EVERY_S. */
export const DEMO_FIRST_READ_S = 120;
export const DEMO_READ_EVERY_S = 300;

/** Meters on emulated boards in a default (real-time) run: "a few meters on emulated boards". */
export const DEFAULT_BOARDS = 2;

export interface StartOptions {
  meters: number;
  boards: number;
  /** The concentrator on an emulated mps2-an386 board (QEMU) or as a lin process. */
  concentrator: 'board' | 'lin';
  seed: number;
  topology?: string;
  scenario?: string;
  schedule: 'demo' | 'product';
  speed: 'real' | 'fast';
  until?: number;
  report: string;
  tty: boolean;
  build: boolean;
}
