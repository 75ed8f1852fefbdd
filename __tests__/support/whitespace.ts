/** Every character of JavaScript's `\s`: what a whitespace-stripped signature does not see. */
export const WHITESPACE_CHARACTERS: readonly string[] = [
  ' ',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\u00a0',
  '\u1680',
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
];

/** The fields whose values Yoti generates (SPEC §2.2), read from the specification. */
export const GENERATED_FIELDS: readonly string[] = [
  'id',
  'session_key',
  'evidence_id',
  'state',
  'method',
  'check_type',
  'error_code',
];
