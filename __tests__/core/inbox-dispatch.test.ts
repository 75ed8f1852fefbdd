import { createInboxDispatch } from '../../lib/core/inbox';
import type { JobContext } from '../../lib/core/inbox';
import type { Notification } from '../../lib/core/notification';

const job = (kind: 'idv' | 'age'): JobContext => ({
  id: '1',
  key: undefined,
  attempt: 1,
  receivedAt: new Date(0),
  kind,
});
const idv = (topic: string) => ({ session_id: 's', topic }) as unknown as Notification;
const age = (state: string) => ({ state }) as unknown as Notification;

test('workers match topics and states in any case, like the routers', async () => {
  const seen: string[] = [];
  const dispatch = createInboxDispatch({
    idv: {
      SESSION_COMPLETION: (n: { topic: string }) => void seen.push(`idv ${n.topic}`),
    } as never,
    age: { complete: (n: { state: string }) => void seen.push(`age ${n.state}`) } as never,
    onUnknown: () => void seen.push('unknown'),
  });
  await dispatch(idv('session_completion'), job('idv'));
  await dispatch(age('COMPLETE'), job('age'));
  await dispatch(age('Complete'), job('age'));
  await dispatch(idv('brand_new'), job('idv'));
  expect(seen).toEqual(['idv session_completion', 'age COMPLETE', 'age Complete', 'unknown']);
});

test('an unknown name is a setup TypeError with a hint, unless opted in', async () => {
  expect(() =>
    createInboxDispatch({ idv: { sesion_completion: () => undefined } as never }),
  ).toThrow(
    /inbox\.work idv\.on: unknown topic "sesion_completion"; did you mean "session_completion"\?.*extraTopics/,
  );
  expect(() => createInboxDispatch({ age: { COMPLETED: () => undefined } as never })).toThrow(
    /did you mean "COMPLETE"\?.*extraStates/,
  );
  const seen: string[] = [];
  const dispatch = createInboxDispatch({
    extraTopics: ['future_topic'],
    extraStates: ['PENDING'],
    idv: { future_topic: () => void seen.push('topic') } as never,
    age: { pending: () => void seen.push('state') } as never,
  });
  await dispatch(idv('FUTURE_TOPIC'), job('idv'));
  await dispatch(age('PENDING'), job('age'));
  expect(seen).toEqual(['topic', 'state']);
});
