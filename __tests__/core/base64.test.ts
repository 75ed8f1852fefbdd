import fc from 'fast-check';
import { decodeBase64 } from '../../lib/core/base64';
import { canonicalBase64 } from '../support/base64';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('decodeBase64()', () => {
  test('property: the bytes of any encoding, with its padding or without', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(decodeBase64(text)).toEqual(Buffer.from(bytes));
        expect(decodeBase64(text.replace(/=+$/, ''))).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  test('property: accepts and decodes exactly what a six-bits-at-a-time decoder does', () => {
    const near = fc.string({
      unit: fc.constantFrom(...ALPHABET, '=', '-', '_', ' ', '\n', '.', 'é', '\u0100', '\ud83d'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 40 })), (text) => {
        expect(decodeBase64(text)).toEqual(canonicalBase64(text));
      }),
      { numRuns: 3000 },
    );
  });

  test.each([
    ['', Buffer.alloc(0)],
    ['QQ', Buffer.from('A')],
    ['QQ==', Buffer.from('A')],
    ['QUI', Buffer.from('AB')],
    ['QUI=', Buffer.from('AB')],
    ['QUJD', Buffer.from('ABC')],
    ['+/+/', Buffer.from([0xfb, 0xff, 0xbf])],
    // What Node's decoder would take, and a strict reader must not.
    ['==', undefined],
    ['Q', undefined],
    ['QQ=', undefined], // half the padding
    ['QR==', undefined], // unused low bits set: another spelling of 'A'
    ['QQ===', undefined],
    ['QUJD=', undefined],
    ['Q=Q=', undefined],
    ['QU JD', undefined],
    ['QUJD\n', undefined],
    ['-_-_', undefined], // URL-safe alphabet
    ['QUJ\u0144', undefined],
  ])('%j → %p', (text, expected) => {
    expect(decodeBase64(text)).toEqual(expected);
  });
});
