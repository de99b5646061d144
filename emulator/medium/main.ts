// CLI: node --import tsx emulator/medium/main.ts --listen <unix path | tcp port> [options]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Topology } from './channel.js';
import { Medium } from './medium.js';

const USAGE = `usage: node --import tsx emulator/medium/main.ts --listen <unix path|tcp port> [options]
  --listen P        unix socket path, or TCP port on 127.0.0.1 (repeatable)
  --connect P       connect to a node that listens (QEMU chardev server=on) (repeatable)
  --topology F      topology JSON (see emulator/medium/topology.example.json)
  --seed S          PRNG seed (default 1)
  --pcap F          write every transmitted frame to F (DLT 195, 802.15.4 with FCS)
  --sim-clock       simulated time for lin nodes (TIME/IDLE), deterministic
  --expect N        sim clock: hold time at 0 until N nodes said HELLO (default 1)
  --max-nodes N     bound on attached ports (default 1024)
  --max-pending N   bound on queued DATA.requests per node (default 8)
  --stats-every MS  print stats JSON to stderr every MS (default: only on exit)`;

const portOrPath = (s: string): string | number => (/^\d+$/.test(s) ? Number(s) : s);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', multiple: true },
      connect: { type: 'string', multiple: true },
      topology: { type: 'string' },
      seed: { type: 'string' },
      pcap: { type: 'string' },
      'sim-clock': { type: 'boolean' },
      expect: { type: 'string' },
      'max-nodes': { type: 'string' },
      'max-pending': { type: 'string' },
      'stats-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (!values.listen?.length && !values.connect?.length)) {
    process.stderr.write(USAGE + '\n');
    process.exit(values.help ? 0 : 2);
  }
  const topology = values.topology ? (JSON.parse(readFileSync(values.topology, 'utf8')) as Topology) : undefined;
  const medium = new Medium({
    ...(topology ? { topology } : {}),
    ...(values.pcap ? { pcap: values.pcap } : {}),
    seed: values.seed ? Number(values.seed) : 1,
    simClock: values['sim-clock'] ?? false,
    expectNodes: values.expect ? Number(values.expect) : 1,
    maxNodes: values['max-nodes'] ? Number(values['max-nodes']) : 1024,
    maxPendingPerNode: values['max-pending'] ? Number(values['max-pending']) : 8,
  });
  for (const l of values.listen ?? []) {
    await medium.listen(portOrPath(l));
    process.stderr.write(`medium: listening on ${l}\n`);
  }
  for (const c of values.connect ?? []) await medium.connect(portOrPath(c));
  medium.on('hello', (p: { label: string }) => process.stderr.write(`medium: node ${p.label} joined\n`));
  medium.on('quiescent', (t: number) => process.stderr.write(`medium: quiescent at ${t} us\n`));
  const every = values['stats-every'] ? Number(values['stats-every']) : 0;
  if (every > 0) setInterval(() => process.stderr.write(JSON.stringify(medium.stats()) + '\n'), every).unref();
  const stop = (): void => {
    process.stdout.write(JSON.stringify(medium.stats(), null, 2) + '\n');
    void medium.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`medium: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
