/**
 * A mistake in the command line or its environment (bad option, bad URL, missing key file,
 * unreachable server): reported on stderr with exit code 2, apart from the exit code 1 of a
 * request that got a non-2xx answer.
 */
export class CliError extends Error {
  readonly exitCode = 2;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
  }
}

/** Output streams of a command, so that it can run in-process in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}
