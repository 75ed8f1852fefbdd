import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-error';
import type { CliIo } from './cli-error';
import { inbox } from './inbox';
import { keygen } from './keygen';
import { send } from './send';
import { BIN, INBOX_USAGE, KEYGEN_USAGE, MAIN_USAGE, SEND_USAGE } from './usage';

const COMMANDS: Readonly<Record<string, (args: string[], io: CliIo) => Promise<number>>> = {
  send,
  keygen,
  inbox: (args, io) => inbox(args, io),
};
const USAGES: Readonly<Record<string, string>> = {
  send: SEND_USAGE,
  keygen: KEYGEN_USAGE,
  inbox: INBOX_USAGE,
};

/**
 * Runs the command line `args` (without `node` and the script) and resolves with the exit
 * code: 0 success, 1 a non-2xx answer, 2 a usage or environment error (printed on stderr).
 */
export async function run(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      io.stdout(MAIN_USAGE);
      return 0;
    }
    if (command === '--version' || command === '-v') {
      io.stdout(`${version()}\n`);
      return 0;
    }
    if (command === 'help') {
      const topic = rest[0];
      if (topic !== undefined && USAGES[topic] === undefined) throw unknownCommand(topic);
      io.stdout(topic === undefined ? MAIN_USAGE : (USAGES[topic] as string));
      return 0;
    }
    const handler = COMMANDS[command];
    if (handler === undefined) throw unknownCommand(command);
    return await handler(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`${BIN}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

function unknownCommand(command: string): CliError {
  return new CliError(
    command.startsWith('-')
      ? `unknown option "${command}" (see "${BIN} --help")`
      : `unknown command "${command}" (commands: send, keygen, inbox; see "${BIN} --help")`,
  );
}

function version(): string {
  // dist/cli/ and lib/cli/ are both two levels below the package root.
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  return String(manifest.version);
}
