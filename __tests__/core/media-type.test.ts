import {
  compileTypeMatcher,
  isUtf8Charset,
  parseByteSize,
  parseContentType,
} from '../../lib/core/media-type';

test('parseContentType', () => {
  expect(parseContentType('Application/JSON ; Charset="UTF-8"')).toEqual({
    essence: 'application/json',
    charset: 'utf-8',
  });
  expect(parseContentType('application/json;charset=utf8;x=y')).toEqual({
    essence: 'application/json',
    charset: 'utf8',
  });
  expect(parseContentType('application/json')).toEqual({
    essence: 'application/json',
    charset: undefined,
  });
  expect(parseContentType(undefined)).toBeUndefined();
  expect(parseContentType('json')).toBeUndefined();
  expect(parseContentType('a/b/c')).toBeUndefined();
  // Only spaces and tabs surround the essence; 0xA0 (which String#trim drops) is part of it.
  expect(parseContentType(' \tapplication/json\t; charset=utf-8')).toEqual({
    essence: 'application/json',
    charset: 'utf-8',
  });
  expect(parseContentType('application/json\u00a0')).toBeUndefined();
  expect(parseContentType('\u00a0application/json;charset=utf-8')).toBeUndefined();
});

test('compileTypeMatcher', () => {
  const json = compileTypeMatcher(['application/json', 'application/*+json']);
  expect(json('application/json')).toBe(true);
  expect(json('application/ld+json')).toBe(true);
  expect(json('application/jsonx')).toBe(false);
  expect(json('text/json')).toBe(false);
  expect(compileTypeMatcher('*/*')('x/y')).toBe(true);
  expect(compileTypeMatcher('text/*')('text/plain')).toBe(true);
  expect(compileTypeMatcher('text/*')('application/plain')).toBe(false);
  expect(() => compileTypeMatcher([])).toThrow(TypeError);
  expect(() => compileTypeMatcher(['ok/ok', 42 as never])).toThrow(TypeError);
});

test('isUtf8Charset', () => {
  expect(['utf-8', 'utf8', 'us-ascii'].every(isUtf8Charset)).toBe(true);
  expect(['latin1', 'utf-16', 'iso-8859-1'].some(isUtf8Charset)).toBe(false);
});

test('parseByteSize', () => {
  expect(parseByteSize(10, 'x')).toBe(10);
  expect(parseByteSize('64kb', 'x')).toBe(65536);
  expect(parseByteSize('1.5MB', 'x')).toBe(1572864);
  expect(parseByteSize('1gb', 'x')).toBe(1024 ** 3);
  expect(parseByteSize(' 100 ', 'x')).toBe(100);
  for (const bad of [0, -1, 1.5, '0kb', 'ten', '', null, Infinity]) {
    expect(() => parseByteSize(bad as never, 'x')).toThrow(TypeError);
  }
});
