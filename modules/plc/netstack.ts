// One G3-PLC node's protocol stack without I/O (Contiki-style netstack wiring): upper MAC ->
// ADP (mesh/broadcast/fragment headers, IPHC) -> LOADng routing, plus LBP hand-off. Frames to
// the modem leave through `send`; modem indications enter through `indication`.
import type { MacRxTxDriver } from 'drivers/macframe/macframe';
import type { PlcCrypto, Trace } from './crypto.js';
import { DecodeError, NeedMoreData } from './errors.js';
import { hex4 } from './bytes.js';
import { MacLayer, type MacIndication, type MacTx } from './mac.js';
import type { MacAddr, MacCodec } from './mac-frame.js';
import { SHORT_BROADCAST } from './mac-const.js';
import { AdpCommand, ADP_DEFAULT_MAX_HOPS, ICMPV6_ECHO_REQUEST, IPV6_HEADER_LENGTH, NEXT_HEADER_ICMPV6 } from './adp-const.js';
import {
  type AdpFrame,
  BroadcastLog,
  Reassembler,
  decodeAdpFrame,
  encodeBroadcastHeader,
  encodeEsc,
  encodeMeshHeader,
  fragment,
} from './adp.js';
import { compressIphc, decompressIphc, type IphcOptions } from './iphc.js';
import { echoReplyFor } from '../generic/shared/icmpv6.js';
import { SHORT_NONE, shortFromAddress, type LinkAddr } from '../generic/shared/g3-address.js';
import { LoadngRouter, type LoadngParams } from './loadng.js';
import { concat } from './bytes.js';

export interface G3NodeOptions {
  eui64: Uint8Array;
  crypto: PlcCrypto;
  now: () => number;
  send: (tx: MacTx) => void;
  panId: number;
  shortAddress?: number;
  contexts?: (Uint8Array | undefined)[];
  /** Room for ADP bytes in one MAC frame (MAC header and MIC excluded). */
  maxAdpFrame?: number;
  maxQueued?: number;
  /** Table bounds (manifest config.parts.plc): MAC neighbours, MAC per-source replay state, LOADng routes. */
  maxNeighbours?: number;
  maxSources?: number;
  maxRoutes?: number;
  /** 6LoWPAN datagrams reassembled at once (manifest config.parts.plc.maxReassemblies). */
  maxReassemblies?: number;
  loadng?: Partial<LoadngParams>;
  trace?: Trace;
  /** MAC frame codec (default: the TypeScript one). */
  macCodec?: MacCodec;
  /** The MAC's one-call native receive and transmit paths, where the driver is present. */
  macRxTx?: MacRxTxDriver;
}

export type NetDrop = 'unsecured' | 'malformed' | 'noRoute' | 'queueFull' | 'broadcastDuplicate' | 'notIpv6Addressable';

export class G3Node {
  readonly mac: MacLayer;
  readonly router: LoadngRouter;
  readonly reassembler: Reassembler;
  readonly broadcastLog = new BroadcastLog();
  readonly drops: Record<NetDrop, number> = {
    unsecured: 0,
    malformed: 0,
    noRoute: 0,
    queueFull: 0,
    broadcastDuplicate: 0,
    notIpv6Addressable: 0,
  };
  /** IPv6 packets addressed to this node (echo requests are answered first when autoEcho). */
  onIpv6: ((packet: Uint8Array) => void) | null = null;
  /** LBP messages (ESC command 0x02) with the MAC source they came from. */
  onLbp: ((from: MacAddr, body: Uint8Array, secured: boolean) => void) | null = null;
  autoEcho = true;
  private readonly o: G3NodeOptions;
  private readonly trace: Trace;
  private readonly queue = new Map<number, Uint8Array[]>();
  private queued = 0;
  private tag = 0;
  private bcSeq = 0;

  constructor(o: G3NodeOptions) {
    this.o = o;
    this.trace = o.trace ?? (() => {});
    this.mac = new MacLayer({
      crypto: o.crypto,
      eui64: o.eui64,
      send: o.send,
      now: o.now,
      panId: o.panId,
      shortAddress: o.shortAddress,
      trace: o.trace,
      codec: o.macCodec,
      ...(o.macRxTx ? { rxtx: o.macRxTx } : {}),
      ...(o.maxNeighbours ? { maxNeighbours: o.maxNeighbours } : {}),
      ...(o.maxSources ? { maxDevices: o.maxSources } : {}),
    });
    this.router = new LoadngRouter({
      self: o.shortAddress ?? 0xfffe,
      now: o.now,
      params: o.loadng,
      trace: o.trace,
      ...(o.maxRoutes ? { maxRoutes: o.maxRoutes } : {}),
      send: (nextHop, body) => {
        this.mac.dataRequest({ dst: nextHop, payload: encodeEsc(AdpCommand.LOADNG, body) });
      },
      neighbourQuality: (n) => {
        const e = this.mac.neighbours.get(n);
        return e ? { lqi: e.lqi, modulation: e.modulation } : null;
      },
    });
    this.router.onRouteFound = (dst) => this.flush(dst);
    this.router.onRouteFailed = (dst) => {
      const q = this.queue.get(dst);
      if (q) {
        this.drops.noRoute += q.length;
        this.queued -= q.length;
        this.queue.delete(dst);
      }
    };
    this.reassembler = new Reassembler({ trace: o.trace, ...(o.maxReassemblies ? { maxReassemblies: o.maxReassemblies } : {}) });
    this.mac.onData = (ind) => this.onMacData(ind);
  }

  get shortAddress(): number {
    return this.mac.pib.macShortAddress;
  }
  set shortAddress(a: number) {
    this.mac.pib.macShortAddress = a;
    this.router.self = a;
  }

  private iphc(): IphcOptions {
    return { panId: this.mac.pib.macPANId, contexts: this.o.contexts };
  }

  /** Modem DATA_INDICATION. */
  indication(frame: Uint8Array, lqi: number, modulation = 0): void {
    this.mac.indication(frame, lqi, modulation);
  }

  tick(): void {
    const now = this.o.now();
    this.mac.tick(now);
    this.router.tick();
    this.reassembler.expire(now);
  }

  /** Sends an LBP message (ESC 0x02) one hop; unsecured for a device not yet joined. */
  sendLbp(dst: MacAddr, body: Uint8Array, secure = true): void {
    this.mac.dataRequest({ dst, payload: encodeEsc(AdpCommand.LBP, body), secure, srcExtended: !secure && this.shortAddress === 0xfffe });
  }

  /** Sends an LBP message to a short address through the mesh (route discovery if needed). */
  sendLbpRouted(final: number, body: Uint8Array): void {
    this.sendAdp(final, [encodeEsc(AdpCommand.LBP, body)]);
  }

  /** Short address behind an IPv6 destination (IID ..:00ff:fe00:XXXX), 0xFFFF for multicast. */
  private finalOf(dst: Uint8Array): number | null {
    if (dst[0] === 0xff) return SHORT_BROADCAST;
    const short = shortFromAddress(dst);
    return short === SHORT_NONE ? null : short;
  }

  sendIpv6(packet: Uint8Array): void {
    const dst = packet.subarray(24, 40);
    const final = this.finalOf(dst);
    if (final === null) {
      this.drops.notIpv6Addressable++;
      return;
    }
    if (final === SHORT_BROADCAST) {
      const c = compressIphc(packet, this.shortAddress, null, this.iphc());
      const body = concat(encodeBroadcastHeader(this.bcSeq++ & 0xff), c.header, packet.subarray(c.consumed));
      this.mac.dataRequest({
        dst: SHORT_BROADCAST,
        payload: concat(encodeMeshHeader({ hopsLeft: 1, originator: this.shortAddress, final: 0x8001 }), body),
      });
      return;
    }
    const c = compressIphc(packet, this.shortAddress, final, this.iphc());
    const frames = fragment(c.header, c.consumed, packet.subarray(c.consumed), this.tag++ & 0xffff, (this.o.maxAdpFrame ?? 200) - 5);
    this.sendAdp(final, frames);
  }

  private sendAdp(final: number, frames: Uint8Array[]): void {
    const r = this.router.route(final);
    if (!r) {
      let q = this.queue.get(final);
      if (this.queued + frames.length > (this.o.maxQueued ?? 16)) {
        this.drops.queueFull++;
        return;
      }
      if (!q) this.queue.set(final, (q = []));
      q.push(...frames);
      this.queued += frames.length;
      this.router.discover(final);
      return;
    }
    for (const f of frames) {
      const payload =
        r.nextHop === final ? f : concat(encodeMeshHeader({ hopsLeft: this.meshHops(), originator: this.shortAddress, final }), f);
      this.mac.dataRequest({ dst: r.nextHop, payload });
    }
  }

  private flush(dst: number): void {
    const q = this.queue.get(dst);
    if (!q) return;
    this.queue.delete(dst);
    this.queued -= q.length;
    this.sendAdp(dst, q);
  }

  private onMacData(ind: MacIndication): void {
    let a: ReturnType<typeof decodeAdpFrame>;
    try {
      a = decodeAdpFrame(ind.payload);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof NeedMoreData) {
        this.drops.malformed++;
        this.trace(`adp: drop malformed ${e.message}`);
        return;
      }
      throw e;
    }
    // G3: only LBP may travel unsecured (a device that has no GMK yet).
    if (!ind.secured && this.mac.pib.macSecurityEnabled && !(a.kind === 'esc' && a.command === AdpCommand.LBP && !a.mesh)) {
      this.drops.unsecured++;
      return;
    }
    if (ind.secured && typeof ind.src === 'number') this.learnRoutes(ind, a);
    let linkSrc: LinkAddr = ind.src instanceof Uint8Array || typeof ind.src === 'number' ? ind.src : 0xffff;
    let linkDst: LinkAddr | null = ind.dst instanceof Uint8Array || typeof ind.dst === 'number' ? ind.dst : null;
    if (a.mesh) {
      const { originator, final, hopsLeft } = a.mesh;
      if (typeof originator !== 'number' || typeof final !== 'number') {
        this.drops.malformed++;
        return;
      }
      if (a.broadcastSeq !== undefined) {
        if (!this.broadcastLog.accept(originator, a.broadcastSeq, this.o.now())) {
          this.drops.broadcastDuplicate++;
          return;
        }
      } else {
        const d = this.router.forward(originator, final, hopsLeft);
        if (d.action === 'drop') return;
        if (d.action === 'forward') {
          const rest = ind.payload.subarray(encodeMeshHeader(a.mesh).length);
          this.mac.dataRequest({ dst: d.nextHop, payload: concat(encodeMeshHeader({ originator, final, hopsLeft: d.hopsLeft }), rest) });
          return;
        }
      }
      linkSrc = originator;
      linkDst = final === 0x8001 ? null : final;
    }
    const prev = typeof ind.src === 'number' ? ind.src : 0xfffe;
    try {
      if (a.kind === 'esc') {
        if (a.command === AdpCommand.LOADNG) this.router.input(prev, { lqi: ind.lqi, modulation: ind.modulation }, a.payload);
        else if (a.command === AdpCommand.LBP) this.onLbp?.(a.mesh ? linkSrc : ind.src, a.payload, ind.secured);
        return;
      }
      let packet: Uint8Array | null = null;
      if (a.kind === 'ipv6') packet = a.payload;
      else if (a.frag) {
        let data = a.payload;
        if (a.frag.first) {
          const d = decompressIphc(a.payload, linkSrc, linkDst, this.iphc(), a.frag.datagramSize);
          data = concat(d.header, a.payload.subarray(d.consumed));
        }
        packet = this.reassembler.input(linkSrc, linkDst ?? 0xffff, a.frag, data, this.o.now());
      } else {
        const d = decompressIphc(a.payload, linkSrc, linkDst, this.iphc());
        packet = concat(d.header, a.payload.subarray(d.consumed));
      }
      if (packet) this.deliver(packet);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof NeedMoreData) {
        this.drops.malformed++;
        this.trace(`adp: drop malformed ${e.message}`);
        return;
      }
      throw e;
    }
  }

  /**
   * Reverse routes from an authentic unicast frame: its sender is a neighbour, and the originator
   * of a mesh frame is reachable back through that neighbour, as many hops away as the frame came
   * (the originator started it with the network's hop limit). A node that forwards or receives
   * frames from a device thus answers it without flooding a route request.
   */
  private learnRoutes(ind: MacIndication, a: AdpFrame): void {
    const prev = ind.src as number;
    if (prev === SHORT_BROADCAST || prev === 0xfffe || ind.dst === SHORT_BROADCAST || a.broadcastSeq !== undefined) return;
    const q = { lqi: ind.lqi, modulation: ind.modulation };
    this.router.learn(prev, prev, 1, q);
    const m = a.mesh;
    if (m && typeof m.originator === 'number' && m.originator !== prev) {
      this.router.learn(m.originator, prev, this.meshHops() - m.hopsLeft + 1, q);
    }
  }

  /** Hops left a mesh header starts with. */
  private meshHops(): number {
    return Math.min(ADP_DEFAULT_MAX_HOPS, this.router.params.adpMaxHops);
  }

  private deliver(packet: Uint8Array): void {
    if (
      this.autoEcho &&
      packet.length > IPV6_HEADER_LENGTH &&
      packet[6] === NEXT_HEADER_ICMPV6 &&
      packet[IPV6_HEADER_LENGTH] === ICMPV6_ECHO_REQUEST
    ) {
      const self = packet.slice(24, 40);
      const reply = echoReplyFor(packet, self);
      if (reply) {
        this.trace(`net: echo reply from ${hex4(this.shortAddress)}`);
        this.sendIpv6(reply);
      }
    }
    this.onIpv6?.(packet);
  }
}
