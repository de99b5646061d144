// Starting LEGAL, PLC and NON-LEGAL, each in its own Compartment. A part's compartment has the
// frozen intrinsics (lockdown ran first), its own global object holding only RunService, and
// can import only its own modules (<part>/...) plus per-part instances of the shared module
// shapes GENERIC offers ("timer"). native() is not there: C is reached through granted drivers.
import type { PartName, RunServiceFn } from './services.js';

export interface PartHandle {
  readonly part: PartName;
  readonly compartment: Compartment;
  readonly namespace: { [key: string]: unknown };
}

export class PartError extends Error {
  override name = 'PartError';
}

// Resolves a specifier inside a part: relative ones against the referrer; anything that leaves
// the part's own folder is refused, unless it is one of the shared module names.
export function resolveInPart(part: string, specifier: string, referrer: string, shared: readonly string[]): string {
  if (shared.includes(specifier)) return specifier;
  let path: string[];
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    path = referrer.split('/').slice(0, -1);
    for (const seg of specifier.split('/')) {
      if (seg === '.' || seg === '') continue;
      if (seg === '..') {
        if (path.length === 0) throw new PartError(`${specifier} leaves the module tree`);
        path.pop();
      }
      else path.push(seg);
    }
  }
  else path = specifier.split('/');
  let resolved = path.join('/');
  if (resolved.endsWith('.js')) resolved = resolved.slice(0, -3);
  if (!resolved.startsWith(`${part}/`) && !shared.includes(resolved)) throw new PartError(`${part} cannot import ${specifier}`);
  return resolved;
}

export function startPart(part: PartName, runService: RunServiceFn, sharedModules: { [name: string]: object }, modules: readonly string[]): PartHandle {
  const shared = Object.keys(sharedModules);
  const known = new Set(modules);
  const compartment = new Compartment({
    globals: { RunService: runService },
    resolveHook: (specifier: string, referrer: string) => resolveInPart(part, specifier, referrer, shared),
    loadNowHook: (specifier: string) => {
      const ns = sharedModules[specifier];
      if (ns) return { namespace: ns };
      if (!known.has(specifier)) throw new PartError(`${part} has no module ${specifier}`);
      return { source: specifier };
    },
  });
  const namespace = compartment.importNow(`${part}/main`);
  const entry = namespace.entryPoint;
  if (typeof entry !== 'function') throw new PartError(`${part}/main has no entryPoint`);
  return { part, compartment, namespace };
}
