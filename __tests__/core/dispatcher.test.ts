import { closestName, Dispatcher, stateNames, topicNames } from '../../lib/core/dispatcher';
import { AGE_VERIFICATION_STATES } from '../../lib/core/age-verification-notification';
import { IDV_TOPICS } from '../../lib/core/idv-notification';

const topics = (extra?: string[]) =>
  new Dispatcher<() => string>('topicRouter', topicNames(IDV_TOPICS, extra, 'the option'));
const states = (extra?: string[]) =>
  new Dispatcher<() => string>('stateRouter', stateNames(AGE_VERIFICATION_STATES, extra, 'x'));

test('resolves own handlers, then the fallback, then nothing', () => {
  const dispatcher = topics();
  const a = () => 'a';
  const fallback = () => 'fallback';
  expect(dispatcher.resolve('task_completion')).toBeUndefined();
  dispatcher.on(['task_completion', 'check_completion'], a);
  expect(dispatcher.resolve('check_completion')).toBe(a);
  expect(dispatcher.resolve('session_completion')).toBeUndefined();
  expect(dispatcher.handles('session_completion')).toBe(false);
  dispatcher.onUnknown(fallback);
  expect(dispatcher.resolve('session_completion')).toBe(fallback);
  expect(dispatcher.resolve('never_heard_of')).toBe(fallback);
  expect(dispatcher.handles('never_heard_of')).toBe(true);
  expect(dispatcher.resolve('task_completion')).toBe(a);
  expect(dispatcher.names).toEqual(['task_completion', 'check_completion']);
});

test('topics and states match in any case, registered and arriving', () => {
  const topic = () => 'topic';
  const byTopic = topics();
  byTopic.on('SESSION_COMPLETION', topic);
  expect(byTopic.resolve('session_completion')).toBe(topic);
  expect(byTopic.resolve('Session_Completion')).toBe(topic);
  expect(byTopic.names).toEqual(['session_completion']);
  expect(() => byTopic.on('session_completion', topic)).toThrow(/already has a handler/);

  const state = () => 'state';
  const byState = states();
  byState.on(['complete', 'Fail'], state);
  expect(byState.resolve('COMPLETE')).toBe(state);
  expect(byState.resolve('fail')).toBe(state);
  expect(byState.resolve('ERROR')).toBeUndefined();
  expect(byState.names).toEqual(['COMPLETE', 'FAIL']);
  // The same name twice in one list is refused like a second call.
  expect(() => states().on(['ERROR', 'error'], state)).toThrow(/"error" already has a handler/);
});

test('an unknown name is a TypeError naming the closest known one and the opt-in', () => {
  expect(() => topics().on('sesion_completion', () => '')).toThrow(
    new TypeError(
      'topicRouter.on: unknown topic "sesion_completion"; did you mean "session_completion"? ' +
        'For a topic newer than this package, opt in with the option.',
    ),
  );
  expect(() => topics().on(['task_completion', 'CHEK_COMPLETION'], () => '')).toThrow(
    /"CHEK_COMPLETION"; did you mean "check_completion"\?/,
  );
  expect(() => states().on('COMPLETED', () => '')).toThrow(/did you mean "COMPLETE"\?/);
  expect(() => states().on('FAILED', () => '')).toThrow(
    /unknown state "FAILED"; did you mean "FAIL"/,
  );
  // Nothing of a refused list is registered.
  const dispatcher = topics();
  expect(() => dispatcher.on(['task_completion', 'nope'], () => '')).toThrow(TypeError);
  expect(dispatcher.names).toEqual([]);
  // Object.prototype names are names like any other.
  expect(() => topics().on('constructor', () => '')).toThrow(/unknown topic "constructor"/);
  expect(topics().resolve('__proto__')).toBeUndefined();
});

test('opted-in names are accepted in any case; others still refused', () => {
  const future = () => 'future';
  const dispatcher = topics(['Future_Topic']);
  dispatcher.on('FUTURE_TOPIC', future);
  expect(dispatcher.resolve('future_topic')).toBe(future);
  expect(() => dispatcher.on('other_topic', future)).toThrow(TypeError);
  expect(() => topics([''])).toThrow(/the option must be a list of non-empty strings/);
  expect(() => topics('future' as never)).toThrow(TypeError);
  expect(() => states([42 as never])).toThrow(TypeError);
});

test('closestName picks the smallest edit distance, the first of equals', () => {
  expect(closestName('sesion_completion', IDV_TOPICS)).toBe('session_completion');
  expect(closestName('task_complete', IDV_TOPICS)).toBe('task_completion');
  expect(closestName('ab', ['xb', 'ay'])).toBe('xb');
  expect(closestName('x', [])).toBeUndefined();
});

test('setup mistakes name the router', () => {
  const dispatcher = states();
  dispatcher.on('COMPLETE', () => '');
  expect(() => dispatcher.on('COMPLETE', () => '')).toThrow(/stateRouter\.on: "COMPLETE" already/);
  expect(() => dispatcher.on('FAIL', undefined as never)).toThrow(TypeError);
  expect(() => dispatcher.on(42 as never, () => '')).toThrow(TypeError);
  expect(() => dispatcher.on([1] as never, () => '')).toThrow(TypeError);
  expect(() => dispatcher.on([], () => '')).toThrow(TypeError);
  expect(() => dispatcher.onUnknown(null as never)).toThrow(TypeError);
  dispatcher.onUnknown(() => '');
  expect(() => dispatcher.onUnknown(() => '')).toThrow(/already set/);
});
