// Worker entry: registers tsx in the worker thread (a worker does not inherit the parent's
// loader hooks) and loads the TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
