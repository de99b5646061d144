// Types of tools/renode.mjs for the TypeScript tests and the harness.
export interface RenodeFound {
  renode: string;
  test: string | undefined;
  dir: string;
  pysite: string | undefined;
}
export const RENODE_INSTALL: string;
export const RENODE_DEBIAN_PACKAGES: readonly string[];
export function findRenode(env?: NodeJS.ProcessEnv): RenodeFound | undefined;
export function renodeTestEnv(found: RenodeFound, env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
