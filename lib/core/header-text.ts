/**
 * A header value without the spaces and tabs around it: the only whitespace HTTP allows
 * there (RFC 9110 §5.6.3). Not `String.prototype.trim`, which also drops 0xA0, a byte a
 * client may send (the last byte of the UTF-8 of 'à'). A loop, not a regex anchored at the
 * end, which backtracks quadratically on a long run of spaces.
 */
export function trimSpacesAndTabs(text: string): string {
  const blank = (i: number) => text[i] === ' ' || text[i] === '\t';
  let start = 0;
  let end = text.length;
  while (start < end && blank(start)) start++;
  while (end > start && blank(end - 1)) end--;
  return text.slice(start, end);
}
