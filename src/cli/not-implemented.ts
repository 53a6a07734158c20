import { CliError, EXIT_USAGE } from './errors.js';
import type { DropInTool } from './multicall.js';

/** Placeholder for drop-in tools whose issue has not landed yet. */
export function notImplemented(tool: DropInTool, asSubcommand: boolean): never {
  const what = asSubcommand ? `${tool}: ` : '';
  throw new CliError(`${what}not implemented yet in this version of cfsboot`, EXIT_USAGE);
}
