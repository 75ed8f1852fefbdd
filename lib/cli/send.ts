import { readFile } from 'node:fs/promises';
import type { AuthScheme } from '../core/auth';
import { authorizationHeader } from '../testing/authorization-header';
import { mockAgeVerificationNotification } from '../testing/mock-age-verification-notification';
import { mockIdvNotification } from '../testing/mock-idv-notification';
import { createTestSigner } from '../testing/test-signer';
import { parseCommandArgs, parseFields, parseHeaders, positiveInteger } from './arguments';
import { CliError } from './cli-error';
import type { CliIo } from './cli-error';
import { postNotification } from './post';
import { SEND_USAGE } from './usage';

const DEFAULT_TIMEOUT_MS = 10_000;

const OPTIONS = {
  topic: { type: 'string' },
  auth: { type: 'string' },
  session: { type: 'string' },
  age: { type: 'boolean' },
  key: { type: 'string' },
  state: { type: 'string' },
  reference: { type: 'string' },
  canonicalization: { type: 'string' },
  field: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `send <url> …`: posts one mock notification and prints the answer. */
export async function send(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('send', args, OPTIONS);
  if (values.help) {
    io.stdout(SEND_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new CliError('send: missing <url> (see "send --help")');
  if (positionals.length > 1) {
    throw new CliError(`send: unexpected argument "${positionals[1]}" (see "send --help")`);
  }
  const url = parseUrl(positionals[0] as string);
  const timeoutMs = positiveInteger('send', 'timeout', values.timeout, DEFAULT_TIMEOUT_MS);
  const fields = parseFields(values.field);
  const headers: Record<string, string> = {};

  let body: string;
  if (values.age) {
    if (values.topic !== undefined) {
      throw new CliError('send: give --topic (IDV) or --age (age verification), not both');
    }
    if (values.auth !== undefined) {
      throw new CliError(
        'send: --auth is for IDV notifications; age verification ones carry a signature instead',
      );
    }
    body = await signedAgeVerification(values, fields);
  } else {
    for (const ageOnly of ['key', 'state', 'reference', 'canonicalization'] as const) {
      if (values[ageOnly] !== undefined) {
        throw new CliError(`send: --${ageOnly} applies to age verification notifications (--age)`);
      }
    }
    if (values.topic === undefined || values.topic.length === 0) {
      throw new CliError(
        'send: give --topic <topic> for an IDV notification, or --age for an age verification one',
      );
    }
    if (values.auth !== undefined)
      headers.Authorization = authorizationHeader(parseAuth(values.auth));
    const overrides =
      values.session === undefined ? fields : { session_id: values.session, ...fields };
    body = JSON.stringify(mockIdvNotification(values.topic.toLowerCase(), overrides));
  }
  Object.assign(headers, parseHeaders(values.header));

  const response = await postNotification(url, body, headers, timeoutMs, io);
  return response.ok ? 0 : 1;
}

type SendValues = {
  session?: string;
  key?: string;
  state?: string;
  reference?: string;
  canonicalization?: string;
};

async function signedAgeVerification(
  values: SendValues,
  fields: Record<string, unknown>,
): Promise<string> {
  if (values.key === undefined) {
    throw new CliError(
      'send: --age needs --key <private.pem>, the key to sign with; the server must verify with ' +
        'its public key. Create a test pair with "keygen <dir>".',
    );
  }
  const canonicalization = values.canonicalization ?? 'strip-whitespace';
  if (canonicalization !== 'strip-whitespace' && canonicalization !== 'compact') {
    throw new CliError(
      `send: --canonicalization must be strip-whitespace or compact, got "${canonicalization}"`,
    );
  }
  let pem: string;
  try {
    pem = await readFile(values.key, 'utf8');
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause);
    throw new CliError(`send: cannot read key file ${values.key}: ${reason}`, { cause });
  }
  let signer;
  try {
    signer = await createTestSigner({ privateKey: pem, canonicalization });
  } catch (cause) {
    throw new CliError(`send: ${values.key} is not an RSA private key in PEM form`, { cause });
  }
  const overrides: Record<string, unknown> = {};
  if (values.state !== undefined) overrides.state = values.state.toUpperCase();
  if (values.session !== undefined) overrides.session_key = values.session;
  if (values.reference !== undefined) overrides.reference_id = values.reference;
  return signer.signedBody(mockAgeVerificationNotification({ ...overrides, ...fields }));
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new CliError(`send: invalid URL "${text}" (expected e.g. http://localhost:3000/yoti)`, {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`send: the URL must be http: or https:, got "${url.protocol}"`);
  }
  return url;
}

function parseAuth(text: string): { scheme: AuthScheme; token: string } {
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const token = text.slice(colon + 1);
  if ((scheme !== 'basic' && scheme !== 'bearer') || token.length === 0) {
    throw new CliError(
      'send: --auth expects basic:<username:password> or bearer:<token>, e.g. --auth basic:user:pass',
    );
  }
  return { scheme, token };
}
