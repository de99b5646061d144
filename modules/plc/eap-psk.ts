// EAP (RFC 3748) framing and EAP-PSK (RFC 4764) messages 1-4 with the peer and server state
// machines. AES-128, CMAC and EAX come from the injected PlcCrypto; key material never reaches
// a trace.
import { ByteReader, ByteWriter, bytesEqual, concat } from './bytes.js';
import { EncodeError } from './errors.js';
import type { PlcCrypto, RandomSource, Trace } from './crypto.js';
import {
  EAP_TYPE_PSK,
  EapCode,
  PSK_E_FLAG,
  PSK_MAC_LENGTH,
  PSK_MAX_ID_LENGTH,
  PSK_NONCE_LENGTH,
  PSK_PCHANNEL_HEADER_LENGTH,
  PSK_RAND_LENGTH,
  PSK_TAG_LENGTH,
  PSK_T_SHIFT,
  PskResult,
} from './lbp-const.js';

export interface EapPacket {
  code: EapCode;
  identifier: number;
  /** Type (requests/responses only). */
  type?: number;
  /** Type data after the type octet. */
  data: Uint8Array;
}

export function encodeEap(p: EapPacket): Uint8Array {
  const hasType = p.code === EapCode.REQUEST || p.code === EapCode.RESPONSE;
  const len = 4 + (hasType ? 1 + p.data.length : 0);
  const w = new ByteWriter(len).u8(p.code).u8(p.identifier).u16be(len);
  if (hasType) w.u8(p.type ?? EAP_TYPE_PSK).bytes(p.data);
  return w.finish();
}

export function decodeEap(b: Uint8Array): EapPacket {
  const r: ByteReader = new ByteReader(b);
  const code = r.u8('eap.code');
  if (code < EapCode.REQUEST || code > EapCode.FAILURE) r.fail('eap.code', `unknown code ${code}`, 0);
  const identifier = r.u8('eap.identifier');
  const len = r.u16be('eap.length');
  if (len < 4) r.fail('eap.length', `${len} < 4`, 2);
  if (len < b.length) r.fail('eap.length', `length ${len} but ${b.length} bytes`, 2);
  r.need(len - 4, 'eap.data');
  if (code === EapCode.SUCCESS || code === EapCode.FAILURE) {
    if (len !== 4) r.fail('eap.length', 'success/failure carry no data', 2);
    return { code, identifier, data: new Uint8Array(0) };
  }
  if (len < 5) r.fail('eap.length', 'request/response without type', 2);
  const type = r.u8('eap.type');
  return { code, identifier, type, data: r.take(len - 5, 'eap.data') };
}

// ---------------- EAP-PSK messages ----------------

export interface PChannel {
  nonce: number;
  tag: Uint8Array;
  /** Encrypted R/E octet and extension. */
  encrypted: Uint8Array;
}

export type PskMessage =
  | { t: 0; randS: Uint8Array; idS: Uint8Array }
  | { t: 1; randS: Uint8Array; randP: Uint8Array; macP: Uint8Array; idP: Uint8Array }
  | { t: 2; randS: Uint8Array; macS: Uint8Array; pchannel: PChannel }
  | { t: 3; randS: Uint8Array; pchannel: PChannel };

function checkLen(b: Uint8Array, n: number, what: string): Uint8Array {
  if (b.length !== n) throw new EncodeError(`eap-psk: ${what} must be ${n} bytes`);
  return b;
}

/** Type data of an EAP-PSK message (after the EAP type octet). */
export function encodePsk(m: PskMessage): Uint8Array {
  const w = new ByteWriter(64).u8(m.t << PSK_T_SHIFT).bytes(checkLen(m.randS, PSK_RAND_LENGTH, 'RAND_S'));
  switch (m.t) {
    case 0:
      if (m.idS.length === 0 || m.idS.length > PSK_MAX_ID_LENGTH) throw new EncodeError('eap-psk: ID_S length');
      w.bytes(m.idS);
      break;
    case 1:
      if (m.idP.length === 0 || m.idP.length > PSK_MAX_ID_LENGTH) throw new EncodeError('eap-psk: ID_P length');
      w.bytes(checkLen(m.randP, PSK_RAND_LENGTH, 'RAND_P'))
        .bytes(checkLen(m.macP, PSK_MAC_LENGTH, 'MAC_P'))
        .bytes(m.idP);
      break;
    case 2:
      w.bytes(checkLen(m.macS, PSK_MAC_LENGTH, 'MAC_S'));
      writePChannel(w, m.pchannel);
      break;
    case 3:
      writePChannel(w, m.pchannel);
      break;
  }
  return w.finish();
}

function writePChannel(w: ByteWriter, p: PChannel): void {
  if (p.encrypted.length < 1) throw new EncodeError('eap-psk: PCHANNEL needs the R/E octet');
  w.u32be(p.nonce >>> 0)
    .bytes(checkLen(p.tag, PSK_TAG_LENGTH, 'tag'))
    .bytes(p.encrypted);
}

export function decodePsk(data: Uint8Array): PskMessage {
  const r: ByteReader = new ByteReader(data);
  const flags = r.u8('eap-psk.flags');
  if ((flags & 0x3f) !== 0) r.fail('eap-psk.flags', 'reserved bits set', 0);
  const t = flags >> PSK_T_SHIFT;
  const randS = r.take(PSK_RAND_LENGTH, 'eap-psk.randS');
  const id = (what: string): Uint8Array => {
    const b = r.rest();
    if (b.length === 0 || b.length > PSK_MAX_ID_LENGTH) r.fail(what, `identity of ${b.length} bytes`);
    return b;
  };
  const pch = (): PChannel => {
    const nonce = r.u32be('eap-psk.pchannel.nonce');
    const tag = r.take(PSK_TAG_LENGTH, 'eap-psk.pchannel.tag');
    const encrypted = r.rest();
    return { nonce, tag, encrypted };
  };
  switch (t) {
    case 0:
      return { t: 0, randS, idS: id('eap-psk.idS') };
    case 1: {
      const randP = r.take(PSK_RAND_LENGTH, 'eap-psk.randP');
      const macP = r.take(PSK_MAC_LENGTH, 'eap-psk.macP');
      return { t: 1, randS, randP, macP, idP: id('eap-psk.idP') };
    }
    case 2: {
      const macS = r.take(PSK_MAC_LENGTH, 'eap-psk.macS');
      r.need(PSK_NONCE_LENGTH + PSK_TAG_LENGTH + 1, 'eap-psk.pchannel');
      return { t: 2, randS, macS, pchannel: pch() };
    }
    default:
      r.need(PSK_NONCE_LENGTH + PSK_TAG_LENGTH + 1, 'eap-psk.pchannel');
      return { t: 3, randS, pchannel: pch() };
  }
}

// ---------------- key derivation (RFC 4764 3.1, 3.2) ----------------

function xorCounter(block: Uint8Array, c: number): Uint8Array {
  const out = block.slice();
  out[15] = (out[15] as number) ^ c;
  return out;
}

export interface PskKeys {
  ak: Uint8Array;
  kdk: Uint8Array;
}

/**
 * AK and KDK from the PSK (RFC 4764 3.1): AES(PSK, AES(PSK, 0^128) XOR c), c = 1 for AK, 2 for KDK.
 * This and deriveSessionKeys are the firmware's only EAP-PSK key derivation (over the native AES
 * block), checked against the RFC's construction and hostap's values (test/crypto/eap-psk.test.ts).
 */
export function deriveAkKdk(c: PlcCrypto, psk: Uint8Array): PskKeys {
  if (psk.length !== 16) throw new EncodeError('eap-psk: PSK is 16 bytes');
  const z = c.aesBlock(psk, new Uint8Array(16));
  return { ak: c.aesBlock(psk, xorCounter(z, 1)), kdk: c.aesBlock(psk, xorCounter(z, 2)) };
}

/** TEK, MSK (64) and EMSK (64) from KDK and RAND_P: B = AES(KDK, RAND_P), blocks AES(KDK, B XOR i). */
export function deriveSessionKeys(
  c: PlcCrypto,
  kdk: Uint8Array,
  randP: Uint8Array,
): { tek: Uint8Array; msk: Uint8Array; emsk: Uint8Array } {
  const b = c.aesBlock(kdk, randP);
  const blk = (i: number): Uint8Array => c.aesBlock(kdk, xorCounter(b, i));
  return { tek: blk(1), msk: concat(blk(2), blk(3), blk(4), blk(5)), emsk: concat(blk(6), blk(7), blk(8), blk(9)) };
}

export function macP(c: PlcCrypto, ak: Uint8Array, idP: Uint8Array, idS: Uint8Array, randS: Uint8Array, randP: Uint8Array): Uint8Array {
  return c.cmac(ak, concat(idP, idS, randS, randP));
}

export function macS(c: PlcCrypto, ak: Uint8Array, idS: Uint8Array, randP: Uint8Array): Uint8Array {
  return c.cmac(ak, concat(idS, randP));
}

/** EAX nonce: the 32-bit PCHANNEL nonce right-aligned in 16 bytes (96 zero bits first). */
function eaxNonce(n: number): Uint8Array {
  const b = new Uint8Array(16);
  b[12] = (n >>> 24) & 0xff;
  b[13] = (n >>> 16) & 0xff;
  b[14] = (n >>> 8) & 0xff;
  b[15] = n & 0xff;
  return b;
}

export interface PChannelContent {
  result: PskResult;
  /** Extension: type octet then payload (G3: PSK_EXT_G3_PARAMS + parameters). */
  ext?: { type: number; payload: Uint8Array };
}

function pchannelPlain(p: PChannelContent): Uint8Array {
  const w = new ByteWriter(32).u8((p.result << 6) | (p.ext ? PSK_E_FLAG : 0));
  if (p.ext) w.u8(p.ext.type).bytes(p.ext.payload);
  return w.finish();
}

function parsePChannelPlain(b: Uint8Array): PChannelContent | null {
  const r0 = b[0];
  if (r0 === undefined) return null;
  const result = r0 >> 6;
  if (result === 0) return null;
  if (r0 & PSK_E_FLAG) {
    const t = b[1];
    if (t === undefined) return null;
    return { result, ext: { type: t, payload: b.slice(2) } };
  }
  return { result };
}

/** Builds a full EAP packet for msg 3 (Request) or msg 4 (Response) with the PCHANNEL sealed. */
function sealed(
  c: PlcCrypto,
  tek: Uint8Array,
  code: EapCode,
  identifier: number,
  t: 2 | 3,
  randS: Uint8Array,
  mac: Uint8Array | null,
  nonce: number,
  content: PChannelContent,
): Uint8Array {
  const plain = pchannelPlain(content);
  const bodyLen = 1 + PSK_RAND_LENGTH + (mac ? PSK_MAC_LENGTH : 0) + PSK_NONCE_LENGTH + PSK_TAG_LENGTH + plain.length;
  const total = 5 + bodyLen;
  const header = new ByteWriter(22)
    .u8(code)
    .u8(identifier)
    .u16be(total)
    .u8(EAP_TYPE_PSK)
    .u8(t << PSK_T_SHIFT)
    .bytes(randS)
    .finish();
  const { ciphertext, tag } = c.eaxEncrypt(tek, eaxNonce(nonce), header, plain);
  const msg: PskMessage =
    t === 2
      ? { t: 2, randS, macS: mac as Uint8Array, pchannel: { nonce, tag, encrypted: ciphertext } }
      : { t: 3, randS, pchannel: { nonce, tag, encrypted: ciphertext } };
  return encodeEap({ code, identifier, type: EAP_TYPE_PSK, data: encodePsk(msg) });
}

function opened(c: PlcCrypto, tek: Uint8Array, packet: Uint8Array, p: PChannel): PChannelContent | null {
  const header = packet.subarray(0, PSK_PCHANNEL_HEADER_LENGTH);
  const plain = c.eaxDecrypt(tek, eaxNonce(p.nonce), header, p.encrypted, p.tag);
  return plain ? parsePChannelPlain(plain) : null;
}

function asPsk(packet: Uint8Array, code: EapCode): { eap: EapPacket; msg: PskMessage } | null {
  const eap = decodeEap(packet);
  if (eap.code !== code || eap.type !== EAP_TYPE_PSK) return null;
  return { eap, msg: decodePsk(eap.data) };
}

// ---------------- state machines ----------------

export type PeerState = 'idle' | 'waitMsg3' | 'waitSuccess' | 'done' | 'failed';

export interface PskPeerOptions {
  crypto: PlcCrypto;
  random: RandomSource;
  psk: Uint8Array;
  idP: Uint8Array;
  /** Handles the server's extension (G3 parameters); returns the extension to send back in msg 4. */
  onExtension?: (ext: { type: number; payload: Uint8Array }) => { result: PskResult; ext?: { type: number; payload: Uint8Array } };
  trace?: Trace;
}

/** EAP-PSK peer (the LBD). */
export class PskPeer {
  state: PeerState = 'idle';
  failure = '';
  msk: Uint8Array | null = null;
  private readonly o: PskPeerOptions;
  private readonly keys: PskKeys;
  private randS: Uint8Array = new Uint8Array(0);
  private randP: Uint8Array = new Uint8Array(0);
  private idS: Uint8Array = new Uint8Array(0);
  private tek: Uint8Array | null = null;
  private lastNonce = -1;
  private readonly trace: Trace;

  constructor(o: PskPeerOptions) {
    this.o = o;
    this.keys = deriveAkKdk(o.crypto, o.psk);
    this.trace = o.trace ?? (() => {});
  }

  private fail(why: string): null {
    this.state = 'failed';
    this.failure = why;
    this.trace(`eap-psk peer: failed (${why})`);
    return null;
  }

  /** Handles an EAP packet from the server; returns the EAP response to send, or null. */
  input(packet: Uint8Array): Uint8Array | null {
    const eap = decodeEap(packet);
    if (eap.code === EapCode.SUCCESS) {
      if (this.state !== 'waitSuccess') return this.fail('unexpected success');
      this.state = 'done';
      this.trace('eap-psk peer: success');
      return null;
    }
    if (eap.code === EapCode.FAILURE) return this.fail('server sent failure');
    if (eap.code !== EapCode.REQUEST || eap.type !== EAP_TYPE_PSK) return this.fail('not an EAP-PSK request');
    const m = decodePsk(eap.data);
    const c = this.o.crypto;
    if (m.t === 0) {
      // A new first message restarts the method (also used for re-keying).
      this.randS = m.randS;
      this.idS = m.idS;
      this.randP = this.o.random(PSK_RAND_LENGTH);
      this.tek = null;
      this.lastNonce = -1;
      const mac = macP(c, this.keys.ak, this.o.idP, this.idS, this.randS, this.randP);
      this.state = 'waitMsg3';
      return encodeEap({
        code: EapCode.RESPONSE,
        identifier: eap.identifier,
        type: EAP_TYPE_PSK,
        data: encodePsk({ t: 1, randS: this.randS, randP: this.randP, macP: mac, idP: this.o.idP }),
      });
    }
    if (m.t === 2) {
      if (this.state !== 'waitMsg3') return this.fail('unexpected message 3');
      if (!bytesEqual(m.randS, this.randS)) return this.fail('RAND_S mismatch');
      if (!bytesEqual(m.macS, macS(c, this.keys.ak, this.idS, this.randP))) return this.fail('MAC_S mismatch');
      const sk = deriveSessionKeys(c, this.keys.kdk, this.randP);
      this.tek = sk.tek;
      const content = opened(c, sk.tek, packet, m.pchannel);
      if (!content) return this.fail('PCHANNEL authentication');
      if (m.pchannel.nonce <= this.lastNonce) return this.fail('PCHANNEL nonce replay');
      this.lastNonce = m.pchannel.nonce;
      let reply: PChannelContent = { result: content.result === PskResult.DONE_SUCCESS ? PskResult.DONE_SUCCESS : PskResult.DONE_FAILURE };
      if (content.ext && this.o.onExtension) reply = this.o.onExtension(content.ext);
      this.msk = reply.result === PskResult.DONE_SUCCESS ? sk.msk : null;
      this.state = reply.result === PskResult.DONE_SUCCESS ? 'waitSuccess' : 'failed';
      return sealed(c, sk.tek, EapCode.RESPONSE, eap.identifier, 3, this.randS, null, m.pchannel.nonce + 1, reply);
    }
    return this.fail(`unexpected message ${m.t + 1}`);
  }
}

export type ServerState = 'idle' | 'waitMsg2' | 'waitMsg4' | 'done' | 'failed';

export interface PskServerOptions {
  crypto: PlcCrypto;
  random: RandomSource;
  idS: Uint8Array;
  /** PSK of a peer identity, or null if unknown. */
  pskFor: (idP: Uint8Array) => Uint8Array | null;
  trace?: Trace;
}

/** EAP-PSK server for one peer (the LBS keeps one per joining device). */
export class PskServer {
  state: ServerState = 'idle';
  failure = '';
  idP: Uint8Array | null = null;
  msk: Uint8Array | null = null;
  /** The peer's answer in message 4 (its extension: G3 parameter results). */
  peerResult: PChannelContent | null = null;
  private readonly o: PskServerOptions;
  private identifier = 0;
  private randS: Uint8Array = new Uint8Array(0);
  private tek: Uint8Array | null = null;
  private nonce = 0;
  private readonly trace: Trace;

  constructor(o: PskServerOptions) {
    this.o = o;
    this.trace = o.trace ?? (() => {});
    this.identifier = o.random(1)[0] ?? 0;
  }

  private fail(why: string): Uint8Array {
    this.state = 'failed';
    this.failure = why;
    this.trace(`eap-psk server: failed (${why})`);
    return encodeEap({ code: EapCode.FAILURE, identifier: this.identifier, data: new Uint8Array(0) });
  }

  /** Identifier of the request outstanding: a response with another one answers an earlier request. */
  get expectedIdentifier(): number {
    return this.identifier;
  }

  /** Message 1. */
  start(): Uint8Array {
    this.identifier = (this.identifier + 1) & 0xff;
    this.randS = this.o.random(PSK_RAND_LENGTH);
    this.state = 'waitMsg2';
    return encodeEap({
      code: EapCode.REQUEST,
      identifier: this.identifier,
      type: EAP_TYPE_PSK,
      data: encodePsk({ t: 0, randS: this.randS, idS: this.o.idS }),
    });
  }

  /**
   * Handles a peer response. `content` gives what message 3 carries in its PCHANNEL (G3
   * parameters in the extension). Returns the next request, EAP Success, or EAP Failure.
   */
  input(packet: Uint8Array, content: (idP: Uint8Array) => PChannelContent): Uint8Array {
    const r = asPsk(packet, EapCode.RESPONSE);
    if (!r) return this.fail('not an EAP-PSK response');
    if (r.eap.identifier !== this.identifier) return this.fail('identifier mismatch');
    const m = r.msg,
      c = this.o.crypto;
    if (m.t === 1) {
      if (this.state !== 'waitMsg2') return this.fail('unexpected message 2');
      if (!bytesEqual(m.randS, this.randS)) return this.fail('RAND_S mismatch');
      const psk = this.o.pskFor(m.idP);
      if (!psk) return this.fail('unknown identity');
      const keys = deriveAkKdk(c, psk);
      if (!bytesEqual(m.macP, macP(c, keys.ak, m.idP, this.o.idS, this.randS, m.randP))) return this.fail('MAC_P mismatch (wrong PSK)');
      this.idP = m.idP;
      const sk = deriveSessionKeys(c, keys.kdk, m.randP);
      this.tek = sk.tek;
      this.msk = sk.msk;
      this.identifier = (this.identifier + 1) & 0xff;
      this.state = 'waitMsg4';
      return sealed(
        c,
        sk.tek,
        EapCode.REQUEST,
        this.identifier,
        2,
        this.randS,
        macS(c, keys.ak, this.o.idS, m.randP),
        this.nonce,
        content(m.idP),
      );
    }
    if (m.t === 3) {
      if (this.state !== 'waitMsg4' || !this.tek) return this.fail('unexpected message 4');
      if (!bytesEqual(m.randS, this.randS)) return this.fail('RAND_S mismatch');
      if (m.pchannel.nonce !== this.nonce + 1) return this.fail('PCHANNEL nonce');
      const got = opened(c, this.tek, packet, m.pchannel);
      if (!got) return this.fail('PCHANNEL authentication');
      this.nonce += 2;
      this.peerResult = got;
      if (got.result !== PskResult.DONE_SUCCESS) return this.fail('peer reported failure');
      this.state = 'done';
      return encodeEap({ code: EapCode.SUCCESS, identifier: this.identifier, data: new Uint8Array(0) });
    }
    return this.fail(`unexpected message ${m.t + 1}`);
  }
}
