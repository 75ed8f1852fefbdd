// An oracle for lib/core/base64.ts written from RFC 4648 §4, six bits at a time, sharing no
// code with Node's decoder: the bytes of a canonical standard base64 text (padding optional),
// or `undefined` for any other text.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function canonicalBase64(text: string): Buffer | undefined {
  const unpadded = text.replace(/={1,2}$/, '');
  const padding = text.length - unpadded.length;
  // One character carries 6 bits: a group of 1 cannot make a byte.
  if (unpadded.length % 4 === 1) return undefined;
  // Padding, when there is any, completes the last group of four, exactly.
  if (padding > 0 && (unpadded.length + padding) % 4 !== 0) return undefined;
  const bytes: number[] = [];
  let bits = 0;
  let count = 0;
  for (const char of unpadded) {
    const sextet = ALPHABET.indexOf(char);
    if (sextet < 0) return undefined;
    bits = (bits << 6) | sextet;
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push((bits >> count) & 0xff);
      bits &= (1 << count) - 1;
    }
  }
  // The bits left over must be zero in the canonical encoding.
  return bits === 0 ? Buffer.from(bytes) : undefined;
}
