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
    .onUnknown((req) => {
      if (isKnownTopic(req.notification)) {
        assertType<Equal<typeof req.notification.topic, IdvTopic>>();
      }
      return req.notification.session_id.toUpperCase();
    });
  expect(IDV_TOPICS).toHaveLength(9);
});

test('topic names match in either case; an unknown one compiles only when opted in', () => {
  const router = topicRouter()
    .on('SESSION_COMPLETION', (req) => {
      assertType<Equal<typeof req.notification.topic, 'session_completion'>>();
      // @ts-expect-error narrowed like 'session_completion': no check_id
      return req.notification.check_id;
    })
    .on(['CHECK_COMPLETION', 'task_completion'], (req) => {
      assertType<Equal<typeof req.notification.topic, 'check_completion' | 'task_completion'>>();
      return req.notification.session_id;
    });
  const handled: readonly IdvTopic[] = router.topics;
  expect(handled).toEqual(['session_completion', 'check_completion', 'task_completion']);
  // @ts-expect-error a misspelt topic is not a topic
  expect(() => topicRouter().on('sesion_completion', () => undefined)).toThrow(TypeError);
  // @ts-expect-error nor inside a list
  expect(() => topicRouter().on(['task_completion', 'chek'], () => undefined)).toThrow(TypeError);
  const future = topicRouter({ extraTopics: ['a_future_topic'] }).on('A_FUTURE_TOPIC', (req) => {
    const topic: string = req.notification.topic;
    const extra: unknown = req.notification.anything;
    return [topic, extra];
  });
  expect(future.topics).toEqual(['a_future_topic']);
  // @ts-expect-error opting in to one topic does not admit another
  expect(() => topicRouter({ extraTopics: ['a_future_topic'] }).on('other', () => 0)).toThrow(
    TypeError,
  );
});

test('preset handler keys: either case, misspelt ones refused unless opted in', () => {
  const auth = { scheme: 'basic' as const, token: 'user:pass' };
  const chain = idvNotifications({
    auth,
    handlers: {
      SESSION_COMPLETION: (req) => {
        assertType<Equal<typeof req.notification.topic, 'session_completion'>>();
        return req.notification.session_id;
      },
      check_completion: (req) => req.notification.check_id,
    },
  });
  const subscribed: readonly IdvTopic[] = chain.topics;
  expect(subscribed).toEqual(['session_completion', 'check_completion']);
  expect(() =>
    idvNotifications({
      auth,
      // @ts-expect-error a misspelt handler key
      handlers: { sesion_completion: () => undefined },
    }),
  ).toThrow(TypeError);
  const future = idvNotifications({
    auth,
    extraTopics: ['a_future_topic'],
    handlers: {
      a_future_topic: (req) => {
        const extra: unknown = req.notification.anything;
        return extra;
      },
      task_completion: (req) => req.notification.task_id,
    },
  });
  const withFuture: ReadonlyArray<IdvTopic | 'a_future_topic'> = future.topics;
  // @ts-expect-error the opted-in topic is among them
  const knownOnly: readonly IdvTopic[] = future.topics;
  expect([withFuture, knownOnly]).toEqual([
    ['a_future_topic', 'task_completion'],
    ['a_future_topic', 'task_completion'],
  ]);
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
