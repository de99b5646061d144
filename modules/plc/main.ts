// PLC part entry: the G3-PLC stack's task. The stack itself arrives with the PLC issue.
import { X_SYS_PING, X_SYS_PONG } from '../generic/ids.js';
import type { RunServiceFn } from '../generic/services.js';

export function entryPoint(RunService: RunServiceFn): void {
  const g3 = RunService('task.create', {
    name: 'G3', priority: 5, queue: 32,
    onMessage: (m) => {
      if (m.id === X_SYS_PING) RunService('msg.send', g3, m.from, X_SYS_PONG, { part: 'PLC' });
    },
  });
  RunService('trace', 3, 'G3 task started');
}
