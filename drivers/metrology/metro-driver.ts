// Driver "metro": the metrology front-end (model) and DSP in C (drivers/metrology/xs_metro.c),
// granted to LEGAL only (manifest config.grants "driver.metro"). Samples stay in C; script gets
// one second of results at a time.

export interface MetroDriver {
  /** Scenario of one phase (1..3): Vrms mV, Irms mA, current lag centidegrees (+ inductive). */
  load(phase: number, mV: number, mA: number, centidegrees: number): void;
  /** Grid frequency of every phase, mHz (45000..55000). */
  frequency(mHz: number): void;
  /** Load relay (Disconnect control): closes (true) or opens it; while open the currents read 0
   * from the next second on. Returns the new state (true = connected). */
  relay(connect: boolean): boolean;
  /** Front-end layout, before the first second: 3 = L1 + neutral on the main chip, L2 and L3 on
   * the STPM34-like second device over its link; 1 = single-phase meter. */
  layout(phases: number): void;
  /** Harmonic of the model (phase, order 2..15, V and I rms per mille of the fundamental,
   * current lag behind the voltage harmonic in centidegrees). RangeError where the board's model
   * has no harmonics (FE_HARM_MAX 1). */
  harmonic(phase: number, order: number, vPermille: number, iPermille: number, centidegrees: number): void;
  /** White noise on every ADC channel of the model: V mV rms, I mA rms, seed (0 keeps it). */
  noise(mV: number, mA: number, seed: number): void;
  /** Faults on the second device's link, per mille of frames: corrupted in, corrupted out, no
   * reply; seed (0 keeps it). */
  link(inPermille: number, outPermille: number, lostPermille: number, seed: number): void;
  /** Runs one second of front-end samples through the DSP; fills out (MX_FIELDS doubles, layout:
   * generic/shared/metro-record.ts); returns the second. */
  second(out: Float64Array): number;
  /** Cost of the last second() as the line `dsp.cycles=<n> model.cycles=<n> samples=<n>
   * clock.hz=<n>\r\n`: cycles in dsp_process_block() and in the front-end model's sample
   * synthesis, samples per channel, the clock's cycles per second, then the second device's link
   * cost and counters (METRO STATS; format in xs_metro.c). */
  stats(): string;
}

export const metro: MetroDriver = {
  load: native<(phase: number, mV: number, mA: number, centidegrees: number) => void>('xs_metro_load'),
  frequency: native<(mHz: number) => void>('xs_metro_frequency'),
  relay: native<(connect: boolean) => boolean>('xs_metro_relay'),
  layout: native<(phases: number) => void>('xs_metro_layout'),
  harmonic: native<(phase: number, order: number, vPermille: number, iPermille: number, centidegrees: number) => void>('xs_metro_harmonic'),
  noise: native<(mV: number, mA: number, seed: number) => void>('xs_metro_noise'),
  link: native<(inPermille: number, outPermille: number, lostPermille: number, seed: number) => void>('xs_metro_link'),
  second: native<(out: Float64Array) => number>('xs_metro_second'),
  stats: native<() => string>('xs_metro_stats'),
};

/** GENERIC only (BENCH DSP), not part of the driver: fills out with the next samples of a copy
 * of the model, interleaved v1 i1 v2 i2 v3 i3 in per sample; restart (non-zero) first restarts
 * the copy at sample 0 of the METRO scenario. Returns the samples per channel written. */
export const metroSamples = native<(out: Int32Array, restart: number) => number>('xs_metro_samples');
