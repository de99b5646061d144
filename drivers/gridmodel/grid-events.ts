// LEGAL's addition to driver "gridmodel" (drivers/gridmodel/xs_gridmodel.c): scheduled model
// events for METRO EVENT. A module of its own so that GENERIC binds the native only where the
// manifest enables LEGAL's event log (config.parts.legal.eventLog; not on the STM32F405).

export interface GridEvents {
  /** Schedules a front-end model event (kind 1..7, phase 0..3, param, duration ms, delay ms
   * after the next measured second starts); see xs_gridmodel.c. */
  event(kind: number, phase: number, param: number, durationMs: number, delayMs: number): number;
}

export const gridEvents: GridEvents = {
  event: native<(kind: number, phase: number, param: number, durationMs: number, delayMs: number) => number>('xs_gridmodel_event'),
};
