import { Dispatcher } from '../../lib/core/dispatcher';

test('resolves own handlers, then the fallback, then nothing', () => {
  const dispatcher = new Dispatcher<() => string>('router');
  const a = () => 'a';
  const fallback = () => 'fallback';
  expect(dispatcher.resolve('a')).toBeUndefined();
  dispatcher.on(['a', 'b'], a);
  expect(dispatcher.resolve('b')).toBe(a);
  expect(dispatcher.resolve('c')).toBeUndefined();
  dispatcher.onUnknown(fallback);
  expect(dispatcher.resolve('c')).toBe(fallback);
  expect(dispatcher.resolve('a')).toBe(a);
});

test('setup mistakes name the router', () => {
  const dispatcher = new Dispatcher<() => void>('stateRouter');
  dispatcher.on('COMPLETE', () => undefined);
  expect(() => dispatcher.on('COMPLETE', () => undefined)).toThrow(
    /stateRouter\.on: "COMPLETE" already/,
  );
  expect(() => dispatcher.on('X', undefined as never)).toThrow(TypeError);
  expect(() => dispatcher.on(42 as never, () => undefined)).toThrow(TypeError);
  expect(() => dispatcher.on([1] as never, () => undefined)).toThrow(TypeError);
  expect(() => dispatcher.onUnknown(null as never)).toThrow(TypeError);
});
