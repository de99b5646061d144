// G3-PLC MAC per frame on Cortex-M4: mps2-an386 under qemu -icount shift=0 (one guest
// instruction per virtual nanosecond, so one uptime millisecond is 1e6 instructions), ONE boot
// of the meter firmware. `PLC BENCH <n>` (modules/plc/bench.ts) runs each operation n times with
// the native codec (drivers/macframe; CCM* secure/unsecure in one call over mbed TLS) and n times
// with the TypeScript codec (modules/plc/mac-frame.ts and the MAC layer's steps, CCM* through the
// plccrypto driver, also mbed TLS), after checking both give the same bytes. Instructions per
// frame = ms * 1e6 / n (resolution 1e6 / n). Row decode-call: the native decode call alone
// (fields into a Uint32Array), i.e. the decode row without XS building the frame object. Rows
// rx-path / tx-path: the MAC layer's whole receive (decode, filter, duplicate and replay checks,
// CCM* open, indication) and transmit (MHR + CCM* seal) of the secured frame: native = the one
// call of drivers/macframe/macrx.c, TypeScript = mac.ts over the TypeScript codec; each rx-path
// frame is copied into the receive buffer and the source table cleared first, on both sides.
// Rows rx-call / tx-call: the native call alone, what bounds rx-path / tx-path.
import { benchCommand } from '../lib.mjs';

const PLATFORM = 'mps2-an386';
const N = 1000;

export default {
  name: 'plcmac',
  title:
    `G3-PLC MAC per frame on ${PLATFORM} (qemu -icount shift=0), one boot, guest instructions: a data frame\n` +
    'with a 100-byte payload (short addresses, PAN id compression); secure/unsecure = CCM* ENC-MIC-32 with\n' +
    'its MHR and nonce. native = C codec (drivers/macframe) + mbed TLS in one call; TypeScript = mac-frame.ts\n' +
    `+ the MAC layer's steps + mbed TLS through the plccrypto driver. rx-path/tx-path = the MAC layer's whole\n` +
    'receive/transmit of the secured frame: one native call (drivers/macframe/macrx.c) against mac.ts.\n' +
    `n = ${N} frames per figure`,
  order: 35,
  columns: [
    { header: 'operation', key: true, align: 'left', value: (r) => r.operation },
    { header: 'bytes', value: (r) => r.bytes },
    { header: 'native instr', value: (r) => (r.native == null ? null : Math.round(r.native).toString()) },
    { header: 'TS instr', value: (r) => (r.ts == null ? null : Math.round(r.ts).toString()) },
    { header: 'TS/native', value: (r) => r.ratio?.toFixed(1) },
  ],

  async run(ctx) {
    if (!ctx.platforms.includes(PLATFORM)) return [];
    try {
      const { rows: got, lines } = await benchCommand(ctx, PLATFORM, `PLC BENCH ${N}`, /^bench tx-path /);
      const rows = got.map(({ name, figures: f }) => {
        if (f.same !== 1) throw new Error(`PLC BENCH ${name}: native and TypeScript results differ`);
        const native = (f['native.ms'] * 1e6) / f.n,
          ts = f['ts.ms'] == null ? null : (f['ts.ms'] * 1e6) / f.n;
        return { operation: name, bytes: f.bytes, n: f.n, native, ts, ratio: ts == null ? null : ts / native, resolution: 1e6 / f.n };
      });
      if (rows.length !== 9) throw new Error(`PLC BENCH: ${lines.join(' | ')}`);
      return rows;
    } catch (e) {
      return [{ operation: 'error', error: String(e.message ?? e).trimEnd() }];
    }
  },
};
