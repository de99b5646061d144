// PLC part entry: the G3 task, and the G3-PLC stack (start.ts) where the manifest runs it
// (config.parts.plc.stack; off on the STM32F405, whose RAM cannot hold it yet). The stack's
// modules load on demand, so a board without it keeps only this file in RAM.
import { X_SYS_PING, X_SYS_PONG } from '../generic/ids.js';
import type { RunServiceFn } from '../generic/services.js';
import type { PlcConfig } from './stack-context.js';

export function entryPoint(RunService: RunServiceFn): void {
  const g3 = RunService('task.create', {
    name: 'G3',
    priority: 5,
    queue: 32,
    onMessage: (m) => {
      if (m.id === X_SYS_PING) RunService('msg.send', g3, m.from, X_SYS_PONG, { part: 'PLC' });
    },
  });
  RunService('trace', 3, 'G3 task started');
  const cfg = RunService('config') as PlcConfig | undefined;
  if (!cfg?.stack) return; // not on this board (config parts.plc.stack)
  RunService(
    'shell.register',
    'PLC',
    'BENCH',
    1,
    '<n 10..100000> - MAC encode, decode, CCM* secure and unsecure of a 100-byte frame, native and TypeScript: elapsed ms',
    (p, out) => {
      import('./bench.js')
        .then((m) => m.bench(RunService, p[0]!, out))
        .catch((e: unknown) => {
          out(`ERROR PLC BENCH: ${e instanceof Error ? e.message : String(e)}\r\n`);
        });
    },
  );
  // the stack, then the ADP data service NON-LEGAL's IPv6 uses over it (adp-service.ts)
  // (loaded once the stack runs: a board without a provisioned stack never loads it)
  import('./start.js').then(
    (m) => {
      const stack = m.startStack(RunService, cfg);
      if (stack) {
        import('./adp-service.js').then(
          (a) => a.startAdpService(RunService, stack),
          (e: unknown) => RunService('trace', 1, `ADP data service failed to load: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    },
    (e: unknown) => {
      RunService('trace', 1, `G3-PLC stack failed to load: ${e instanceof Error ? e.message : String(e)}`);
    },
  );
}
