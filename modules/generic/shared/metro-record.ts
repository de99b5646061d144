// METRO's one-second record: the doubles drivers/metrology/xs_metro.c writes into second()'s
// Float64Array and LEGAL reads. The one definition: tools/build.mjs turns every MX_ export of this
// module into gen/metro_record.h (#define MX_<name> <value>) for the C, and LEGAL and the tests
// import it. Under generic/shared/ so LEGAL may import it; numbers only (every name costs a key on
// the STM32F405).
//   per phase p (0..2) at p * MX_PHASE_FIELDS: Vrms V, Irms A, P W (+ import), Q var (fundamental,
//     + inductive), S VA, PF, f Hz, DSP flags (MX_FLAG_LINK: no valid reading from the second
//     device this second, the phase's values are NaN)
//   MX_TOTAL: total P, Q, S (NaN when a phase is unavailable)
//   MX_ENERGY: MX_ENERGY_COUNT registers A+, A-, Q1, Q2, Q3, Q4, apparent (uWh, uvarh, uVAh)
//   MX_SECOND: the DSP second; MX_NEUTRAL: neutral current A; MX_PHASES: the layout's phases (1, 3)

export const MX_PHASE_FIELDS = 8;
export const MX_TOTAL = 3 * MX_PHASE_FIELDS; // three phases whatever METRO_PHASES
export const MX_ENERGY = MX_TOTAL + 3;
export const MX_ENERGY_COUNT = 7; // DSP_E_COUNT (drivers/metrology/dsp.h; xs_metro.c checks it)
export const MX_SECOND = MX_ENERGY + MX_ENERGY_COUNT;
export const MX_NEUTRAL = MX_SECOND + 1;
export const MX_PHASES = MX_NEUTRAL + 1;
export const MX_FIELDS = MX_PHASES + 1;
export const MX_FLAG_LINK = 0x8000;
