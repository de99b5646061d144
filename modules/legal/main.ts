// LEGAL part entry: the METRO task. Metrology itself arrives with the metrology issue; here
// the task exists, owns the legal state, and answers the message-service ping.
import { X_SYS_PING, X_SYS_PONG } from '../generic/ids.js';
import type { RunServiceFn } from '../generic/services.js';

// Legal state: reachable only from this compartment. Other parts get copies in messages.
const legalState = { energyWh: 0, events: 0 };

export function entryPoint(RunService: RunServiceFn): void {
  const metro = RunService('task.create', {
    name: 'METRO', priority: 6, queue: 16,
    onMessage: (m) => {
      if (m.id === X_SYS_PING) RunService('msg.send', metro, m.from, X_SYS_PONG, { part: 'LEGAL', energyWh: legalState.energyWh });
    },
  });
  RunService('lcd.print', 0, 'METER');
  RunService('trace', 3, 'METRO task started');
}
