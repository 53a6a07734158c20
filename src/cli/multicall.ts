/**
 * Multi-call dispatch: the executable behaves as a drop-in tool when invoked through a link
 * carrying that tool's name.
 */
import * as path from 'node:path';

export const DROP_IN_TOOLS = ['composefs-setup-root', 'mkcomposefs', 'composefs-info', 'mount.composefs'] as const;
export type DropInTool = (typeof DROP_IN_TOOLS)[number];

function asTool(name: string | undefined): DropInTool | undefined {
  if (name === undefined) return undefined;
  const base = path.basename(name).replace(/\.(c?js|mjs|ts)$/, '');
  return (DROP_IN_TOOLS as readonly string[]).includes(base) ? (base as DropInTool) : undefined;
}

/**
 * Which tool the process was invoked as. `argv0` is the name the caller used (`process.argv0`:
 * for the single executable, the link's own name, not its target); `script` is the script path
 * when running the bundle under node (`process.argv[1]`).
 */
export function invokedTool(argv0: string, script: string | undefined): DropInTool | undefined {
  return asTool(argv0) ?? asTool(script);
}
