import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { createTestSigner } from '../testing/test-signer';
import { parseCommandArgs, positiveInteger } from './arguments';
import { CliError } from './cli-error';
import type { CliIo } from './cli-error';
import { BIN, KEYGEN_USAGE } from './usage';

const OPTIONS = {
  bits: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `keygen <dir>`: writes private.pem and public.pem for signing test notifications. */
export async function keygen(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('keygen', args, OPTIONS);
  if (values.help) {
    io.stdout(KEYGEN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      positionals.length === 0
        ? 'keygen: missing <dir> (see "keygen --help")'
        : `keygen: unexpected argument "${positionals[1]}" (see "keygen --help")`,
    );
  }
  const bits = positiveInteger('keygen', 'bits', values.bits, 3072);
  if (bits < 2048) throw new CliError('keygen: --bits must be at least 2048');

  const dir = resolve(positionals[0] as string);
  const privatePath = join(dir, 'private.pem');
  const publicPath = join(dir, 'public.pem');
  if (!values.force) {
    // Checked before writing anything, so that a refusal never leaves half a new pair.
    for (const path of [privatePath, publicPath]) {
      if (existsSync(path)) throw new CliError(`keygen: ${path} exists (use --force to overwrite)`);
    }
  }
  const signer = await createTestSigner({ modulusLength: bits });
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(privatePath, signer.privateKey, { mode: 0o600 });
    // `mode` applies to new files only; an overwritten key must not stay readable by others.
    await chmod(privatePath, 0o600);
    await writeFile(publicPath, signer.publicKey, { mode: 0o644 });
  } catch (cause) {
    const error = cause as NodeJS.ErrnoException;
    throw new CliError(`keygen: cannot write to ${dir}: ${error.code ?? error.message}`, { cause });
  }
  io.stdout(
    `Wrote a ${bits}-bit RSA test key pair:\n` +
      `  ${privatePath}\n` +
      `  ${publicPath}\n\n` +
      `Sign:   ${BIN} send <url> --age --key ${privatePath}\n` +
      `Verify: ageVerificationNotifications({ publicKey: fs.readFileSync('${publicPath}', 'utf8'), handlers })\n` +
      `These are test keys: in production, notifications are signed with Yoti's key.\n`,
  );
  return 0;
}
