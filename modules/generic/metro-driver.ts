// Driver "metro": the metrology front-end (model) and DSP in C (drivers/metrology/xs_metro.c),
// granted to LEGAL only (manifest config.grants "driver.metro"). Samples stay in C; script gets
// one second of results at a time.

/** second() fills METRO_FIELDS doubles: per phase p (0..2) at p * 8: Vrms V, Irms A, P W
 * (+ import), Q var (fundamental, + inductive), S VA, PF, f Hz, DSP flags; at 24: total P, Q, S;
 * at 27: energy registers A+, A-, Q1, Q2, Q3, Q4, apparent (uWh, uvarh, uVAh); at 34: the DSP
 * second. The layout is xs_metro.c's (MX_*); LEGAL reads it with numeric offsets (a module of
 * named constants would cost RAM on the STM32F405). */
export const METRO_FIELDS = 35;

export interface MetroDriver {
  /** Scenario of one phase (1..3): Vrms mV, Irms mA, current lag centidegrees (+ inductive). */
  load(phase: number, mV: number, mA: number, centidegrees: number): void;
  /** Grid frequency of every phase, mHz (45000..55000). */
  frequency(mHz: number): void;
  /** Runs one second of front-end samples through the DSP; fills out; returns the second. */
  second(out: Float64Array): number;
}

export const metro: MetroDriver = {
  load: native<(phase: number, mV: number, mA: number, centidegrees: number) => void>('xs_metro_load'),
  frequency: native<(mHz: number) => void>('xs_metro_frequency'),
  second: native<(out: Float64Array) => number>('xs_metro_second'),
};
