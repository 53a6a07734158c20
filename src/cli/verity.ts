/**
 * `cfsboot verity digest|enable|measure`: the fsverity-utils commands composefs needs.
 * Implementations are imported when a command runs, so start-up does not pay for crypto,
 * worker threads or the addon.
 */
import { Command, Option } from 'commander';
import { formatDigestLine } from '../verity/format.js';
import type { HashName } from '../verity/hashes.js';
import { CliError } from './errors.js';
import type { Io } from './io.js';

function hashOption(): Option {
  return new Option('--hash-alg <alg>', 'hash algorithm').choices(['sha256', 'sha512']).default('sha256');
}

function blockSizeOption(): Option {
  return new Option('--block-size <bytes>', 'Merkle tree block size (composefs uses 4096 only)')
    .default('4096')
    .argParser((v) => {
      if (v !== '4096') throw new CliError(`unsupported block size ${v} (composefs uses 4096)`, 2);
      return v;
    });
}

async function fail(e: unknown): Promise<never> {
  const { VerityError } = await import('../verity/kernel.js');
  if (e instanceof VerityError) throw new CliError(e.message);
  throw e;
}

export function verityCommand(io: Io): Command {
  const cmd = new Command('verity').description('fs-verity digests: compute in userspace, enable and measure in the kernel');

  cmd
    .command('digest')
    .description('compute the fs-verity digest of files in userspace (like `fsverity digest`)')
    .addOption(hashOption())
    .addOption(blockSizeOption())
    .option('--compact', 'print only the hex digest')
    .option('--threads <n>', 'threads for one large file (default: cores)', (v) => parsePositive(v, '--threads'))
    .argument('<file...>')
    .action(async (files: string[], opts: { hashAlg: HashName; compact?: boolean; threads?: number }) => {
      const { verityDigestOfFile } = await import('../verity/file-digest.js');
      const { availableParallelism } = await import('node:os');
      for (const file of files) {
        let digest: Buffer;
        try {
          digest = await verityDigestOfFile(file, opts.hashAlg, { threads: opts.threads ?? availableParallelism() });
        } catch (e) {
          throw new CliError(`digest ${(e as Error).message}`);
        }
        io.out(opts.compact ? digest.toString('hex') : formatDigestLine(opts.hashAlg, digest, file));
      }
    });

  cmd
    .command('enable')
    .description('enable fs-verity on files (already enabled counts as success)')
    .addOption(hashOption())
    .addOption(blockSizeOption())
    .argument('<file...>')
    .action(async (files: string[], opts: { hashAlg: HashName }) => {
      const { enableVerityOnFile } = await import('../verity/kernel.js');
      for (const file of files) {
        try {
          await enableVerityOnFile(file, opts.hashAlg);
        } catch (e) {
          await fail(e);
        }
      }
    });

  cmd
    .command('measure')
    .description('print the fs-verity digest the kernel holds for files (like `fsverity measure`)')
    .argument('<file...>')
    .action(async (files: string[]) => {
      const { measureVerityOfFile } = await import('../verity/kernel.js');
      for (const file of files) {
        try {
          const m = measureVerityOfFile(file);
          io.out(formatDigestLine(m.hash, m.digest, file));
        } catch (e) {
          await fail(e);
        }
      }
    });

  return cmd;
}

function parsePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: expected a positive integer, got '${v}'`, 2);
  return n;
}
