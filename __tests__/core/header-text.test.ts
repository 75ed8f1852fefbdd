import { trimSpacesAndTabs } from '../../lib/core/header-text';

test('trimSpacesAndTabs drops only spaces and tabs at either end', () => {
  expect(trimSpacesAndTabs(' \t a b \t ')).toBe('a b');
  expect(trimSpacesAndTabs('\u00a0a\u00a0')).toBe('\u00a0a\u00a0');
  expect(trimSpacesAndTabs('\u3000a\r\n')).toBe('\u3000a\r\n');
  expect(trimSpacesAndTabs(' \t ')).toBe('');
  expect(trimSpacesAndTabs('')).toBe('');
});

test('trimSpacesAndTabs is linear on a long run of spaces', () => {
  // A regex anchored at the end backtracks quadratically here; the loop reads each once.
  const text = 'x' + ' '.repeat(200_000) + 'y' + ' '.repeat(200_000);
  expect(trimSpacesAndTabs(text)).toBe(text.slice(0, 200_002));
});
