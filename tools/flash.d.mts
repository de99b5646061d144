// Types of tools/flash.mjs for the TypeScript tests.
export interface FlashCommand {
  cmd: string;
  args: string[];
}
export interface FlashPlan {
  kit: string;
  tool: string;
  role: string;
  elf: string;
  dryRun: boolean;
  commands: FlashCommand[];
}
export const KITS: Record<string, { platform: string; roles: string[]; role: string; openocd: string }>;
export const TOOLS: readonly string[];
export const USAGE: string;
export class FlashUsageError extends Error {}
export function flashPlan(argv: string[], root?: string): FlashPlan;
