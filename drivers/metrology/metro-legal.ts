// LEGAL's additions to driver "metro" (drivers/metrology/xs_metro.c): registers restored from
// NVRAM, LED pulse counts and voltage-event timing (pq.h). A module of its own so
// that GENERIC binds these natives only where the manifest enables LEGAL's event log
// (config.parts.legal.eventLog; not on the STM32F405, whose RAM they would take).

export interface MetroLegal {
  /** Before the first second: registers (7, micro-units, the record's MX_ENERGY order) then the active
   * and reactive LED pulse counts, as saved in NVRAM; the DSP continues from them. */
  restore(values: Float64Array): void;
  /** `led.active=<n> imp/kWh=<c> led.reactive=<n> imp/kvarh=<c>\r\n` */
  pulses(): string;
  /** The two LED pulse counts into out[0], out[1]. */
  counts(out: Float64Array): void;
  /** Voltage-event thresholds: declared voltage mV, sag, swell, interruption, hysteresis in
   * per mille of it (drivers/metrology/pq.h). */
  quality(mV: number, sag: number, swell: number, interruption: number, hysteresis: number): void;
  /** Voltage and tamper events, each when it starts (duration -1, value: V at its start) and
   * when it ends, and recognised button presses: 5 doubles each (kind, phase, start ms before
   * the end of the last second, duration ms, value V); returns how many (pq.h). */
  voltageEvents(out: Float64Array): number;
  /** Finished events the C queue had to drop. */
  voltageDropped(): number;
  /** Button pulses on the model's input lines shorter than the debounce time, ignored. */
  keyBounces(): number;
}

export const metroLegal: MetroLegal = {
  restore: native<(values: Float64Array) => void>('xs_metro_restore'),
  pulses: native<() => string>('xs_metro_pulses'),
  counts: native<(out: Float64Array) => void>('xs_metro_counts'),
  quality: native<(mV: number, sag: number, swell: number, interruption: number, hysteresis: number) => void>('xs_metro_quality'),
  voltageEvents: native<(out: Float64Array) => number>('xs_metro_voltage_events'),
  voltageDropped: native<() => number>('xs_metro_voltage_dropped'),
  keyBounces: native<() => number>('xs_metro_key_bounces'),
};
