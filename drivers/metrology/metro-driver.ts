// Driver "metro": the metering in C (drivers/metrology/xs_metro.c): what the board's metering
// silicon gives (samples, the second device's registers) through the DSP, granted to LEGAL only
// (manifest config.grants "driver.metro"). Samples stay in C; script gets one second of results
// at a time. The grid model behind it on lin and the emulated boards is driver "gridmodel"
// (drivers/gridmodel/gridmodel.ts).

export interface MetroDriver {
  /** Load relay (Disconnect control): closes (true) or opens it; while open the currents read 0
   * from the next second on. Returns the new state (true = connected). */
  relay(connect: boolean): boolean;
  /** Front-end layout, before the first second: 3 = L1 + neutral on the main chip, L2 and L3 on
   * the STPM34-like second device over its link; 1 = single-phase meter. */
  layout(phases: number): void;
  /** Runs one second of front-end samples through the DSP; fills out (MX_FIELDS doubles, layout:
   * generic/shared/metro-record.ts); returns the second. */
  second(out: Float64Array): number;
  /** Cost of the last second() as the line `dsp.cycles=<n> model.cycles=<n> samples=<n>
   * clock.hz=<n>\r\n`: cycles in dsp_process_block() and in the front-end's fill (the grid
   * model's sample synthesis on emulated boards), samples per channel, the clock's cycles per second, then the second device's link
   * cost and counters (METRO STATS; format in xs_metro.c). */
  stats(): string;
}

export const metro: MetroDriver = {
  relay: native<(connect: boolean) => boolean>('xs_metro_relay'),
  layout: native<(phases: number) => void>('xs_metro_layout'),
  second: native<(out: Float64Array) => number>('xs_metro_second'),
  stats: native<() => string>('xs_metro_stats'),
};
