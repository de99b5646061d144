// LoWPAN Bootstrapping Protocol (G.9903 annex E): the LBP message codec and the codec of its
// configuration parameters (E.2). The device (LBD, and the agent's relay rule) is lbp-device.ts,
// the coordinator's bootstrap server (LBS) lbp-server.ts.
import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';
import { LBP_HEADER_LENGTH, LBP_MAX_LENGTH, LBP_T_FROM_SERVER, LbpAttr, LbpCode, type LbpParamResult } from './lbp-const.js';

export interface LbpMessage {
  code: LbpCode;
  /** Second octet (reserved / transaction id); kept as received. */
  reserved?: number;
  /** A_LBD: the EUI-64 of the bootstrapping device. */
  lbd: Uint8Array;
  /** Bootstrapping data: an EAP packet or configuration parameters. */
  data: Uint8Array;
}

const SERVER_CODES = new Set([LbpCode.ACCEPTED, LbpCode.CHALLENGE, LbpCode.DECLINE, LbpCode.KICK_TO_LBD]);
const DEVICE_CODES = new Set([LbpCode.JOINING, LbpCode.KICK_FROM_LBD]);

export function encodeLbp(m: LbpMessage): Uint8Array {
  if (m.lbd.length !== 8) throw new EncodeError('lbp: A_LBD is an EUI-64');
  if (LBP_HEADER_LENGTH + m.data.length > LBP_MAX_LENGTH) throw new EncodeError('lbp: message too long');
  return new ByteWriter(LBP_HEADER_LENGTH + m.data.length)
    .u8(m.code << 4)
    .u8(m.reserved ?? 0)
    .bytes(m.lbd)
    .bytes(m.data)
    .finish();
}

export function decodeLbp(b: Uint8Array): LbpMessage {
  const r: ByteReader = new ByteReader(b);
  if (b.length > LBP_MAX_LENGTH) r.fail('lbp.length', `${b.length} > ${LBP_MAX_LENGTH}`, 0);
  const b0 = r.u8('lbp.code');
  const code = b0 >> 4;
  if (!SERVER_CODES.has(code) && !DEVICE_CODES.has(code)) r.fail('lbp.code', `unknown T/code 0x${code.toString(16)}`, 0);
  const reserved = r.u8('lbp.reserved');
  const lbd = r.take(8, 'lbp.lbd');
  return { code, reserved, lbd, data: r.rest() };
}

export function fromServer(code: LbpCode): boolean {
  return ((code << 4) & LBP_T_FROM_SERVER) !== 0;
}

// ---------------- configuration parameters ----------------

export interface LbpParam {
  id: number;
  /** Type bit (bit 1): 0 = device-specific information (DSI), 1 = PAN-specific (PSI). */
  dsi: boolean;
  value: Uint8Array;
}

export function encodeParams(ps: LbpParam[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const p of ps) {
    if (p.id < 0 || p.id > 63 || p.value.length > 255) throw new EncodeError('lbp: parameter id/length');
    w.u8((p.id << 2) | (p.dsi ? 0 : 2) | 1)
      .u8(p.value.length)
      .bytes(p.value);
  }
  return w.finish();
}

export function decodeParams(b: Uint8Array, max = 16): LbpParam[] {
  const r: ByteReader = new ByteReader(b);
  const out: LbpParam[] = [];
  while (r.remaining > 0) {
    if (out.length >= max) r.fail('lbp.params', `more than ${max} parameters`);
    const at = r.pos;
    const x = r.u8('lbp.param.id');
    if ((x & 1) === 0) r.fail('lbp.param.m', 'M bit clear', at);
    const len = r.u8('lbp.param.length');
    out.push({ id: x >> 2, dsi: (x & 2) === 0, value: r.take(len, 'lbp.param.value') });
  }
  return out;
}

export const param = {
  shortAddr: (a: number): LbpParam => ({ id: LbpAttr.SHORT_ADDR, dsi: true, value: Uint8Array.of(a >> 8, a & 0xff) }),
  gmk: (index: number, key: Uint8Array): LbpParam => {
    const v = new Uint8Array(17);
    v[0] = index;
    v.set(key, 1);
    return { id: LbpAttr.GMK, dsi: false, value: v };
  },
  gmkActivation: (index: number): LbpParam => ({ id: LbpAttr.GMK_ACTIVATION, dsi: false, value: Uint8Array.of(index) }),
  gmkRemoval: (index: number): LbpParam => ({ id: LbpAttr.GMK_REMOVAL, dsi: false, value: Uint8Array.of(index) }),
  result: (attr: number, res: LbpParamResult): LbpParam => ({ id: LbpAttr.PARAM_RESULT, dsi: true, value: Uint8Array.of(res, attr) }),
};

/** True when the bootstrapping data is configuration parameters (M bit), not an EAP packet. */
export function isParams(data: Uint8Array): boolean {
  const b = data[0];
  // EAP codes 1..4 have bits 7..2 clear; a parameter octet has M set and a non-zero id.
  return b !== undefined && (b & 1) === 1 && b >> 2 !== 0;
}
