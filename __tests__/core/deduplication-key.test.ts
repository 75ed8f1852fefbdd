import { defaultDeduplicationKey } from '../../lib';
import type { Notification } from '../../lib';

describe('defaultDeduplicationKey', () => {
  const key = (fields: Record<string, unknown>) =>
    defaultDeduplicationKey(fields as unknown as Notification);

  test.each([
    [{ id: 'n-1', session_key: 's', state: 'COMPLETE' }, 'av:n-1'],
    [{ session_id: 's1', topic: 'task_completion', task_id: 't1' }, 'idv:s1:task_completion:t1'],
    [{ session_id: 's1', topic: 'check_completion', check_id: 'c1' }, 'idv:s1:check_completion:c1'],
    [{ session_id: 's1', topic: 'session_completion' }, 'idv:s1:session_completion'],
    [{ session_id: 's1', topic: 'first_branch_visit' }, 'idv:s1:first_branch_visit'],
    [{ session_id: 's1', topic: 'resource_update', resource_id: 'r1' }, undefined],
    [{ session_id: 's1', topic: 'a_future_topic', future_id: 'f1' }, undefined],
    [{ state: 'COMPLETE' }, undefined],
  ])('%j → %p', (fields, expected) => {
    expect(key(fields)).toBe(expected);
  });

  test('parts are encoded, so ids with separators never collide', () => {
    const a = key({ session_id: 's:1', topic: 'task_completion', task_id: 't' });
    const b = key({ session_id: 's', topic: 'task_completion', task_id: '1:t' });
    expect(a).not.toBe(b);
    expect(key({ id: 'a:b' })).toBe('av:a%3Ab');
  });
});
