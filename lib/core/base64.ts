/**
 * Decodes standard base64 (RFC 4648 §4) that is the canonical encoding of its bytes, padding
 * optional, or returns `undefined`. Node's decoder skips what is not base64 (whitespace, `=`
 * inside, `.`) and takes the URL-safe `-` and `_` too; so the bytes are encoded back and must
 * give the text received: anything skipped, a URL-safe character, surplus padding or unused
 * low bits set in the last character refuses the text. One genuine value therefore has one
 * spelling, which neither a signature nor a credential check has to reason about.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  if (text === canonical) return bytes;
  const padding = canonical.endsWith('==') ? 2 : canonical.endsWith('=') ? 1 : 0;
  return padding > 0 && text === canonical.slice(0, -padding) ? bytes : undefined;
}
