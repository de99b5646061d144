// xDLMS APDU encode/decode cost on Cortex-M4: mps2-an386 under qemu -icount shift=0 (one guest
// instruction per virtual nanosecond, so one uptime millisecond is 1e6 instructions). The meter
// firmware's `DLMS BENCH <n>` encodes then decodes n APDUs of each kind (modules/nonlegal/dlms on
// XS) and prints the elapsed milliseconds; instructions per APDU = ms * 1e6 / n.
import { benchCommand } from '../lib.mjs';

const PLATFORM = 'mps2-an386';
const N = 400; // GET requests; the firmware runs N / 20 one-day profiles

export default {
  name: 'dlms',
  title:
    `xDLMS APDU encode/decode on ${PLATFORM} (XS, qemu -icount shift=0), guest instructions per APDU:\n` +
    'get-request = GET.request-normal of 1.0.1.8.0.255; profile-96 = GET.response-normal with one day of\n' +
    'load profile (96 entries of clock + 4 registers); profile-96-generic = the same day as Data alone through\n' +
    'the plain reference walkers (AxdrEncoder.encodeReference, AxdrDecoder.readReference), i.e. the cost before the lean path;\n' +
    'profile-96-table-ts / profile-96-native = the same GET.response from and to flat records (modules/nonlegal/dlms/axdr-table.ts)\n' +
    'by the TypeScript table codec / the native driver "axdr" (drivers/axdr), same boot, bytes checked equal to profile-96;\n' +
    'profile-96-read-data / -read-ts / -read-native = the Profile generic buffer read as the COSEM server reads it (profile.ts over\n' +
    'a LoadProfile holding the day): get() + encodeData() (the Data path), encoded() by the TypeScript / native table codec, same bytes',
  order: 30,
  columns: [
    { header: 'APDU', key: true, align: 'left', value: (r) => r.apdu },
    { header: 'bytes', value: (r) => r.bytes },
    { header: 'n', value: (r) => r.n },
    { header: 'encode instr', value: (r) => (r.encode == null ? null : Math.round(r.encode).toString()) },
    { header: 'decode instr', value: (r) => (r.decode == null ? null : Math.round(r.decode).toString()) },
  ],

  async run(ctx) {
    if (!ctx.platforms.includes(PLATFORM)) return [];
    try {
      const { rows: got, lines } = await benchCommand(ctx, PLATFORM, `DLMS BENCH ${N}`, /^bench profile-96-read-native /);
      const rows = got.map(({ name, figures: f }) => ({
        apdu: name,
        bytes: f.bytes,
        n: f.n,
        encode: (f['encode.ms'] * 1e6) / f.n,
        decode: f['decode.ms'] === undefined ? null : (f['decode.ms'] * 1e6) / f.n,
      }));
      if (rows.length !== 8 || got.some((g) => g.figures.n === undefined || g.figures.same === 0))
        throw new Error(`DLMS BENCH: ${lines.join(' | ')}`);
      return rows;
    } catch (e) {
      return [{ apdu: 'error', error: String(e.message ?? e).trimEnd() }];
    }
  },
};
