// Driver "gridmodel": the grid model behind driver "metro" on lin and the emulated boards
// (drivers/gridmodel/xs_gridmodel.c: the front-end model and the STPM34-like second device),
// granted to LEGAL (manifest config.grants "driver.gridmodel") for METRO EVENT (grid-events.ts);
// its METRO LOAD, HARM, NOISE and LINK commands are shell.ts, GENERIC's. A board with real
// metering silicon has no such driver.

export interface GridModel {
  /** Scenario of one phase (1..3): Vrms mV, Irms mA, current lag centidegrees (+ inductive).
   * Returns the DSP second it applies from (METRO's record second + 1; 0 before the first). */
  load(phase: number, mV: number, mA: number, centidegrees: number): number;
  /** Grid frequency of every phase, mHz (45000..55000). */
  frequency(mHz: number): void;
  /** Harmonic of the model (phase, order 2..15, V and I rms per mille of the fundamental,
   * current lag behind the voltage harmonic in centidegrees). RangeError where the board's model
   * has no harmonics (FE_HARM_MAX 1). */
  harmonic(phase: number, order: number, vPermille: number, iPermille: number, centidegrees: number): void;
  /** White noise on every ADC channel of the model: V mV rms, I mA rms, seed (0 keeps it). */
  noise(mV: number, mA: number, seed: number): void;
  /** Faults on the second device's link, per mille of frames: corrupted in, corrupted out, no
   * reply; seed (0 keeps it). */
  link(inPermille: number, outPermille: number, lostPermille: number, seed: number): void;
}

export const gridModel: GridModel = {
  load: native<(phase: number, mV: number, mA: number, centidegrees: number) => number>('xs_gridmodel_load'),
  frequency: native<(mHz: number) => void>('xs_gridmodel_frequency'),
  harmonic:
    native<(phase: number, order: number, vPermille: number, iPermille: number, centidegrees: number) => void>('xs_gridmodel_harmonic'),
  noise: native<(mV: number, mA: number, seed: number) => void>('xs_gridmodel_noise'),
  link: native<(inPermille: number, outPermille: number, lostPermille: number, seed: number) => void>('xs_gridmodel_link'),
};

/** GENERIC only (BENCH DSP), not part of the driver: fills out with the next samples of a copy
 * of the model, interleaved v1 i1 v2 i2 v3 i3 in per sample; restart (non-zero) first restarts
 * the copy at sample 0 of the METRO scenario. Returns the samples per channel written. */
export const gridSamples = native<(out: Int32Array, restart: number) => number>('xs_gridmodel_samples');
