// Type tests: `tsc --noEmit` (run by CI) fails if a narrowing stops working or an
// `@ts-expect-error` stops being an error. The runtime part checks the same values.
import type { Request } from 'express';
import type {
  CheckCompletionNotification,
  IdvNotification,
  IdvTopic,
  Notification,
  SessionCompletionNotification,
  UnknownIdvNotification,
} from '../../lib';
import { IDV_TOPICS, idvNotifications, isKnownTopic, topicRouter } from '../../lib';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(value?: T) => value;

test('topicRouter narrows req.notification per topic', () => {
  topicRouter()
    .on('check_completion', (req) => {
      const id: string = req.notification.check_id;
      assertType<Equal<typeof req.notification.topic, 'check_completion'>>();
      return id;
    })
    .on('session_completion', (req) => {
      // @ts-expect-error a session_completion notification has no check_id
      return req.notification.check_id;
    })
    .on(['task_completion', 'resource_update'], (req) => {
      assertType<Equal<typeof req.notification.topic, 'task_completion' | 'resource_update'>>();
      // @ts-expect-error task_id exists only on one of the two
      return req.notification.task_id;
    })
    .on('a_future_topic', (req) => {
      const extra: unknown = req.notification.anything;
      return extra;
    })
    .onUnknown((req) => {
      if (isKnownTopic(req.notification)) {
        assertType<Equal<typeof req.notification.topic, IdvTopic>>();
      }
      return req.notification.session_id.toUpperCase();
    });
  expect(IDV_TOPICS).toHaveLength(9);
});

test('the union discriminates on topic', () => {
  const n = { session_id: 's', topic: 'check_completion', check_id: 'c' } as IdvNotification;
  if (n.topic === 'check_completion') {
    assertType<Equal<typeof n, CheckCompletionNotification>>();
    expect(n.check_id).toBe('c');
  }
  // @ts-expect-error notifications are read-only
  n.session_id = 'other';
  const topic: IdvTopic = 'first_branch_visit';
  // @ts-expect-error not a known topic
  const wrong: IdvTopic = 'SESSION_COMPLETION';
  expect([topic, wrong]).toHaveLength(2);
  const session: SessionCompletionNotification = { session_id: 's', topic: 'session_completion' };
  const anything: Notification = session;
  const unknown: UnknownIdvNotification = { session_id: 's', topic: 'x', more: 1 };
  expect([anything, unknown]).toHaveLength(2);
});

test('req.notification is typed on every Express request', () => {
  assertType<Equal<Request['notification'], Notification | undefined>>();
  assertType<Equal<Request['rawBody'], Buffer | undefined>>();
  // Preset handlers are checked per topic, too.
  const chain = idvNotifications({
    auth: { scheme: 'bearer', token: 't' },
    handlers: {
      task_completion: (req) => req.notification.task_id,
      // @ts-expect-error no task_id on a check_completion notification
      check_completion: (req) => req.notification.task_id,
    },
  });
  expect(chain).toHaveLength(4);
});
