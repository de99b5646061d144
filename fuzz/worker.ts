// Runs one TypeScript target under fast-check in a worker thread (fuzz/run.ts starts it). Before
// each input it copies the input into the shared buffer and bumps the execution counter, so that
// the parent can tell a hang (the counter stands still) and save the input that caused it, also
// when the worker has to be terminated. The worker's heap is bounded by the parent
// (resourceLimits): an input that makes it run out of memory is saved the same way.
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { arbitrary, target, type TsTarget } from './targets.js';

interface Job {
  name: string;
  runs: number;
  timeMs: number;
  seed: number;
  slowMs: number;
  shared: SharedArrayBuffer;
  replay?: Uint8Array[];
}
const job = workerData as Job;
const t = target(job.name) as TsTarget;
const state = new Int32Array(job.shared, 0, 4); // [executions, input length, ...]
const input = new Uint8Array(job.shared, 16);

function one(b: Uint8Array): void {
  input.set(b.subarray(0, input.length));
  Atomics.store(state, 1, b.length);
  Atomics.add(state, 0, 1);
  const t0 = performance.now();
  t.check(b);
  const ms = performance.now() - t0;
  if (ms > job.slowMs) {
    // timed again: a pause of the garbage collector or of a loaded machine is not the input's
    const t1 = performance.now();
    t.check(b);
    const again = performance.now() - t1;
    if (again > job.slowMs) throw new Error(`slow input: ${ms.toFixed(0)} ms, then ${again.toFixed(0)} ms > ${job.slowMs} ms`);
  }
}

const started = performance.now();
// the saved corpus first, each input once; then, if it replayed clean, new inputs
const failures: { input: Uint8Array; error: string }[] = [];
for (const b of job.replay ?? []) {
  try {
    one(b);
  } catch (e) {
    failures.push({ input: b, error: String((e as Error)?.stack ?? e) });
  }
}
const replayed = Atomics.load(state, 0);
let runs = 0,
  shrinks = 0;
if (failures.length === 0 && job.runs > 0) {
  const r = fc.check(
    fc.property(arbitrary(t), (b) => {
      one(b);
    }),
    {
      numRuns: job.runs,
      seed: job.seed,
      ...(job.timeMs > 0 ? { interruptAfterTimeLimit: job.timeMs, markInterruptAsFailure: false } : {}),
    },
  );
  runs = r.numRuns;
  shrinks = r.numShrinks;
  if (r.failed && r.counterexample)
    failures.push({
      input: r.counterexample[0] as Uint8Array,
      error: String((r.errorInstance as Error)?.stack ?? r.errorInstance),
      fresh: true,
    } as never);
}
parentPort!.postMessage({
  done: true,
  executions: Atomics.load(state, 0),
  replayed,
  runs,
  shrinks,
  ms: performance.now() - started,
  heap: process.memoryUsage().heapUsed,
  failures,
});
