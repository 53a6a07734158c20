/** An error that ends the command with a one-line message and a given exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit status for wrong usage (unknown option, missing argument), as most Unix tools. */
export const EXIT_USAGE = 2;

/** Ends the command with `exitCode`; the command has already reported why. */
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
    this.name = 'ExitStatus';
  }
}
