// Traces with levels, printed on the console as `TRACE <LEVEL> <source>: <text>`. The level is
// set with `SYS TRACE <level>`; messages above it are counted, not printed.

export const enum TraceLevel {
  Off = 0,
  Error = 1,
  Warning = 2,
  Info = 3,
  Debug = 4,
}
export const TRACE_NAMES = ['OFF', 'ERROR', 'WARN', 'INFO', 'DEBUG'] as const;
export const TRACE_MAX_TEXT = 160;

export class Trace {
  level: TraceLevel = TraceLevel.Warning;
  readonly counts = [0, 0, 0, 0, 0];
  suppressed = 0;

  constructor(private print: (text: string) => void) {}

  setLevel(level: number): void {
    if (!(level >= 0 && level <= 4)) throw new RangeError('trace level 0..4 (off, error, warn, info, debug)');
    this.level = level as TraceLevel;
  }

  log(level: number, source: string, text: string): void {
    if (!(level >= 1 && level <= 4)) throw new RangeError('trace level 1..4');
    this.counts[level]!++;
    if (level > this.level) {
      this.suppressed++;
      return;
    }
    const clean = String(text)
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, TRACE_MAX_TEXT);
    this.print(`TRACE ${TRACE_NAMES[level]} ${String(source).slice(0, 16)}: ${clean}\r\n`);
  }
}
