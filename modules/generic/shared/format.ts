// The one counters formatter of the shell's stats lines (TCPIP STATS, DLMS UDP, PLC STATS, ...):
// "name=value" pairs in the object's key order, separated by one space. Under generic/shared/,
// so any part may import it: its exports are hardened.
import { seal } from './errors.js';

/** "name=value name=value ..." of every key of `counts`, in key order ("" when it has none). */
export function formatCounters(counts: { readonly [name: string]: number }): string {
  return Object.keys(counts)
    .map((k) => `${k}=${counts[k]}`)
    .join(' ');
}

seal(formatCounters);
