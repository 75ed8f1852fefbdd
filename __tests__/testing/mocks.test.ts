import { AGE_VERIFICATION_STATES, IDV_TOPICS, IDV_TOPIC_ID_FIELDS } from '../../lib';
import type {
  CheckCompletionNotification,
  IdvNotificationOf,
  SessionCompletionNotification,
  UnknownIdvNotification,
} from '../../lib';
import { toIdvNotification } from '../../lib/core/idv-notification';
import { mockAgeVerificationNotification, mockIdvNotification } from '../../lib/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The fields of SPEC §2 in the documented order, without error_code (optional) and signature. */
const DOCUMENTED_AGE_FIELDS = [
  'method',
  'result',
  'age',
  'session_key',
  'reference_id',
  'id',
  'timestamp',
  'notification_url',
  'evidence_id',
  'state',
  'check_type',
  'sequence_number',
];

describe('mockIdvNotification', () => {
  test.each(IDV_TOPICS)('%s: session_id, the id field of the topic, topic', (topic) => {
    const mock = mockIdvNotification(topic) as Record<string, unknown>;
    const idField = (IDV_TOPIC_ID_FIELDS as Record<string, string | undefined>)[topic];
    expect(Object.keys(mock)).toEqual(
      idField === undefined ? ['session_id', 'topic'] : ['session_id', idField, 'topic'],
    );
    expect(mock.topic).toBe(topic);
    expect(mock.session_id).toMatch(UUID);
    if (idField !== undefined) expect(mock[idField]).toMatch(UUID);
    // The parser the middleware uses accepts it.
    expect(toIdvNotification(JSON.parse(JSON.stringify(mock)))).toEqual(mock);
  });

  test('every call draws fresh uuids', () => {
    const a = mockIdvNotification('check_completion');
    const b = mockIdvNotification('check_completion');
    expect(a.session_id).not.toBe(b.session_id);
    expect(a.check_id).not.toBe(b.check_id);
    expect(a.session_id).not.toBe(a.check_id);
  });

  test('an unknown topic gets session_id and topic only', () => {
    const mock = mockIdvNotification('brand_new_topic');
    expect(Object.keys(mock)).toEqual(['session_id', 'topic']);
    expect(mock.topic).toBe('brand_new_topic');
  });

  test('overrides replace in place, add at the end, and remove with undefined', () => {
    const mock = mockIdvNotification('task_completion', {
      task_id: 'task-1',
      extra: { nested: true },
      session_id: 'session-1',
    });
    expect(mock).toEqual({
      session_id: 'session-1',
      task_id: 'task-1',
      topic: 'task_completion',
      extra: { nested: true },
    });
    expect(Object.keys(mock)).toEqual(['session_id', 'task_id', 'topic', 'extra']);
    const incomplete = mockIdvNotification('task_completion', { task_id: undefined });
    expect(Object.keys(incomplete)).toEqual(['session_id', 'topic']);
    expect(() => toIdvNotification(incomplete)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_INVALID', field: 'task_id' }),
    );
  });

  test('a bad topic or overrides throw a TypeError', () => {
    expect(() => mockIdvNotification('')).toThrow(TypeError);
    expect(() => mockIdvNotification(undefined as unknown as string)).toThrow(TypeError);
    expect(() => mockIdvNotification('session_completion', [] as never)).toThrow(TypeError);
  });

  test('types: a known topic returns its own notification type, overrides are checked', () => {
    const check: CheckCompletionNotification = mockIdvNotification('check_completion');
    const session: SessionCompletionNotification = mockIdvNotification('session_completion', {
      session_id: 's',
    });
    const unknown: UnknownIdvNotification = mockIdvNotification('some_future_topic', { x: 1 });
    const generic = <T extends 'resource_update' | 'task_completion'>(topic: T) =>
      mockIdvNotification(topic) as IdvNotificationOf<T>;
    expect(generic('resource_update').resource_id).toMatch(UUID);
    expect([check.check_id, session.session_id, unknown.topic]).toHaveLength(3);

    // @ts-expect-error check_id is a string
    mockIdvNotification('check_completion', { check_id: 42 });
    // @ts-expect-error a session_completion notification has no check_id
    void mockIdvNotification('session_completion').check_id;
    // @ts-expect-error session_id is a string for unknown topics too
    mockIdvNotification('some_future_topic', { session_id: 1 });
  });
});

describe('mockAgeVerificationNotification', () => {
  test('every documented field, in the documented order, unsigned', () => {
    const before = Math.floor(Date.now() / 1000);
    const mock = mockAgeVerificationNotification();
    const after = Math.floor(Date.now() / 1000);
    expect(Object.keys(mock)).toEqual(DOCUMENTED_AGE_FIELDS);
    expect(mock).toMatchObject({
      method: 'AGE_ESTIMATION',
      result: true,
      state: 'COMPLETE',
      sequence_number: 1,
    });
    expect(mock).not.toHaveProperty('signature');
    for (const field of ['session_key', 'id', 'evidence_id'] as const) {
      expect(mock[field]).toMatch(UUID);
    }
    expect(Number.isSafeInteger(mock.timestamp)).toBe(true);
    expect(mock.timestamp).toBeGreaterThanOrEqual(before);
    expect(mock.timestamp).toBeLessThanOrEqual(after);
    expect(Number.isSafeInteger(mock.age)).toBe(true);
  });

  test.each([...AGE_VERIFICATION_STATES, 'SOME_NEW_STATE'])(
    'state %s: set in place, result true only for COMPLETE',
    (state) => {
      const mock = mockAgeVerificationNotification({ state });
      expect(Object.keys(mock)).toEqual(DOCUMENTED_AGE_FIELDS);
      expect(mock.state).toBe(state);
      expect(mock.result).toBe(state === 'COMPLETE');
    },
  );

  test('fresh ids every call; overrides replace, add at the end, remove with undefined', () => {
    const a = mockAgeVerificationNotification();
    const b = mockAgeVerificationNotification();
    expect(a.id).not.toBe(b.id);
    expect(a.session_key).not.toBe(b.session_key);
    const mock = mockAgeVerificationNotification({
      age: 17,
      result: true,
      error_code: 'SOME_ERROR',
      reference_id: undefined,
    });
    expect(mock.age).toBe(17);
    expect(mock.result).toBe(true);
    expect(Object.keys(mock)).toEqual([
      ...DOCUMENTED_AGE_FIELDS.filter((field) => field !== 'reference_id'),
      'error_code',
    ]);
  });

  test('types: overrides are checked, and narrow the result', () => {
    const fail = mockAgeVerificationNotification({ state: 'FAIL', custom: 1 });
    const state: 'FAIL' = fail.state;
    const custom: 1 = fail.custom;
    expect([state, custom]).toEqual(['FAIL', 1]);
    // @ts-expect-error age is a number
    mockAgeVerificationNotification({ age: '18' });
    // @ts-expect-error timestamp is a number of seconds
    mockAgeVerificationNotification({ timestamp: new Date() });
    // A signature can be set, to test a refusal: it is an ordinary (unchecked) field here.
    expect(mockAgeVerificationNotification({ signature: 'x' }).signature).toBe('x');
  });
});
