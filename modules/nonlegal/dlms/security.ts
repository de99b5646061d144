// Security suite 0 (AES-GCM-128) protection of xDLMS APDUs, Green Book 9.2.7 (cryptographic
// protection) and 9.2.3.3 (HLS-GMAC, authentication mechanism id 5).
// AES-GCM itself is injected through `Gcm`; this file only frames bytes.
import { ByteReader, ByteWriter, bytesEqual, concat } from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';
import { readLength, writeLength } from './axdr.js';
import { ApduTag } from './xdlms-const.js';

/** AES-GCM as provided by the platform (mbed TLS on the device, node:crypto in tests). */
export interface Gcm {
  /** Returns the ciphertext (same length as plaintext) and the full or truncated tag (>= 12 bytes). */
  encrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** Verifies `tag` (12 bytes here) and returns the plaintext, or null if authentication fails. */
  decrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | null;
}

/** Authentication tag length for security suite 0 (Green Book: 12 octets). */
export const GCM_TAG_LENGTH = 12;
export const SYSTEM_TITLE_LENGTH = 8;

/** Security control byte: bits 0-3 suite id, 4 authentication, 5 encryption, 6 broadcast key, 7 compression. */
export interface SecurityControl {
  suite: number;
  authenticated: boolean;
  encrypted: boolean;
  broadcastKey: boolean;
  compressed: boolean;
}

export function encodeSecurityControl(sc: SecurityControl): number {
  return (
    (sc.suite & 0x0f) |
    (sc.authenticated ? 0x10 : 0) |
    (sc.encrypted ? 0x20 : 0) |
    (sc.broadcastKey ? 0x40 : 0) |
    (sc.compressed ? 0x80 : 0)
  );
}

export function decodeSecurityControl(b: number): SecurityControl {
  return {
    suite: b & 0x0f,
    authenticated: (b & 0x10) !== 0,
    encrypted: (b & 0x20) !== 0,
    broadcastKey: (b & 0x40) !== 0,
    compressed: (b & 0x80) !== 0,
  };
}

export interface SecurityKeys {
  /** Block cipher key (global unicast, broadcast or dedicated), 16 bytes. */
  encryptionKey: Uint8Array;
  /** Authentication key, 16 bytes. */
  authenticationKey: Uint8Array;
}

/** Thrown when the GCM tag does not verify: the bytes are well formed but not authentic. */
export class AuthenticationFailed extends DecodeError {
  override name = 'AuthenticationFailed';
}

function iv(systemTitle: Uint8Array, ic: number): Uint8Array {
  if (systemTitle.length !== SYSTEM_TITLE_LENGTH) throw new EncodeError(`system title must be ${SYSTEM_TITLE_LENGTH} bytes`);
  const w = new ByteWriter(12);
  w.bytes(systemTitle).u32be(ic >>> 0);
  return w.finish();
}

function checkKeys(k: SecurityKeys): void {
  if (k.encryptionKey.length !== 16 || k.authenticationKey.length !== 16) throw new EncodeError('security suite 0 keys are 16 bytes');
}

/**
 * Protects `plaintext` per the security control byte; returns the "ciphered information" after
 * SC and IC: ciphertext||T when encrypted+authenticated, plaintext||T when authenticated only,
 * ciphertext when encrypted only.
 */
export function protect(gcm: Gcm, keys: SecurityKeys, systemTitle: Uint8Array, sc: number, ic: number, plaintext: Uint8Array): Uint8Array {
  checkKeys(keys);
  const c = decodeSecurityControl(sc);
  if (c.suite !== 0) throw new EncodeError(`security suite ${c.suite} not supported`);
  const nonce = iv(systemTitle, ic);
  const scb = Uint8Array.of(sc);
  if (c.encrypted && c.authenticated) {
    const r = gcm.encrypt(keys.encryptionKey, nonce, concat(scb, keys.authenticationKey), plaintext);
    return concat(r.ciphertext, r.tag.subarray(0, GCM_TAG_LENGTH));
  }
  if (c.authenticated) {
    const r = gcm.encrypt(keys.encryptionKey, nonce, concat(scb, keys.authenticationKey, plaintext), new Uint8Array(0));
    return concat(plaintext, r.tag.subarray(0, GCM_TAG_LENGTH));
  }
  if (c.encrypted) return gcm.encrypt(keys.encryptionKey, nonce, new Uint8Array(0), plaintext).ciphertext;
  return plaintext.slice();
}

/** Inverse of protect(). Throws AuthenticationFailed if the tag does not verify, DecodeError if too short. */
export function unprotect(gcm: Gcm, keys: SecurityKeys, systemTitle: Uint8Array, sc: number, ic: number, info: Uint8Array): Uint8Array {
  checkKeys(keys);
  const c = decodeSecurityControl(sc);
  if (c.suite !== 0) throw new DecodeError('security.suite', 0, `suite ${c.suite} not supported`);
  const nonce = iv(systemTitle, ic);
  const scb = Uint8Array.of(sc);
  if (c.authenticated) {
    if (info.length < GCM_TAG_LENGTH) throw new DecodeError('security.tag', info.length, 'shorter than the tag');
    const body = info.subarray(0, info.length - GCM_TAG_LENGTH);
    const tag = info.subarray(info.length - GCM_TAG_LENGTH);
    if (c.encrypted) {
      const p = gcm.decrypt(keys.encryptionKey, nonce, concat(scb, keys.authenticationKey), body, tag);
      if (p === null) throw new AuthenticationFailed('security.tag', body.length, 'authentication tag mismatch');
      return p;
    }
    const r = gcm.encrypt(keys.encryptionKey, nonce, concat(scb, keys.authenticationKey, body), new Uint8Array(0));
    if (!bytesEqual(r.tag.subarray(0, GCM_TAG_LENGTH), tag))
      throw new AuthenticationFailed('security.tag', body.length, 'authentication tag mismatch');
    return body.slice();
  }
  // GCM without tag is CTR mode from J0+1: applying the keystream again decrypts.
  if (c.encrypted) return gcm.encrypt(keys.encryptionKey, nonce, new Uint8Array(0), info).ciphertext;
  return info.slice();
}

// ---- ciphered APDU framing ----

/** Service-specific glo-/ded- ciphered APDU: tag, length, SC, IC, ciphered information. */
export interface CipheredApdu {
  kind: 'ciphered';
  tag: number;
  securityControl: number;
  invocationCounter: number;
  /** Ciphertext and tag as carried on the wire (see protect()). */
  information: Uint8Array;
}

/** general-glo-ciphering / general-ded-ciphering: system title is carried in the APDU. */
export interface GeneralCipheredApdu {
  kind: 'general-ciphering';
  tag: typeof ApduTag.GENERAL_GLO_CIPHERING | typeof ApduTag.GENERAL_DED_CIPHERING;
  systemTitle: Uint8Array;
  securityControl: number;
  invocationCounter: number;
  information: Uint8Array;
}

const GLO_OF: Record<number, number> = {
  [ApduTag.INITIATE_REQUEST]: ApduTag.GLO_INITIATE_REQUEST,
  [ApduTag.INITIATE_RESPONSE]: ApduTag.GLO_INITIATE_RESPONSE,
  [ApduTag.CONFIRMED_SERVICE_ERROR]: ApduTag.GLO_CONFIRMED_SERVICE_ERROR,
  [ApduTag.GET_REQUEST]: ApduTag.GLO_GET_REQUEST,
  [ApduTag.SET_REQUEST]: ApduTag.GLO_SET_REQUEST,
  [ApduTag.EVENT_NOTIFICATION_REQUEST]: ApduTag.GLO_EVENT_NOTIFICATION_REQUEST,
  [ApduTag.ACTION_REQUEST]: ApduTag.GLO_ACTION_REQUEST,
  [ApduTag.GET_RESPONSE]: ApduTag.GLO_GET_RESPONSE,
  [ApduTag.SET_RESPONSE]: ApduTag.GLO_SET_RESPONSE,
  [ApduTag.ACTION_RESPONSE]: ApduTag.GLO_ACTION_RESPONSE,
};
const DED_OF: Record<number, number> = {
  [ApduTag.GET_REQUEST]: ApduTag.DED_GET_REQUEST,
  [ApduTag.SET_REQUEST]: ApduTag.DED_SET_REQUEST,
  [ApduTag.EVENT_NOTIFICATION_REQUEST]: ApduTag.DED_EVENT_NOTIFICATION_REQUEST,
  [ApduTag.ACTION_REQUEST]: ApduTag.DED_ACTION_REQUEST,
  [ApduTag.GET_RESPONSE]: ApduTag.DED_GET_RESPONSE,
  [ApduTag.SET_RESPONSE]: ApduTag.DED_SET_RESPONSE,
  [ApduTag.ACTION_RESPONSE]: ApduTag.DED_ACTION_RESPONSE,
};
const CIPHERED_TAGS = new Set<number>([...Object.values(GLO_OF), ...Object.values(DED_OF)]);

export function isCipheredTag(tag: number): boolean {
  return CIPHERED_TAGS.has(tag);
}

/** glo- (or ded- when dedicated) tag for an unciphered APDU tag; undefined if none exists. */
export function cipheredTagFor(plainTag: number, dedicated = false): number | undefined {
  return (dedicated ? DED_OF : GLO_OF)[plainTag];
}

export function encodeCipheredApdu(a: CipheredApdu): Uint8Array {
  if (!CIPHERED_TAGS.has(a.tag)) throw new EncodeError(`0x${a.tag.toString(16)} is not a ciphered APDU tag`);
  const w = new ByteWriter(a.information.length + 12);
  w.u8(a.tag);
  writeLength(w, 5 + a.information.length);
  w.u8(a.securityControl)
    .u32be(a.invocationCounter >>> 0)
    .bytes(a.information);
  return w.finish();
}

export function encodeGeneralCipheredApdu(a: GeneralCipheredApdu): Uint8Array {
  const w = new ByteWriter(a.information.length + 24);
  w.u8(a.tag);
  writeLength(w, a.systemTitle.length);
  w.bytes(a.systemTitle);
  writeLength(w, 5 + a.information.length);
  w.u8(a.securityControl)
    .u32be(a.invocationCounter >>> 0)
    .bytes(a.information);
  return w.finish();
}

/** Reads a glo-/ded-/general- ciphered APDU (tag already peeked by the caller or not). */
export function readCipheredApdu(r: ByteReader, maxLength: number): CipheredApdu | GeneralCipheredApdu {
  const at = r.pos;
  const tag = r.u8('ciphered.tag');
  if (tag === ApduTag.GENERAL_GLO_CIPHERING || tag === ApduTag.GENERAL_DED_CIPHERING) {
    const stl = readLength(r, 'general-ciphering.system-title.length', 255);
    const systemTitle = r.take(stl, 'general-ciphering.system-title');
    const n = readLength(r, 'general-ciphering.length', maxLength);
    if (n < 5) r.fail('general-ciphering.length', `${n} < 5 (SC + IC)`);
    r.need(n, 'general-ciphering.content');
    const securityControl = r.u8('general-ciphering.sc');
    const invocationCounter = r.u32be('general-ciphering.ic');
    return {
      kind: 'general-ciphering',
      tag,
      systemTitle,
      securityControl,
      invocationCounter,
      information: r.take(n - 5, 'general-ciphering.information'),
    };
  }
  if (!CIPHERED_TAGS.has(tag)) r.fail('ciphered.tag', `0x${tag.toString(16)} is not a ciphered APDU`, at);
  const n = readLength(r, 'ciphered.length', maxLength);
  if (n < 5) r.fail('ciphered.length', `${n} < 5 (SC + IC)`);
  r.need(n, 'ciphered.content');
  const securityControl = r.u8('ciphered.sc');
  const invocationCounter = r.u32be('ciphered.ic');
  return { kind: 'ciphered', tag, securityControl, invocationCounter, information: r.take(n - 5, 'ciphered.information') };
}

/** Convenience: protect an encoded APDU and frame it as glo-/ded- (service-specific) ciphering. */
export function encryptApdu(
  gcm: Gcm,
  keys: SecurityKeys,
  systemTitle: Uint8Array,
  sc: number,
  ic: number,
  plainApdu: Uint8Array,
  dedicated = false,
): Uint8Array {
  const first = plainApdu[0];
  const tag = first === undefined ? undefined : cipheredTagFor(first, dedicated);
  if (tag === undefined) throw new EncodeError('APDU has no ciphered form');
  return encodeCipheredApdu({
    kind: 'ciphered',
    tag,
    securityControl: sc,
    invocationCounter: ic,
    information: protect(gcm, keys, systemTitle, sc, ic, plainApdu),
  });
}

/**
 * Unframes and unprotects a ciphered APDU. `systemTitle` is the sender's (peer's) system title;
 * for general-ciphering the one in the APDU is used. Returns the plain APDU bytes.
 */
export function decryptApdu(gcm: Gcm, keys: SecurityKeys, systemTitle: Uint8Array | undefined, apdu: Uint8Array, maxLength = 65535) {
  const r = new ByteReader(apdu);
  const c = readCipheredApdu(r, maxLength);
  if (r.remaining !== 0) r.fail('ciphered.trailing', `${r.remaining} byte(s) after APDU`);
  const st = c.kind === 'general-ciphering' ? c.systemTitle : systemTitle;
  if (st === undefined) throw new DecodeError('ciphered.system-title', 0, 'sender system title unknown');
  if (st.length !== SYSTEM_TITLE_LENGTH) throw new DecodeError('ciphered.system-title', 1, `length ${st.length}`);
  return { apdu: c, plaintext: unprotect(gcm, keys, st, c.securityControl, c.invocationCounter, c.information) };
}

// ---- HLS-GMAC (mechanism id 5), Green Book 9.2.7.4 ----

/** SC byte used for HLS-GMAC: authentication only, suite 0. */
export const HLS_GMAC_SC = 0x10;

/**
 * f(challenge) = SC || IC || GMAC(SC || AK || challenge), computed by the party that answers the
 * peer's challenge, with its own system title and invocation counter:
 * the client computes f(StoC), the server f(CtoS). 17 bytes for suite 0.
 */
export function hlsGmac(gcm: Gcm, keys: SecurityKeys, ownSystemTitle: Uint8Array, ic: number, challenge: Uint8Array): Uint8Array {
  checkKeys(keys);
  const r = gcm.encrypt(
    keys.encryptionKey,
    iv(ownSystemTitle, ic),
    concat(Uint8Array.of(HLS_GMAC_SC), keys.authenticationKey, challenge),
    new Uint8Array(0),
  );
  const w = new ByteWriter(17);
  w.u8(HLS_GMAC_SC)
    .u32be(ic >>> 0)
    .bytes(r.tag.subarray(0, GCM_TAG_LENGTH));
  return w.finish();
}

/**
 * Verifies the peer's f(challenge) (as received, e.g. in the reply_to_HLS_authentication
 * action) against the challenge we sent and the peer's system title.
 * Returns the peer's invocation counter when it verifies, null otherwise.
 */
export function verifyHlsGmac(
  gcm: Gcm,
  keys: SecurityKeys,
  peerSystemTitle: Uint8Array,
  ourChallenge: Uint8Array,
  reply: Uint8Array,
): number | null {
  if (reply.length !== 5 + GCM_TAG_LENGTH || reply[0] !== HLS_GMAC_SC) return null;
  const ic = new ByteReader(reply, 1).u32be('hls.ic');
  return bytesEqual(hlsGmac(gcm, keys, peerSystemTitle, ic, ourChallenge), reply) ? ic : null;
}
