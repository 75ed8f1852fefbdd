/**
 * Content type checks for the raw body reader, on plain header strings.
 * Patterns: a full type (`application/json`), a wildcard type or subtype (`*\/*`,
 * `text/*`), or a structured syntax suffix (`application/*+json`, RFC 6839).
 */

import { trimSpacesAndTabs } from './header-text';

const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]+))/i;

/** The JSON media types Yoti sends and JSON parsers accept. */
export const DEFAULT_JSON_TYPES: readonly string[] = ['application/json', 'application/*+json'];

/** A parsed `Content-Type`: lower-cased essence and charset (if any). */
export interface ContentType {
  readonly essence: string;
  readonly charset: string | undefined;
}

/**
 * Parses a `Content-Type` header; `undefined` when absent or malformed. A sender repeats the
 * same few header values, so results are remembered, up to {@link PARSED_TYPES_KEPT} of them.
 */
export function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined) return undefined;
  const known = parsedTypes.get(header);
  if (known !== undefined || parsedTypes.has(header)) return known;
  const parsed = parse(header);
  if (parsedTypes.size < PARSED_TYPES_KEPT && header.length <= 128) parsedTypes.set(header, parsed);
  return parsed;
}

/** How many distinct `Content-Type` values {@link parseContentType} remembers. */
export const PARSED_TYPES_KEPT = 64;
const parsedTypes = new Map<string, ContentType | undefined>();

function parse(header: string): ContentType | undefined {
  const semicolon = header.indexOf(';');
  const essence = trimSpacesAndTabs(
    semicolon < 0 ? header : header.slice(0, semicolon),
  ).toLowerCase();
  if (!MEDIA_TYPE.test(essence)) return undefined;
  const match = semicolon < 0 ? null : CHARSET.exec(header.slice(semicolon));
  const charset = match ? (match[1] ?? match[2])?.toLowerCase() : undefined;
  return Object.freeze({ essence, charset });
}

/**
 * Compiles media type patterns into a matcher, once.
 *
 * @throws {TypeError} for an empty list or a malformed pattern.
 */
export function compileTypeMatcher(
  patterns: string | readonly string[],
  where = 'rawBody',
): (essence: string) => boolean {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (!Array.isArray(list) || list.length === 0)
    throw new TypeError(`${where}: type list is empty`);
  const tests = list.map((pattern: unknown) => {
    const lower = typeof pattern === 'string' ? pattern.trim().toLowerCase() : '';
    if (!MEDIA_TYPE.test(lower)) {
      throw new TypeError(`${where}: ${JSON.stringify(pattern)} is not a media type pattern`);
    }
    const [type, subtype] = lower.split('/') as [string, string];
    return (essence: string): boolean => {
      const slash = essence.indexOf('/');
      const t = essence.slice(0, slash);
      const s = essence.slice(slash + 1);
      if (type !== '*' && type !== t) return false;
      if (subtype === '*') return true;
      if (subtype.startsWith('*+')) return s.endsWith(subtype.slice(1));
      return subtype === s;
    };
  });
  return (essence) => tests.some((test) => test(essence));
}

/** Whether a charset label names UTF-8 (or its subset US-ASCII). */
export function isUtf8Charset(charset: string): boolean {
  return charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Reads a byte size: a number of bytes, or a string such as `'64kb'` or `'1mb'` (1024-based,
 * as body-parser reads them).
 *
 * @throws {TypeError} for anything else, or a size that is not a positive integer.
 */
export function parseByteSize(size: number | string, where: string): number {
  let bytes = Number.NaN;
  if (typeof size === 'number') bytes = size;
  else if (typeof size === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(size);
    if (match) bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!);
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new TypeError(`${where}: limit must be a positive number of bytes or a size like '64kb'`);
  }
  return bytes;
}
