// What the XS engine provides beyond ES2022 and this firmware uses: lockdown/harden
// (mxLockdown) and Compartment. The buffer types are the ones @moddable/typings modules use.
declare class HostBuffer {
  readonly byteLength: number;
  private brand: boolean;
}
interface ArrayBufferTypes {
  HostBuffer: HostBuffer;
}
type BufferLike = ArrayBuffer | HostBuffer | Uint8Array | Uint8ClampedArray | Int8Array | DataView;

declare function lockdown(): void;
declare function harden<T>(value: T): T;

interface CompartmentModuleDescriptor {
  source?: string;
  namespace?: string | object;
  specifier?: string;
}
interface CompartmentOptions {
  globals?: object;
  globalLexicals?: object;
  modules?: { [specifier: string]: CompartmentModuleDescriptor };
  resolveHook?: (importSpecifier: string, referrerSpecifier: string) => string;
  loadHook?: (specifier: string) => Promise<CompartmentModuleDescriptor>;
  loadNowHook?: (specifier: string) => CompartmentModuleDescriptor;
}
declare class Compartment {
  constructor(options?: CompartmentOptions);
  readonly globalThis: { [key: string]: unknown };
  import(specifier: string): Promise<{ [key: string]: unknown }>;
  importNow(specifier: string): { [key: string]: unknown };
  evaluate(source: string): unknown;
}
