// Moddable's "timer" module shape (Timer.set / repeat / schedule / clear / delay) over the
// message service's software timers. makeTimer() gives each part its own instance, whose
// timers belong to that part (deleted with it on an update).
import type { Kernel } from './kernel.js';

export interface TimerHandle {
  readonly id: number;
}
export type TimerCallback = (timer: TimerHandle) => void;

export interface TimerModule {
  set(callback: TimerCallback, interval?: number, repeat?: number): TimerHandle;
  repeat(callback: TimerCallback, interval: number): TimerHandle;
  schedule(timer: TimerHandle, interval?: number, repeat?: number): void;
  clear(timer: TimerHandle | undefined | null): void;
  delay(milliseconds: number): void;
}

export function makeTimer(kernel: Kernel, owner: string, spin: (ms: number) => void): TimerModule {
  const handles = new WeakMap<TimerHandle, { repeatMs: number }>();
  function create(callback: TimerCallback, interval: number, repeat: number): TimerHandle {
    if (typeof callback !== 'function') throw new TypeError('callback');
    let handle: TimerHandle;
    const id = kernel.createTimer({
      name: 'timer',
      owner,
      period: interval,
      repeat: false,
      callback: () => {
        const state = handles.get(handle);
        if (state && state.repeatMs > 0) kernel.startTimer(id, state.repeatMs);
        else kernel.deleteTimer(id);
        callback(handle);
      },
    });
    handle = Object.freeze({ id });
    handles.set(handle, { repeatMs: Math.max(repeat, 0) });
    kernel.startTimer(id, Math.max(0, interval));
    return handle;
  }
  return Object.freeze({
    set(callback: TimerCallback, interval = 0, repeat = 0) {
      return create(callback, interval, repeat);
    },
    repeat(callback: TimerCallback, interval: number) {
      return create(callback, interval, interval);
    },
    schedule(timer: TimerHandle, interval = 0, repeat = 0) {
      const state = handles.get(timer);
      if (!state) throw new TypeError('not a timer');
      state.repeatMs = Math.max(repeat, 0);
      kernel.startTimer(timer.id, Math.max(0, interval));
    },
    clear(timer: TimerHandle | undefined | null) {
      if (!timer || !handles.has(timer)) return;
      handles.delete(timer);
      kernel.deleteTimer(timer.id, owner);
    },
    delay(milliseconds: number) {
      spin(milliseconds);
    },
  });
}
