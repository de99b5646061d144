// The PLC shell commands (docs/shell.md): tables, counters and the commands that act on the
// stack (PING, LEAVE, and on the concentrator DEVICES, KICK, REKEY).
import type { RunServiceFn } from '../generic/services.js';
import type { ShellPrint } from '../generic/shell.js';
import { hex4, toHex } from './bytes.js';
import type { G3Stack } from './stack.js';
import { formatCounters } from '../generic/shared/format.js';

const MODULATIONS = ['ROBO', 'DBPSK', 'DQPSK', 'D8PSK'] as const;

function neighbours(g3: G3Stack, out: ShellPrint, now: number): void {
  let text = '';
  for (const n of g3.node.mac.neighbours.values()) {
    text += `NEIGHBOUR 0x${hex4(n.shortAddress)} lqi=${n.lqi} mod=${MODULATIONS[n.modulation] ?? n.modulation} age.ms=${now - n.lastSeen}\r\n`;
  }
  out(`${text}neighbours=${g3.node.mac.neighbours.size}\r\n`);
}

function routes(g3: G3Stack, out: ShellPrint, now: number): void {
  let text = '';
  let n = 0;
  for (const r of g3.node.router.routes.values()) {
    if (r.validUntil <= now) continue;
    n++;
    text += `ROUTE 0x${hex4(r.destination)} via=0x${hex4(r.nextHop)} cost=${r.routeCost} hops=${r.hopCount} valid.ms=${r.validUntil - now}\r\n`;
  }
  out(`${text}routes=${n}\r\n`);
}

function stats(g3: G3Stack, out: ShellPrint): void {
  const kv = formatCounters;
  const c = g3.counters;
  const node = g3.node;
  const mac = node.mac;
  let text =
    `state=${g3.phase} short=0x${hex4(node.shortAddress)} pan=0x${hex4(mac.pib.macPANId)} gmk=${mac.activeKeyIndex} fc=${mac.pib.macFrameCounter}` +
    ` fc.bound=${g3.fc.counter.bound} fc.nv=${g3.fc.source} fc.writes=${g3.fc.counter.writes}\r\n`;
  text += `mac ${kv(mac.stats)} ${kv(mac.drops)}\r\n`;
  text += `adp ${kv(node.drops)}\r\n`;
  text += `reassembly ${kv(node.reassembler.drops)}\r\n`;
  text += `loadng ${kv(node.router.drops)} routes=${node.router.routes.size} learned=${node.router.stats.learned}\r\n`;
  text += `loadng.sent ${kv(node.router.sent)}\r\n`;
  text += `lbp malformed=${c.lbpMalformed} spoofed=${c.lbpSpoofed} unsecured=${c.lbpUnsecured} relayed.up=${c.relayedUp} relayed.down=${c.relayedDown}\r\n`;
  if (g3.coordinator) text += `lbs ${kv(g3.coordinator.lbs.counters)}\r\n`;
  else if (g3.join) {
    const j = g3.join.counters;
    let f = '';
    for (const [k, v] of g3.join.failures) f += ` failed.${k.replace(/[^A-Za-z0-9_]+/g, '_')}=${v}`;
    text += `lbd joins=${j.joins} failures=${j.joinFailures} left=${j.left} kicked=${j.kicked}${f}\r\n`;
  }
  text += g3.modem.statsLine();
  out(text + `stack errors=${c.errors}\r\n`);
}

function devices(g3: G3Stack, out: ShellPrint, now: number): void {
  const lbs = g3.lbs;
  if (!lbs) throw new Error('concentrator only');
  let text = '';
  for (const d of lbs.devices.values()) {
    text += `DEVICE ${toHex(d.eui64)} short=0x${hex4(d.shortAddress)} state=${d.state} gmk=${d.gmkIndex} via=0x${hex4(d.via)} seen.ms=${now - d.lastSeen}\r\n`;
  }
  out(`${text}devices=${lbs.devices.size} max=${g3.cfg.maxDevices} gmk.active=${lbs.activeGmkIndex}\r\n`);
}

/** Registers the PLC commands of the stack's role. */
export function registerPlcShell(rs: RunServiceFn, g3: G3Stack): void {
  const now = (): number => rs('misc.uptime');
  const reg = (command: string, params: number | [number, number], help: string, h: (p: number[], out: ShellPrint) => void): void =>
    rs('shell.register', 'PLC', command, params, help, h);
  reg('NEIGHBOURS', 0, '- MAC neighbour table: short address, LQI, modulation, age', (_p, out) => neighbours(g3, out, now()));
  reg('ROUTES', 0, '- LOADng route table: destination, next hop, cost, hops, validity', (_p, out) => routes(g3, out, now()));
  reg('STATS', 0, '- state, frame counts and drop counters by reason, per layer', (_p, out) => stats(g3, out));
  reg('PING', 2, '<short address> <count 1..100> - ICMPv6 echo over the PAN', (p, out) => g3.startPing(p[0]!, p[1]!, out));
  if (g3.cfg.role === 'concentrator') {
    reg('DEVICES', 0, '- device table: EUI-64, short address, state, GMK index', (_p, out) => devices(g3, out, now()));
    reg('KICK', 1, '<short address> - remove a device from the PAN', (p, out) => g3.kick(p[0]!, out));
    reg('REKEY', 0, '- distribute a new GMK to every device, then activate it', (_p, out) => g3.rekey(out));
  } else {
    reg('LEAVE', 0, '- leave the PAN (the meter rejoins after a backoff)', (_p, out) => {
      g3.leave();
      out('PLC LEAVE sent\r\n');
    });
  }
}
