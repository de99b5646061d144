// Starting LEGAL, PLC and NON-LEGAL. Isolation without a compartment per part (each would cost
// ~600 slots, which the STM32F405 cannot spare): lockdown() froze the intrinsics; native() is
// removed and globalThis hardened before any part runs, so the shared global object gives a
// part nothing to write and nothing native to call; the module loader (hosts/common/xsruntime.c)
// lets a part import only its own modules and generic/ids; the only capability a part receives
// is its own RunService, passed to its entryPoint; messages carry frozen copies.
import type { PartName, RunServiceFn } from './services.js';

export type EntryPoint = (runService: RunServiceFn) => void;

export class PartError extends Error {
  override name = 'PartError';
}

export async function startPart(part: PartName, runService: RunServiceFn): Promise<void> {
  const namespace: { readonly entryPoint?: unknown } = await import(`${part}/main`);
  const entry = namespace.entryPoint;
  if (typeof entry !== 'function') throw new PartError(`${part}/main has no entryPoint`);
  (entry as EntryPoint)(runService);
}

// Before the first part runs: nothing native, nothing writable, left on the global object.
export function sealGlobals(): void {
  const g = globalThis as { native?: unknown };
  delete g.native;
  harden(globalThis);
}
