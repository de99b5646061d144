// The concentrator's side of the PAN: the PAN-id conflict scan and the PAN's formation, the
// bootstrap server (LbpServer, lbp-server.ts) fed with the provisioned devices and lists and
// wired to the MAC, KICK, and re-keying (a new GMK to every device, then its activation).
import type { MacAddr } from './mac-frame.js';
import type { PlcCrypto } from './crypto.js';
import { decodeLbp } from './lbp-codec.js';
import { LbpServer, type LbsOutput } from './lbp-server.js';
import { hex4, toHex } from './bytes.js';
import type { Provisioning } from './provision.js';
import { BROADCAST, COORDINATOR, SCAN_MS, type PlcConfig, type StackContext } from './stack-context.js';

const REKEY_TIMEOUT_MS = 60000;

export type CoordinatorPhase = 'idle' | 'scan' | 'coordinator';

export class Coordinator {
  phase: CoordinatorPhase = 'idle';
  readonly lbs: LbpServer;
  private readonly heardPans = new Set<number>();
  private until = 0;
  private rekeyUntil = -1;
  // The LBS keeps its GMKs private; the coordinator's MAC learns each one when it is created.
  private readonly gmks: (Uint8Array | null)[] = [null, null];

  constructor(
    private readonly x: StackContext,
    prov: Provisioning,
    cfg: PlcConfig,
    crypto: PlcCrypto,
  ) {
    const gmk = x.random(16);
    this.gmks[0] = gmk.slice();
    const lbs = new LbpServer({
      crypto,
      random: x.random,
      now: () => x.now(),
      idS: prov.eui64,
      trace: (line) => x.trace(line),
      maxDevices: cfg.maxDevices,
      gmk,
      gmkIndex: 0,
      maxList: cfg.maxDevices,
      maxHalfOpen: cfg.lbpMaxHalfOpen,
      halfOpenTimeoutMs: cfg.lbpHalfOpenTimeoutMs,
      declineBurst: cfg.lbpDeclineBurst,
      declineRefillMs: cfg.lbpDeclineRefillMs,
      pskFor: (eui) => {
        const d = prov.devices.get(toHex(eui));
        return d && !d.denied ? d.psk : null;
      },
    });
    for (const d of prov.devices.values()) {
      if (d.denied) lbs.deny(d.eui64);
      else if (prov.listedOnly) lbs.allow(d.eui64);
    }
    lbs.whitelistOnly = prov.listedOnly;
    this.lbs = lbs;
  }

  /** The modem is ready: PAN-id conflict scan (beacon request, then listen for the PANs around). */
  begin(): void {
    this.phase = 'scan';
    this.heardPans.clear();
    this.x.modem.setAddress(BROADCAST, COORDINATOR);
    this.x.node.mac.sendBeaconRequest();
    this.until = this.x.now() + SCAN_MS;
  }

  onBeacon(panId: number): void {
    if (this.phase === 'scan') this.heardPans.add(panId);
  }

  /** When tick() or housekeeping() has something to do (ms), Infinity when nothing is due. */
  deadline(): number {
    let next = Infinity;
    if (this.phase === 'scan') next = this.until;
    if (this.rekeyUntil >= 0) next = Math.min(next, this.rekeyUntil);
    return Math.min(next, this.lbs.nextDeadline());
  }

  /** The end of the scan. */
  tick(now: number): void {
    if (this.phase === 'scan' && now >= this.until) this.formPan();
  }

  /** The LBS's retransmissions and expiries, and the end of a rekey. */
  housekeeping(now: number): void {
    const lbs = this.lbs;
    if (this.phase === 'coordinator') this.send(lbs.tick());
    if (this.rekeyUntil >= 0 && (lbs.rekeyPending() === 0 || now >= this.rekeyUntil)) this.activateRekey();
  }

  private formPan(): void {
    let pan = 0;
    for (let i = 0; i < 16; i++) {
      const r = this.x.random(2);
      pan = (((r[0] as number) << 8) | (r[1] as number)) & 0xfdff; // U/L bit 0 (G3 IID rule)
      if (pan !== 0 && pan !== 0xfdff && !this.heardPans.has(pan)) break;
    }
    const mac = this.x.node.mac;
    mac.pib.macPANId = pan;
    const lbs = this.lbs;
    // The LBS holds the GMK; the coordinator's MAC uses the same (LBS contentFor sends it).
    mac.setKey(lbs.activeGmkIndex, this.gmks[lbs.activeGmkIndex] as Uint8Array);
    mac.activateKey(lbs.activeGmkIndex);
    this.x.modem.setAddress(pan, COORDINATOR);
    this.phase = 'coordinator';
    this.x.log(3, `PAN ${hex4(pan)} formed, ${this.heardPans.size} other PAN(s) heard`);
    this.x.print(`PLC PAN pan=0x${hex4(pan)} short=0x0000 heard=${this.heardPans.size}\r\n`);
    this.x.networkChanged();
  }

  /** A device's LBP message (T=0) that reached the coordinator through `via`. */
  input(via: MacAddr, secured: boolean, body: Uint8Array, lbdEui: Uint8Array): void {
    const lbs = this.lbs;
    const before = lbs.counters.joined;
    this.send(lbs.input(typeof via === 'number' && secured ? via : COORDINATOR, body));
    if (lbs.counters.joined > before) {
      const d = lbs.devices.get(toHex(lbdEui));
      if (d) this.x.print(`PLC DEVICE JOINED eui=${toHex(d.eui64)} short=0x${hex4(d.shortAddress)}\r\n`);
    }
  }

  private send(outs: LbsOutput[]): void {
    const node = this.x.node;
    for (const o of outs) {
      if (o.to === COORDINATOR) {
        // the LBD is our own neighbour: answer it directly by its extended address
        const m = decodeLbp(o.message);
        node.sendLbp(m.lbd, o.message, false);
      } else node.sendLbpRouted(o.to, o.message);
    }
  }

  /** Removes the device with this short address from the PAN (KICK); returns its EUI-64. */
  kick(short: number): Uint8Array {
    const lbs = this.lbs;
    let eui: Uint8Array | null = null;
    for (const d of lbs.devices.values()) if (d.shortAddress === short) eui = d.eui64;
    if (!eui) throw new RangeError(`no device 0x${hex4(short)}`);
    this.send(lbs.kick(eui));
    return eui;
  }

  /** Re-keying step 1: a new GMK in the other slot to every device; returns the slot and the device count. */
  rekey(): { slot: number; devices: number } {
    const lbs = this.lbs;
    if (this.phase !== 'coordinator') throw new Error('concentrator only, once the PAN is formed');
    if (this.rekeyUntil >= 0) throw new Error('a rekey is running');
    const gmk = this.x.random(16);
    const slot = lbs.activeGmkIndex ^ 1;
    this.gmks[slot] = gmk;
    const outs = lbs.startRekey(gmk);
    this.x.node.mac.setKey(slot, gmk);
    this.send(outs);
    this.rekeyUntil = this.x.now() + REKEY_TIMEOUT_MS;
    this.x.schedule();
    return { slot, devices: outs.length };
  }

  /** Re-keying step 2, once every device has the key or REKEY_TIMEOUT_MS passed. */
  private activateRekey(): void {
    const lbs = this.lbs;
    const pending = lbs.rekeyPending();
    this.rekeyUntil = -1;
    const outs = lbs.activateRekey();
    this.x.node.mac.activateKey(lbs.activeGmkIndex);
    this.send(outs);
    this.x.print(`PLC REKEY activated gmk=${lbs.activeGmkIndex} devices=${outs.length} missed=${pending}\r\n`);
  }
}
