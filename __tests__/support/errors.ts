// What a call threw, for tests that assert a stable error code: one helper instead of a
// try/catch in each test file.
import { NotificationError } from '../../lib/core/errors';

/**
 * The `NotificationError` that `run` throws. Fails the test when it returns, or throws
 * anything else.
 */
export function thrown(run: () => unknown): NotificationError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NotificationError);
  return caught as NotificationError;
}

/** The `code` of the `NotificationError` that `run` throws (see {@link thrown}). */
export function codeOf(run: () => unknown): string {
  return thrown(run).code;
}

/**
 * The `NotificationError` that `promise` rejects with. Fails the test when it resolves, or
 * rejects with anything else.
 */
export async function rejection(promise: Promise<unknown>): Promise<NotificationError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(NotificationError);
  return outcome as NotificationError;
}
