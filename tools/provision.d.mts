// Types of tools/provision.mjs for the TypeScript tests.
export interface ProvisionDevice {
  eui64: string | bigint;
  psk: string;
  deny?: boolean;
}
export function provisionRecord(o: {
  eui64: string | bigint;
  psk: string;
  seed: string;
  devices?: ProvisionDevice[];
  listedOnly?: boolean;
  pad?: number;
}): Buffer;
