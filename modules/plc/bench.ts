// `PLC BENCH <n>` (bench/sections/plcmac.mjs): the MAC hot path per frame, native against
// TypeScript, in one run: encode and decode of a 100-byte-payload data frame (short addresses,
// PAN id compression, ACK request), and its CCM* secure (ENC-MIC-32, key index 0) and unsecure.
// native = the C codec (drivers/macframe), securing in one call with mbed TLS; TypeScript = the
// codec in mac-frame.ts and the MAC layer's steps (MHR, nonce, CCM* through the plccrypto driver,
// frame). AES itself is mbed TLS on both sides (the project writes no crypto of its own).
// Each row prints elapsed uptime ms for n frames; both sides' outputs are compared first.
// decode-call: the native decode call alone (fields into a Uint32Array, no frame object).
// rx-path / tx-path: the MAC layer's whole receive (decode, filter, duplicate and replay checks,
// CCM* open, the indication) and transmit (MHR, CCM* seal) of that secured frame, the one-call
// native path (drivers/macframe/macrx.c) against the TypeScript one (mac.ts with the TypeScript
// codec); each rx-path frame is first copied into the receive buffer and the source table
// cleared (else it would be a replay), on both sides. rx-call / tx-call: the native call alone
// (rx-call with the same copy and table reset), i.e. what bounds rx-path and tx-path.
import type { RunServiceFn } from '../generic/services.js';
import type { MacFrameDriver, MacRxTxDriver } from 'drivers/macframe/macframe';
import type { ShellPrint } from '../generic/shell.js';
import { bytesEqual } from './bytes.js';
import { KEY_ID_MODE_INDEX, MacFrameType, SEC_LEVEL_ENC_MIC_32 } from './mac-const.js';
import { nonceSourceFromShort, tsMacCodec, type MacCodec, type MacFrame } from './mac-frame.js';
import { NativeMacCodec, type NativeMacPath, R_PAYLOAD_OFFSET, RX_DATA, TX_ACK_REQUEST, TX_SECURE } from './mac-native.js';
import { MacLayer, openInSteps, sealInSteps } from './mac.js';
import { plcCrypto } from './native-crypto.js';
import type { PlcCryptoDriver } from 'drivers/crypto/crypto';

const PAN = 0x781d;
const PAYLOAD = 100;

export function bench(rs: RunServiceFn, n: number, out: ShellPrint): void {
  if (!(n >= 10 && n <= 100000)) throw new RangeError('n 10..100000');
  const drv = rs('driver.get', 'macframe') as MacFrameDriver & MacRxTxDriver;
  const native = new NativeMacCodec(drv);
  const ts = tsMacCodec();
  const crypto = plcCrypto(rs('driver.get', 'plccrypto') as PlcCryptoDriver);
  const key = new Uint8Array(16).map((_, i) => 0xc0 + i);
  const nonceSource = nonceSourceFromShort(PAN, 1);
  const payload = new Uint8Array(PAYLOAD).map((_, i) => i);
  const plain: MacFrame = { type: MacFrameType.DATA, seq: 0x42, dstPan: PAN, dst: 2, src: 1, ackRequest: true, payload };
  const secured: MacFrame = {
    ...plain,
    security: { level: SEC_LEVEL_ENC_MIC_32, keyIdMode: KEY_ID_MODE_INDEX, frameCounter: 0x1234, keyIndex: 0 },
  };
  const now = (): number => rs('misc.uptime');
  const time = (f: () => unknown): number => {
    const t0 = now();
    for (let k = 0; k < n; k++) f();
    return now() - t0;
  };
  const row = (op: string, bytes: number, same: boolean, nat: () => unknown, tsf: () => unknown): void => {
    out(`bench ${op} bytes=${bytes} n=${n} same=${same ? 1 : 0} native.ms=${time(nat)} ts.ms=${time(tsf)}\r\n`);
  };

  const frame = native.encode(plain);
  row(
    'encode',
    frame.length,
    bytesEqual(frame, ts.encode(plain)),
    () => native.encode(plain),
    () => ts.encode(plain),
  );
  const sameDecode = (c: MacCodec): boolean => {
    const d = c.decode(frame);
    return d.seq === 0x42 && d.dst === 2 && d.src === 1 && bytesEqual(d.payload, payload);
  };
  row(
    'decode',
    frame.length,
    sameDecode(native) && sameDecode(ts),
    () => native.decode(frame),
    () => ts.decode(frame),
  );
  // the native call alone, fields into a Uint32Array: what decode costs before XS builds the frame object
  const fields = new Uint32Array(20),
    ext = new Uint8Array(24);
  const t = time(() => drv.decode(frame, fields, ext, false, 400));
  out(`bench decode-call bytes=${frame.length} n=${n} same=${drv.decode(frame, fields, ext, false, 400) === 0 ? 1 : 0} native.ms=${t}\r\n`);
  const sealed = native.seal(secured, key, nonceSource, payload);
  row(
    'secure',
    sealed.length,
    bytesEqual(sealed, sealInSteps(ts, crypto, secured, key, nonceSource, payload)),
    () => native.seal(secured, key, nonceSource, payload),
    () => sealInSteps(ts, crypto, secured, key, nonceSource, payload),
  );
  const unsecure = (c: MacCodec): Uint8Array | null => {
    const d = c.decode(sealed);
    return c.open ? c.open(sealed, d, key, nonceSource) : openInSteps(crypto, sealed, d, key, nonceSource);
  };
  const opened = unsecure(native),
    openedTs = unsecure(ts);
  row(
    'unsecure',
    sealed.length,
    !!opened && !!openedTs && bytesEqual(opened, payload) && bytesEqual(openedTs, payload),
    () => unsecure(native),
    () => unsecure(ts),
  );

  // the MAC layer's receive and transmit paths: native (one call each) and TypeScript
  const layer = (native: boolean, short: number): MacLayer => {
    const m = new MacLayer({
      crypto,
      eui64: new Uint8Array(8).fill(short),
      send: () => {},
      now,
      panId: PAN,
      shortAddress: short,
      ...(native ? { rxtx: drv } : {}),
    });
    m.setKey(0, key);
    return m;
  };
  const rxN = layer(true, 2),
    rxT = layer(false, 2);
  const work = new Uint8Array(sealed.length);
  const receive = (m: MacLayer): Uint8Array | null => {
    work.set(sealed);
    m.clearSources();
    return m.indication(work, 100)?.payload ?? null;
  };
  // the native path hands the payload where it lies in the receive buffer: kept before reuse
  const gotN = receive(rxN)?.slice() ?? null,
    gotT = receive(rxT);
  const sameRx = !!gotN && !!gotT && bytesEqual(gotN, payload) && bytesEqual(gotT, payload);
  // and both reject the frame again, as a duplicate
  work.set(sealed);
  rxN.indication(work, 100);
  work.set(sealed);
  rxT.indication(work, 100);
  row(
    'rx-path',
    sealed.length,
    sameRx && rxN.drops.duplicate === 1 && rxT.drops.duplicate === 1,
    () => receive(rxN),
    () => receive(rxT),
  );
  // what bounds rx-path: the native receive call alone (with the same copy and table reset)
  const nat = rxN.native as NativeMacPath;
  const callOnce = (): number => {
    work.set(sealed);
    drv.clear(nat.state);
    return drv.receive(nat.state, work, nat.result, nat.ext, 1, PAN, 2, rxN.pib.macExtendedAddress, false, 5000);
  };
  const tc = time(callOnce);
  const okCall = callOnce() === RX_DATA;
  const at = nat.result[R_PAYLOAD_OFFSET] as number;
  const sameCall = okCall && bytesEqual(work.subarray(at, at + PAYLOAD), payload);
  out(`bench rx-call bytes=${sealed.length} n=${n} same=${sameCall ? 1 : 0} native.ms=${tc}\r\n`);
  const txN = layer(true, 1),
    txT = layer(false, 1);
  const send = (m: MacLayer): Uint8Array => m.dataRequest({ dst: 2, payload });
  for (const m of [txN, txT]) {
    m.pib.macFrameCounter = 0x1234;
    m.pib.macDSN = 0x42;
  }
  const a = send(txN),
    b = send(txT);
  const txCall = (): Uint8Array | number =>
    drv.transmit(nat.state, payload, 0x42, PAN, 2, undefined, 1, undefined, TX_ACK_REQUEST | TX_SECURE, 0x1234, 0);
  const tt = time(txCall);
  const tx1 = txCall();
  out(`bench tx-call bytes=${sealed.length} n=${n} same=${typeof tx1 !== 'number' && bytesEqual(tx1, sealed) ? 1 : 0} native.ms=${tt}\r\n`);
  row(
    'tx-path',
    a.length,
    bytesEqual(a, b) && bytesEqual(a, sealed),
    () => send(txN),
    () => send(txT),
  );
}
