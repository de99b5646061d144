// G3-PLC upper MAC (the part above the modem's real-time MAC): PIB, key table, outgoing
// security (CCM*, ENC-MIC-32, key id mode 1), incoming filtering, replay and duplicate
// rejection, neighbour table. I/O-free: frames leave through `send`, time comes from `now`.
import type { MacRxTxDriver } from 'drivers/macframe/macframe';
import type { PlcCrypto, Trace } from './crypto.js';
import { DecodeError, EncodeError, NeedMoreData } from './errors.js';
import {
  KEY_ID_MODE_INDEX,
  MAC_DEFAULT_DUPLICATE_WINDOW_MS,
  MAC_DEFAULT_MAX_DEVICES,
  MAC_DEFAULT_MAX_FRAME_RETRIES,
  MAC_DEFAULT_MAX_NEIGHBOURS,
  MAC_DEFAULT_NEIGHBOUR_TTL_MS,
  MAC_DEFAULT_TONE_MAP_TTL_MS,
  MAC_MAX_FRAME_LENGTH,
  MIC_LENGTH,
  MacFrameType,
  PAN_BROADCAST,
  SEC_LEVEL_ENC_MIC_32,
  SHORT_BROADCAST,
  SHORT_NONE,
} from './mac-const.js';
import {
  type AuxSecurityHeader,
  type DecodedMacFrame,
  type MacAddr,
  type MacCodec,
  type MacFrame,
  ccmNonce,
  decodeBeaconPayload,
  encodeBeaconPayload,
  encodeBeaconRequest,
  isBeaconRequest,
  macAddrKey,
  nonceSourceFromShort,
  tsMacCodec,
} from './mac-frame.js';
import { hex4 } from './bytes.js';
import {
  MAC_REASONS,
  NativeMacPath,
  R_DST_MODE,
  R_DST_SHORT,
  R_ERROR_AT,
  R_EVICTED,
  R_FRAME_COUNTER,
  R_KEY_ID_MODE,
  R_KEY_INDEX,
  R_LEVEL,
  R_PAYLOAD_LENGTH,
  R_PAYLOAD_OFFSET,
  R_PREV_COUNTER,
  R_REASON,
  R_SEQ,
  R_SRC_MODE,
  R_SRC_PAN,
  R_SRC_SHORT,
  RX_ACK,
  RX_BEACON,
  RX_BEACON_REQUEST,
  RX_DROP,
  RX_GROW,
  TX_ACK_REQUEST,
  TX_EXT,
  TX_NONE,
  TX_SECURE,
} from './mac-native.js';

/** MAC PIB attributes this layer owns (G.9903 MAC PIB table). */
export interface MacPib {
  macPANId: number;
  macShortAddress: number;
  macExtendedAddress: Uint8Array;
  macDSN: number;
  macBSN: number;
  macFrameCounter: number;
  macMaxFrameRetries: number;
  macSecurityEnabled: boolean;
  macNeighbourTableEntryTTLms: number;
  macTMRTTLms: number;
  macDuplicateDetectionTTLms: number;
  macPromiscuousMode: boolean;
}

export interface NeighbourEntry {
  shortAddress: number;
  lqi: number;
  modulation: number;
  toneMap: number;
  lastSeen: number;
  toneMapUpdated: number;
}

export type MacDropReason =
  | 'malformed'
  | 'truncated'
  | 'notForUs'
  | 'wrongPan'
  | 'duplicate'
  | 'replay'
  | 'micFailure'
  | 'unknownKey'
  | 'unsupportedSecurity'
  | 'counterOverflow';

export interface MacIndication {
  /** The decoded frame (TypeScript path only: the native path builds no frame object). */
  frame?: DecodedMacFrame;
  /** Plaintext MSDU. */
  payload: Uint8Array;
  secured: boolean;
  keyIndex: number;
  lqi: number;
  modulation: number;
  src: MacAddr;
  dst: MacAddr;
}

export interface BeaconNotify {
  panId: number;
  src: number;
  lqi: number;
  rcCoord: number;
  panCoordinator: boolean;
}

export interface MacTx {
  frame: Uint8Array;
  dst: MacAddr;
  ackRequest: boolean;
  /** Modem handle the caller may use for the confirm. */
  handle: number;
}

export interface MacDataRequest {
  dst: MacAddr;
  /** Defaults to macPANId. */
  dstPan?: number;
  payload: Uint8Array;
  /** Default: unicast yes, broadcast no. */
  ackRequest?: boolean;
  /** Default: macSecurityEnabled. G3 sends LBP to a not-yet-joined device unsecured. */
  secure?: boolean;
  /** Use the extended source address (bootstrap, before a short address is assigned). */
  srcExtended?: boolean;
}

export interface MacOptions {
  crypto: PlcCrypto;
  eui64: Uint8Array;
  send: (tx: MacTx) => void;
  now: () => number;
  trace?: Trace;
  panId?: number;
  shortAddress?: number;
  maxNeighbours?: number;
  /** Bound of the per-source replay/duplicate table. */
  maxDevices?: number;
  maxFrameLength?: number;
  /** Frame codec: the native one on the device (mac-native.ts); default the TypeScript one. */
  codec?: MacCodec;
  /**
   * The receive and transmit paths in one native call each (drivers/macframe/macrx.c), where the
   * driver is present: data frames are then received and sent through it, with the replay and
   * duplicate table (bounded by maxDevices) and the keys in its state; `codec` still serves the
   * beacons and the beacon request.
   */
  rxtx?: MacRxTxDriver;
}

interface SourceState {
  frameCounter: number;
  dsn: number;
  dsnTime: number;
  lastSeen: number;
}

const KEY_SLOTS = 2;
/** Drop reasons in the order the native path numbers them (drivers/macframe/macrx.h MACRX_D_*). */
const DROP_REASONS: readonly MacDropReason[] = [
  'malformed',
  'truncated',
  'notForUs',
  'wrongPan',
  'duplicate',
  'replay',
  'micFailure',
  'unknownKey',
  'unsupportedSecurity',
  'counterOverflow',
];

/** CCM* sealing of a secured frame in steps (MHR, nonce, CCM*, frame), for a codec without `seal`. */
export function sealInSteps(
  codec: MacCodec,
  crypto: PlcCrypto,
  f: MacFrame,
  key: Uint8Array,
  nonceSource: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const s = f.security as AuxSecurityHeader;
  const micLen = MIC_LENGTH[s.level & 7] ?? 0;
  const header = codec.header(f);
  const sealed = crypto.ccmStarEncrypt(key, ccmNonce(nonceSource, s.frameCounter, s.level), header, plaintext, micLen);
  return codec.encode({ ...f, payload: sealed.subarray(0, sealed.length - micLen), mic: sealed.subarray(sealed.length - micLen) });
}

/** CCM* opening of a decoded secured frame in steps, for a codec without `open`: plaintext or null. */
export function openInSteps(
  crypto: PlcCrypto,
  bytes: Uint8Array,
  f: DecodedMacFrame,
  key: Uint8Array,
  nonceSource: Uint8Array,
): Uint8Array | null {
  const s = f.security as AuxSecurityHeader;
  const ct = new Uint8Array(f.payload.length + (f.mic?.length ?? 0));
  ct.set(f.payload);
  if (f.mic) ct.set(f.mic, f.payload.length);
  return crypto.ccmStarDecrypt(
    key,
    ccmNonce(nonceSource, s.frameCounter, s.level),
    bytes.subarray(0, f.headerLength),
    ct,
    MIC_LENGTH[s.level] ?? 0,
  );
} // G3 GMK index 0 and 1

export class MacLayer {
  readonly pib: MacPib;
  readonly neighbours = new Map<number, NeighbourEntry>();
  readonly drops: Record<MacDropReason, number> = {
    malformed: 0,
    truncated: 0,
    notForUs: 0,
    wrongPan: 0,
    duplicate: 0,
    replay: 0,
    micFailure: 0,
    unknownKey: 0,
    unsupportedSecurity: 0,
    counterOverflow: 0,
  };
  readonly stats = { sent: 0, received: 0, evictedSources: 0, evictedNeighbours: 0 };
  /** Upper layer hooks. */
  onData: ((ind: MacIndication) => void) | null = null;
  onBeacon: ((b: BeaconNotify) => void) | null = null;
  onBeaconRequest: ((lqi: number) => void) | null = null;
  /**
   * Called with each frame counter before a secured frame uses it (the firmware keeps its bound in
   * NVRAM: fc-store.ts); a throw refuses the frame, so no counter goes out unreserved.
   */
  reserveFrameCounter: ((fc: number) => void) | null = null;

  private readonly crypto: PlcCrypto;
  private readonly sendTx: (tx: MacTx) => void;
  private readonly now: () => number;
  private readonly trace: Trace;
  private readonly keys: (Uint8Array | null)[] = [null, null];
  private activeKey = 0;
  private readonly sources = new Map<string, SourceState>();
  private readonly maxNeighbours: number;
  private readonly maxDevices: number;
  private readonly codec: MacCodec;
  /** The one-call native paths, when the driver is present (null: the TypeScript path). */
  readonly native: NativeMacPath | null;
  private handle = 0;

  constructor(o: MacOptions) {
    if (o.eui64.length !== 8) throw new RangeError('eui64 must be 8 bytes');
    this.crypto = o.crypto;
    this.sendTx = o.send;
    this.now = o.now;
    this.trace = o.trace ?? (() => {});
    this.maxNeighbours = o.maxNeighbours ?? MAC_DEFAULT_MAX_NEIGHBOURS;
    this.maxDevices = o.maxDevices ?? MAC_DEFAULT_MAX_DEVICES;
    this.codec = o.codec ?? tsMacCodec({ maxLength: o.maxFrameLength });
    this.native = o.rxtx ? new NativeMacPath(o.rxtx, this.maxDevices, o.maxFrameLength ?? MAC_MAX_FRAME_LENGTH) : null;
    this.pib = {
      macPANId: o.panId ?? PAN_BROADCAST,
      macShortAddress: o.shortAddress ?? SHORT_NONE,
      macExtendedAddress: o.eui64.slice(),
      macDSN: 0,
      macBSN: 0,
      macFrameCounter: 0,
      macMaxFrameRetries: MAC_DEFAULT_MAX_FRAME_RETRIES,
      macSecurityEnabled: true,
      macNeighbourTableEntryTTLms: MAC_DEFAULT_NEIGHBOUR_TTL_MS,
      macTMRTTLms: MAC_DEFAULT_TONE_MAP_TTL_MS,
      macDuplicateDetectionTTLms: MAC_DEFAULT_DUPLICATE_WINDOW_MS,
      macPromiscuousMode: false,
    };
  }

  // ---- key table (macKeyTable: GMK index 0 and 1) ----

  setKey(index: number, key: Uint8Array): void {
    if (index < 0 || index >= KEY_SLOTS || key.length !== 16) throw new RangeError('GMK index 0/1, 16 bytes');
    this.keys[index] = key.slice();
    this.native?.setKey(index, key);
    this.trace(`mac: GMK ${index} set`);
  }
  removeKey(index: number): void {
    if (index === this.activeKey) throw new RangeError('cannot remove the active GMK');
    this.keys[index] = null;
    this.native?.setKey(index, undefined);
    this.trace(`mac: GMK ${index} removed`);
  }
  activateKey(index: number): void {
    if (!this.keys[index]) throw new RangeError(`GMK ${index} not set`);
    this.activeKey = index;
    this.trace(`mac: GMK ${index} active`);
  }
  hasKey(index: number): boolean {
    return this.keys[index] != null;
  }
  get activeKeyIndex(): number {
    return this.activeKey;
  }

  // ---- output ----

  private nonceSource(src: MacAddr, pan: number): Uint8Array {
    if (src instanceof Uint8Array) return src;
    return nonceSourceFromShort(pan, typeof src === 'number' ? src : SHORT_NONE);
  }

  /** Builds, protects and sends a data frame. Returns the MPDU (without FCS). */
  dataRequest(req: MacDataRequest): Uint8Array {
    const p = this.pib;
    const broadcast = req.dst === SHORT_BROADCAST;
    const src: MacAddr = req.srcExtended || p.macShortAddress === SHORT_NONE ? p.macExtendedAddress : p.macShortAddress;
    const secure = req.secure ?? p.macSecurityEnabled;
    const seq = p.macDSN;
    p.macDSN = (p.macDSN + 1) & 0xff;
    const dstPan = req.dstPan ?? p.macPANId;
    const ackRequest = req.ackRequest ?? !broadcast;
    let frame: Uint8Array;
    if (secure) {
      const key = this.keys[this.activeKey];
      if (!key) throw new RangeError('no active GMK');
      if (p.macFrameCounter >= 0xffffffff) throw new RangeError('frame counter exhausted');
      const fc = p.macFrameCounter;
      this.reserveFrameCounter?.(fc);
      p.macFrameCounter = fc + 1;
      if (this.native) frame = this.transmitNative(req, seq, dstPan, src, ackRequest, fc, this.activeKey);
      else {
        const f = {
          type: MacFrameType.DATA,
          seq,
          dstPan,
          dst: req.dst,
          src,
          ackRequest,
          payload: new Uint8Array(0),
          security: { level: SEC_LEVEL_ENC_MIC_32, keyIdMode: KEY_ID_MODE_INDEX, frameCounter: fc, keyIndex: this.activeKey },
        };
        const nonceSource = this.nonceSource(src, dstPan);
        frame = this.codec.seal
          ? this.codec.seal(f, key, nonceSource, req.payload)
          : sealInSteps(this.codec, this.crypto, f, key, nonceSource, req.payload);
      }
    } else if (this.native) {
      frame = this.transmitNative(req, seq, dstPan, src, ackRequest, -1, 0);
    } else {
      frame = this.codec.encode({ type: MacFrameType.DATA, seq, dstPan, dst: req.dst, src, ackRequest, payload: req.payload });
    }
    this.emit(frame, req.dst, ackRequest);
    return frame;
  }

  /** One native call: MHR + payload (+ CCM* with GMK keyIndex when fc >= 0). */
  private transmitNative(
    req: MacDataRequest,
    seq: number,
    dstPan: number,
    src: MacAddr,
    ack: boolean,
    fc: number,
    keyIndex: number,
  ): Uint8Array {
    const n = this.native as NativeMacPath;
    const dst = req.dst;
    const r = n.drv.transmit(
      n.state,
      req.payload,
      seq,
      dstPan,
      typeof dst === 'number' ? dst : dst === null ? TX_NONE : TX_EXT,
      dst instanceof Uint8Array ? dst : undefined,
      typeof src === 'number' ? src : TX_EXT,
      src instanceof Uint8Array ? src : undefined,
      (ack ? TX_ACK_REQUEST : 0) | (fc >= 0 ? TX_SECURE : 0),
      Math.max(fc, 0),
      keyIndex,
    );
    if (typeof r === 'number') throw new EncodeError(`mac: frame refused (${MAC_REASONS[r] ?? r})`);
    return r;
  }

  sendBeaconRequest(): Uint8Array {
    const frame = encodeBeaconRequest(this.pib.macDSN);
    this.pib.macDSN = (this.pib.macDSN + 1) & 0xff;
    this.emit(frame, SHORT_BROADCAST, false);
    return frame;
  }

  /** Beacon in answer to a beacon request (G3 PANs are non-beacon-enabled). */
  sendBeacon(rcCoord: number, panCoordinator: boolean): Uint8Array {
    const p = this.pib;
    const frame = this.codec.encode({
      type: MacFrameType.BEACON,
      seq: p.macBSN,
      srcPan: p.macPANId,
      src: p.macShortAddress,
      dst: null,
      payload: encodeBeaconPayload({ panCoordinator, associationPermit: true, rcCoord }),
    });
    p.macBSN = (p.macBSN + 1) & 0xff;
    this.emit(frame, SHORT_BROADCAST, false);
    return frame;
  }

  private emit(frame: Uint8Array, dst: MacAddr, ackRequest: boolean): void {
    this.stats.sent++;
    this.handle = (this.handle + 1) & 0xff;
    this.sendTx({ frame, dst, ackRequest, handle: this.handle });
  }

  // ---- input ----

  private drop(reason: MacDropReason, detail: string): null {
    this.drops[reason]++;
    this.trace(`mac: drop ${reason} ${detail}`);
    return null;
  }

  private isForUs(f: DecodedMacFrame): boolean {
    const p = this.pib;
    if (p.macPromiscuousMode) return true;
    if (f.dst === null) return f.type === MacFrameType.BEACON;
    if (f.dstPan !== PAN_BROADCAST && f.dstPan !== p.macPANId) return false;
    if (typeof f.dst === 'number') return f.dst === SHORT_BROADCAST || (f.dst === p.macShortAddress && f.dst !== SHORT_NONE);
    for (let i = 0; i < 8; i++) if (f.dst[i] !== p.macExtendedAddress[i]) return false;
    return true;
  }

  /** MCPS-DATA.indication from the modem: the MPDU without FCS, its LQI and modulation. On the
   * native path a secured frame is decrypted in place: the MAC consumes `bytes`. */
  indication(bytes: Uint8Array, lqi: number, modulation = 0): MacIndication | null {
    if (this.native) return this.indicationNative(this.native, bytes, lqi, modulation);
    let f: DecodedMacFrame;
    try {
      f = this.codec.decode(bytes);
    } catch (e) {
      if (e instanceof NeedMoreData) return this.drop('truncated', e.message);
      if (e instanceof DecodeError) return this.drop('malformed', e.message);
      throw e;
    }
    this.stats.received++;
    if (f.type === MacFrameType.ACK) return null; // handled by the real-time MAC
    if (isBeaconRequest(f)) {
      this.onBeaconRequest?.(lqi);
      return null;
    }
    if (f.type === MacFrameType.BEACON) {
      if (typeof f.src !== 'number' || f.srcPan === undefined) return this.drop('malformed', 'beacon source');
      try {
        const b = decodeBeaconPayload(f.payload);
        this.onBeacon?.({ panId: f.srcPan, src: f.src, lqi, rcCoord: b.rcCoord, panCoordinator: b.panCoordinator });
      } catch (e) {
        if (e instanceof DecodeError || e instanceof NeedMoreData) return this.drop('malformed', e.message);
        throw e;
      }
      return null;
    }
    if (!this.isForUs(f)) {
      this.drops.notForUs++;
      return null;
    }
    const now = this.now();
    const srcKey = macAddrKey(f.src);
    const st = this.sources.get(srcKey);
    if (st && st.dsn === f.seq && now - st.dsnTime < this.pib.macDuplicateDetectionTTLms) {
      return this.drop('duplicate', `${srcKey} dsn ${f.seq}`);
    }
    let payload = f.payload;
    let keyIndex = -1;
    if (f.security) {
      const s = f.security;
      if (s.level !== SEC_LEVEL_ENC_MIC_32 || s.keyIdMode !== KEY_ID_MODE_INDEX) {
        return this.drop('unsupportedSecurity', `level ${s.level} mode ${s.keyIdMode}`);
      }
      const key = s.keyIndex < KEY_SLOTS ? this.keys[s.keyIndex] : null;
      if (!key) return this.drop('unknownKey', `GMK ${s.keyIndex}`);
      if (st && s.frameCounter <= st.frameCounter) {
        return this.drop('replay', `${srcKey} fc ${s.frameCounter} <= ${st.frameCounter}`);
      }
      if (s.frameCounter === 0xffffffff) return this.drop('counterOverflow', srcKey);
      const pan = f.srcPan ?? f.dstPan ?? this.pib.macPANId;
      const nonceSource = this.nonceSource(f.src, pan);
      const plain = this.codec.open ? this.codec.open(bytes, f, key, nonceSource) : openInSteps(this.crypto, bytes, f, key, nonceSource);
      if (!plain) return this.drop('micFailure', srcKey);
      payload = plain;
      keyIndex = s.keyIndex;
    }
    // Only authentic (or deliberately unsecured) frames update the per-source state.
    this.remember(srcKey, f, now);
    if (typeof f.src === 'number') this.updateNeighbour(f.src, lqi, modulation, now);
    const ind: MacIndication = { frame: f, payload, secured: !!f.security, keyIndex, lqi, modulation, src: f.src, dst: f.dst };
    this.onData?.(ind);
    return ind;
  }

  /** The native receive path: one call decodes, filters, checks duplicates, the security header
   * and replay, and opens the frame; the same drops, counters and traces as the TypeScript path. */
  private indicationNative(n: NativeMacPath, bytes: Uint8Array, lqi: number, modulation: number): MacIndication | null {
    const p = this.pib;
    const now = this.now();
    let st: number;
    // the table grows in place when the call asks for room (RX_GROW), then the frame is taken again
    for (;;) {
      st = n.drv.receive(
        n.state,
        bytes,
        n.result,
        n.ext,
        now,
        p.macPANId,
        p.macShortAddress,
        p.macExtendedAddress,
        p.macPromiscuousMode,
        p.macDuplicateDetectionTTLms,
      );
      if (st !== RX_GROW) break;
      n.grow();
    }
    const r = n.result;
    if (st >= RX_DROP && r[R_REASON] !== 0) return this.decodeDrop(bytes, st - RX_DROP, r[R_REASON] as number, r[R_ERROR_AT] as number);
    this.stats.received++;
    const sm = r[R_SRC_MODE] as number;
    const src: MacAddr = sm === 2 ? (r[R_SRC_SHORT] as number) : sm === 3 ? n.ext.slice(8, 16) : null;
    if (st >= RX_DROP) {
      const reason = DROP_REASONS[st - RX_DROP] as MacDropReason;
      if (reason === 'notForUs') {
        this.drops.notForUs++;
        return null;
      }
      const srcKey = macAddrKey(src);
      const fc = r[R_FRAME_COUNTER] as number;
      const detail =
        reason === 'duplicate'
          ? `${srcKey} dsn ${r[R_SEQ]}`
          : reason === 'replay'
            ? `${srcKey} fc ${fc} <= ${r[R_PREV_COUNTER]}`
            : reason === 'unknownKey'
              ? `GMK ${r[R_KEY_INDEX]}`
              : reason === 'unsupportedSecurity'
                ? `level ${r[R_LEVEL]} mode ${r[R_KEY_ID_MODE]}`
                : reason === 'malformed'
                  ? 'beacon source'
                  : srcKey;
      return this.drop(reason, detail);
    }
    if (st === RX_ACK) return null;
    if (st === RX_BEACON_REQUEST) {
      this.onBeaconRequest?.(lqi);
      return null;
    }
    const at = r[R_PAYLOAD_OFFSET] as number;
    const payload = bytes.subarray(at, at + (r[R_PAYLOAD_LENGTH] as number));
    if (st === RX_BEACON) {
      try {
        const b = decodeBeaconPayload(payload);
        this.onBeacon?.({ panId: r[R_SRC_PAN] as number, src: src as number, lqi, rcCoord: b.rcCoord, panCoordinator: b.panCoordinator });
      } catch (e) {
        if (e instanceof DecodeError || e instanceof NeedMoreData) return this.drop('malformed', e.message);
        throw e;
      }
      return null;
    }
    if (r[R_EVICTED]) this.stats.evictedSources++;
    if (typeof src === 'number') this.updateNeighbour(src, lqi, modulation, now);
    const dm = r[R_DST_MODE] as number;
    const dst: MacAddr = dm === 2 ? (r[R_DST_SHORT] as number) : dm === 3 ? n.ext.slice(0, 8) : null;
    const secured = (r[R_LEVEL] as number) !== 0;
    const ind: MacIndication = { payload, secured, keyIndex: secured ? (r[R_KEY_INDEX] as number) : -1, lqi, modulation, src, dst };
    this.onData?.(ind);
    return ind;
  }

  /** A frame the native decoder refused: counted as the TypeScript decoder's fault, traced
   * with its message (the TypeScript decoder names the fault; the native one numbers it). */
  private decodeDrop(bytes: Uint8Array, index: number, reason: number, at: number): null {
    const why = DROP_REASONS[index] as MacDropReason;
    try {
      this.codec.decode(bytes);
    } catch (e) {
      if (e instanceof NeedMoreData || e instanceof DecodeError) return this.drop(why, e.message);
      throw e;
    }
    return this.drop(why, `${MAC_REASONS[reason] ?? reason} at ${at}`);
  }

  /** Forgets every source's frame counter and sequence number (both paths). */
  clearSources(): void {
    this.sources.clear();
    this.native?.clearSources();
  }

  private remember(srcKey: string, f: DecodedMacFrame, now: number): void {
    let st = this.sources.get(srcKey);
    if (!st) {
      if (this.sources.size >= this.maxDevices) {
        let oldestK = '',
          oldestT = Infinity;
        for (const [k, v] of this.sources) if (v.lastSeen < oldestT) (oldestT = v.lastSeen), (oldestK = k);
        this.sources.delete(oldestK);
        this.stats.evictedSources++;
      }
      st = { frameCounter: -1, dsn: -1, dsnTime: 0, lastSeen: now };
      this.sources.set(srcKey, st);
    }
    st.dsn = f.seq;
    st.dsnTime = now;
    st.lastSeen = now;
    if (f.security) st.frameCounter = f.security.frameCounter;
  }

  private updateNeighbour(short: number, lqi: number, modulation: number, now: number): void {
    if (short === SHORT_BROADCAST || short === SHORT_NONE) return;
    let n = this.neighbours.get(short);
    if (!n) {
      if (this.neighbours.size >= this.maxNeighbours) {
        let oldest = -1,
          t = Infinity;
        for (const [k, v] of this.neighbours) if (v.lastSeen < t) (t = v.lastSeen), (oldest = k);
        this.neighbours.delete(oldest);
        this.stats.evictedNeighbours++;
      }
      n = { shortAddress: short, lqi, modulation, toneMap: 0x3f, lastSeen: now, toneMapUpdated: now };
      this.neighbours.set(short, n);
    }
    n.lqi = lqi;
    n.lastSeen = now;
    if (n.modulation !== modulation) n.toneMapUpdated = now;
    n.modulation = modulation;
  }

  /** Tone map age of a neighbour in ms, or undefined if unknown or expired (macTMRTTL). */
  toneMapAge(short: number): number | undefined {
    const n = this.neighbours.get(short);
    if (!n) return undefined;
    const age = this.now() - n.toneMapUpdated;
    return age > this.pib.macTMRTTLms ? undefined : age;
  }

  /** Removes neighbours not heard within macNeighbourTableEntryTTL. */
  tick(now = this.now()): void {
    for (const [k, n] of this.neighbours) if (now - n.lastSeen > this.pib.macNeighbourTableEntryTTLms) this.neighbours.delete(k);
  }

  describe(): string {
    return `mac pan ${hex4(this.pib.macPANId)} short ${hex4(this.pib.macShortAddress)} fc ${this.pib.macFrameCounter} gmk ${this.activeKey}`;
  }
}
