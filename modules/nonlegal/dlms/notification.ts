// DATA-NOTIFICATION (xDLMS, Green Book 9.5 / IEC 62056-5-3: the unconfirmed push service) and
// its protection as general-glo-ciphering (a DATA-NOTIFICATION has no service-specific glo-
// tag; the sender's system title travels in the APDU). A-XDR:
//   0x0F | long-invoke-id-and-priority (u32 BE) | date-time (OCTET STRING: 0x00 absent, or
//   0x0C and the 12-byte COSEM date-time) | notification-body (one Data)
// Long-Invoke-Id-And-Priority: bits 0-23 invoke id, 24-27 reserved (0), 28 self-descriptive,
// 29 processing option (break on error), 30 service class (1 confirmed), 31 priority (1 high).
import { ByteReader, ByteWriter } from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';
import { AxdrDecoder, AxdrEncoder, decodeDateTime, encodeDateTime, type AxdrOptions, type DateTimeValue, type DlmsData } from './axdr.js';
import { ApduTag } from './xdlms-const.js';
import { decryptApdu, encodeGeneralCipheredApdu, protect, type Gcm, type SecurityKeys } from './security.js';

/** DATA-NOTIFICATION APDU tag (COSEMpdu [15]). */
export const DATA_NOTIFICATION = 0x0f;
/** Long-invoke-id-and-priority bits (Green Book 9.5). */
export const LONG_INVOKE_HIGH_PRIORITY = 0x8000_0000;
export const LONG_INVOKE_CONFIRMED = 0x4000_0000;
export const LONG_INVOKE_ID_MASK = 0x00ff_ffff;
/** COSEM date-time: 12 octets (Blue Book 4.1.6.1). */
const DATE_TIME_LENGTH = 12;
/** Security control of a pushed alarm: suite 0, authenticated and encrypted. */
export const NOTIFICATION_SC = 0x30;

export interface DataNotification {
  /** 0..0xFFFFFF. */
  invokeId: number;
  highPriority: boolean;
  confirmed: boolean;
  /** The time the notification is about (absent: the body says, or the receiver's time). */
  time?: DateTimeValue;
  body: DlmsData;
}

export function encodeDataNotification(n: DataNotification): Uint8Array {
  if (!(Number.isInteger(n.invokeId) && n.invokeId >= 0 && n.invokeId <= LONG_INVOKE_ID_MASK))
    throw new EncodeError(`long invoke id ${n.invokeId} out of 0..16777215`);
  const w = new ByteWriter();
  w.u8(DATA_NOTIFICATION).u32be(
    ((n.highPriority ? LONG_INVOKE_HIGH_PRIORITY : 0) | (n.confirmed ? LONG_INVOKE_CONFIRMED : 0) | n.invokeId) >>> 0,
  );
  if (n.time) w.u8(DATE_TIME_LENGTH).bytes(encodeDateTime(n.time));
  else w.u8(0);
  new AxdrEncoder().encodeInto(w, n.body);
  return w.finish();
}

/** Decodes a plain DATA-NOTIFICATION filling `bytes`; DecodeError (or NeedMoreData) names the field. */
export function decodeDataNotification(bytes: Uint8Array, options: AxdrOptions = {}): DataNotification {
  const r = new ByteReader(bytes);
  const tag = r.u8('data-notification.tag');
  if (tag !== DATA_NOTIFICATION) r.fail('data-notification.tag', `0x${tag.toString(16)} is not a DATA-NOTIFICATION`, 0);
  const lip = r.u32be('data-notification.long-invoke-id');
  if (lip & 0x0f00_0000) r.fail('data-notification.long-invoke-id', 'reserved bits set', 1);
  const at = r.pos;
  const n = r.u8('data-notification.date-time.length');
  if (n !== 0 && n !== DATE_TIME_LENGTH) r.fail('data-notification.date-time.length', `${n} (0 or 12)`, at);
  const time = n ? decodeDateTime(r.take(n, 'data-notification.date-time'), at + 1) : undefined;
  const body = new AxdrDecoder(options).read(r);
  if (r.remaining !== 0) r.fail('data-notification.trailing', `${r.remaining} byte(s) after the body`);
  return {
    invokeId: lip & LONG_INVOKE_ID_MASK,
    highPriority: (lip & LONG_INVOKE_HIGH_PRIORITY) !== 0,
    confirmed: (lip & LONG_INVOKE_CONFIRMED) !== 0,
    ...(time ? { time } : {}),
    body,
  };
}

/** general-glo-ciphering of a plain APDU with the sender's system title and invocation counter. */
export function protectNotification(gcm: Gcm, keys: SecurityKeys, systemTitle: Uint8Array, ic: number, plain: Uint8Array): Uint8Array {
  return encodeGeneralCipheredApdu({
    kind: 'general-ciphering',
    tag: ApduTag.GENERAL_GLO_CIPHERING,
    systemTitle,
    securityControl: NOTIFICATION_SC,
    invocationCounter: ic,
    information: protect(gcm, keys, systemTitle, NOTIFICATION_SC, ic, plain),
  });
}

export interface ReceivedNotification {
  notification: DataNotification;
  /** Set when it came ciphered: the sender's system title and invocation counter. */
  systemTitle?: Uint8Array;
  invocationCounter?: number;
}

/**
 * A pushed APDU as received: a plain DATA-NOTIFICATION, or one in general-glo-ciphering (which
 * must be authenticated and encrypted: a lesser security control is refused). Throws
 * DecodeError (AuthenticationFailed when the tag does not verify).
 */
export function openNotification(apdu: Uint8Array, gcm: Gcm, keys: SecurityKeys, options: AxdrOptions = {}): ReceivedNotification {
  const tag = apdu[0];
  if (tag === DATA_NOTIFICATION) return { notification: decodeDataNotification(apdu, options) };
  if (tag !== ApduTag.GENERAL_GLO_CIPHERING)
    throw new DecodeError('notification.tag', 0, `0x${(tag ?? 0).toString(16)} is not a push APDU`);
  const d = decryptApdu(gcm, keys, undefined, apdu, options.maxLength);
  if (d.apdu.securityControl !== NOTIFICATION_SC)
    throw new DecodeError('notification.security-control', 0, 'not authenticated and encrypted');
  if (d.apdu.kind !== 'general-ciphering') throw new DecodeError('notification.tag', 0, 'not general-glo-ciphering');
  return {
    notification: decodeDataNotification(d.plaintext, options),
    systemTitle: d.apdu.systemTitle,
    invocationCounter: d.apdu.invocationCounter,
  };
}
