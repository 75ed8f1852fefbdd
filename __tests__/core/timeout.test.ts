// withTimeout(): the one timeout race of the claim protocol, enqueue() and the session fetcher.
import { withTimeout } from '../../lib/core/timeout';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a promise that settles in time passes its value or its error through', async () => {
  await expect(withTimeout(Promise.resolve(7), 100, 'late')).resolves.toBe(7);
  const failure = new Error('refused');
  await expect(withTimeout(Promise.reject(failure), 100, 'late')).rejects.toBe(failure);
});

test('a promise slower than ms rejects with the message, at ms and not before', async () => {
  let settled: unknown;
  const raced = withTimeout(new Promise(() => undefined), 100, 'took too long').catch(
    (error: unknown) => (settled = error),
  );
  await jest.advanceTimersByTimeAsync(99);
  expect(settled).toBeUndefined();
  await jest.advanceTimersByTimeAsync(1);
  await raced;
  expect(settled).toEqual(new Error('took too long'));
});

test('a late settlement after the timeout is dropped quietly, and no timer is left behind', async () => {
  let resolveLate!: (value: number) => void;
  const late = new Promise<number>((resolve) => (resolveLate = resolve));
  const raced = expect(withTimeout(late, 50, 'late')).rejects.toThrow('late');
  await jest.advanceTimersByTimeAsync(50);
  await raced;
  resolveLate(1);
  await Promise.resolve();
  await expect(withTimeout(Promise.resolve(2), 50, 'late')).resolves.toBe(2);
  expect(jest.getTimerCount()).toBe(0);
});
