import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends OptionsConfig> = {
  args: string[];
  options: O;
  strict: true;
  allowPositionals: true;
};

/**
 * `parseArgs` in strict mode, its errors (unknown option, missing value) turned into a
 * {@link CliError} that points at the command's help.
 */
export function parseCommandArgs<O extends OptionsConfig>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<StrictConfig<O>>> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (cause) {
    const error = cause as { code?: string; message?: string };
    // Node's own message goes on about positionals; the option's name is what helps.
    const message =
      error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${/'([^']*)'/.exec(error.message ?? '')?.[1] ?? ''}`
        : String(error.message).split('\n')[0];
    throw new CliError(`${command}: ${message} (see "${command} --help")`, { cause });
  }
}

/** A positive integer option, or the default. */
export function positiveInteger(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number <= 0) {
    throw new CliError(`${command}: --${name} must be a positive integer, got "${value}"`);
  }
  return number;
}

/** `--field name=value`: the value is JSON when it parses, text otherwise. */
export function parseFields(values: readonly string[] = []): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const item of values) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new CliError(`send: --field expects name=value, got "${item}"`);
    const raw = item.slice(equals + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the text itself, so that --field reference_id=abc needs no quoting.
    }
    fields[item.slice(0, equals)] = value;
  }
  return fields;
}

/** `--header 'Name: value'`, repeatable. */
export function parseHeaders(values: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of values) {
    const colon = item.indexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError(`send: --header expects "Name: value", got "${item}"`);
    }
    headers[name] = item.slice(colon + 1).trim();
  }
  return headers;
}
