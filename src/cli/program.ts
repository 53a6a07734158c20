/** The `cfsboot` command tree. */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_USAGE, ExitStatus } from './errors.js';
import { writeFd, type Io } from './io.js';
import { DROP_IN_TOOLS, type DropInTool } from './multicall.js';
import { verityCommand } from './verity.js';
import { repoCommand } from './repo.js';
import { mkcomposefsCommand } from './mkcomposefs.js';
import { composefsInfoCommand } from './composefs-info.js';
import { setupRootCommand } from './setup-root.js';
import { mountComposefsCommand } from './mount-composefs.js';
import { mountCommand } from './mount.js';
import { statusCommand } from './status.js';
import { checkCommand } from './check.js';
import { VERSION } from '../version.js';

const TOOL_SUBCOMMAND: Record<DropInTool, { name: string; summary: string }> = {
  'composefs-setup-root': { name: 'setup-root', summary: 'mount the composefs root in the initramfs (drop-in for composefs-setup-root)' },
  mkcomposefs: { name: 'mkcomposefs', summary: 'build a composefs EROFS image (drop-in for mkcomposefs)' },
  'composefs-info': { name: 'composefs-info', summary: 'inspect a composefs image (drop-in for composefs-info)' },
  'mount.composefs': { name: 'mount.composefs', summary: 'mount a composefs image (drop-in for mount.composefs)' },
};

function configure(cmd: Command, name: string, io: Io): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => writeFd(1, s),
      writeErr: (s) => writeFd(2, s),
      outputError: (s) => io.err(`${name}: ${s.replace(/^error: /, '').trimEnd()}`),
    });
}

function dropIn(tool: DropInTool, commandName: string, io: Io, asSubcommand: boolean): Command {
  const label = asSubcommand ? `cfsboot ${commandName}` : tool;
  switch (tool) {
    case 'mkcomposefs': return configure(mkcomposefsCommand(commandName, io), label, io);
    case 'composefs-setup-root': return configure(setupRootCommand(commandName, io), label, io);
    case 'mount.composefs': return configure(mountComposefsCommand(commandName, io, label), label, io);
    case 'composefs-info': return configure(composefsInfoCommand(commandName, io, asSubcommand), label, io);
  }
}

/** The subcommands, by name, each built only when needed. */
function subcommands(io: Io): Array<[string, () => Command]> {
  return [
    ['verity', () => configure(verityCommand(io), 'cfsboot verity', io)],
    ['repo', () => configure(repoCommand(io), 'cfsboot repo', io)],
    ['mount', () => configure(mountCommand(io), 'cfsboot mount', io)],
    ['status', () => configure(statusCommand(io), 'cfsboot status', io)],
    ['check', () => configure(checkCommand(io), 'cfsboot check', io)],
    ...DROP_IN_TOOLS.map((tool): [string, () => Command] => [TOOL_SUBCOMMAND[tool].name, () => dropIn(tool, TOOL_SUBCOMMAND[tool].name, io, true)]),
  ];
}

/**
 * The `cfsboot` command tree. With `args`, only what they can reach is built: the named
 * subcommand, or none for `--version` (building every command's options costs a few ms of start).
 */
export function buildProgram(io: Io, args?: readonly string[]): Command {
  const program = configure(new Command('cfsboot'), 'cfsboot', io)
    .description('composefs boot helper: verify a composefs repository and image with fs-verity and mount the root')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)');
  const all = subcommands(io);
  const first = args?.[0];
  const named = all.filter(([name]) => name === first);
  const wanted = first === '-V' || first === '--version' ? [] : named.length > 0 ? named : all;
  for (const [, build] of wanted) program.addCommand(build());
  for (const c of program.commands) for (const s of c.commands) configure(s, `cfsboot ${c.name()} ${s.name()}`, io);
  return program;
}

/** Runs the program; returns the exit status. Every failure is one line on stderr. */
export async function runProgram(program: Command, args: string[], io: Io, label: string): Promise<number> {
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof ExitStatus) return e.exitCode;
    if (e instanceof CliError) {
      io.err(`${label}: ${e.message}`);
      return e.exitCode;
    }
    const err = e as Error;
    io.err(`${label}: ${err?.message ?? String(e)}`);
    return 1;
  }
}

/** Entry for a drop-in name (argv without the program name). */
export async function runDropIn(tool: DropInTool, args: string[], io: Io): Promise<number> {
  const cmd = dropIn(tool, tool, io, false);
  return runProgram(cmd, args, io, tool);
}
