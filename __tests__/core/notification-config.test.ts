// The session side must serialise exactly as Yoti's own SDK does, so apps can switch freely.
import { NotificationConfigBuilder } from 'yoti';
import { IDV_TOPICS, idvNotificationConfig } from '../../lib';

type Case = {
  name: string;
  endpoint: string;
  auth?: { scheme: 'basic' | 'bearer'; token: string };
  topics?: string[];
};

function sdkJson({ endpoint, auth, topics }: Case): string {
  const builder = new NotificationConfigBuilder().withEndpoint(endpoint);
  if (auth) {
    builder.withAuthToken(auth.token);
    if (auth.scheme === 'basic') builder.withAuthTypeBasic();
    else builder.withAuthTypeBearer();
  }
  for (const topic of topics ?? []) builder.withTopic(topic.toUpperCase());
  return JSON.stringify(builder.build());
}

const cases: Case[] = [
  {
    name: 'basic, two topics',
    endpoint: 'https://app.example/yoti/idv',
    auth: { scheme: 'basic', token: 'username:password' },
    topics: ['session_completion', 'check_completion'],
  },
  {
    name: 'bearer, every topic',
    endpoint: 'https://app.example/yoti/idv?tenant=a&b=1',
    auth: { scheme: 'bearer', token: 'eyJhbGciOi.x.y' },
    topics: [...IDV_TOPICS],
  },
  {
    name: 'duplicated topics, mixed case',
    endpoint: 'https://app.example/n',
    auth: { scheme: 'bearer', token: 't' },
    topics: ['task_completion', 'TASK_COMPLETION', 'session_completion', 'task_completion'],
  },
  { name: 'no auth', endpoint: 'https://app.example/n', topics: ['resource_update'] },
  {
    name: 'no topics',
    endpoint: 'https://app.example/n',
    auth: { scheme: 'basic', token: 'ü:ñ "quoted" \\ /' },
  },
  {
    name: 'an unknown topic',
    endpoint: 'https://app.example/n',
    auth: { scheme: 'bearer', token: 't' },
    topics: ['future_topic'],
  },
];

describe('idvNotificationConfig()', () => {
  test.each(cases)('$name: byte for byte what the yoti SDK builder serialises', (c) => {
    const ours = JSON.stringify(idvNotificationConfig(c as never));
    expect(ours).toBe(sdkJson(c));
  });

  test('the documented shape', () => {
    expect(
      idvNotificationConfig({
        endpoint: 'https://app.example/yoti/idv',
        auth: { scheme: 'basic', token: 'username:password' },
        topics: ['session_completion'],
      }),
    ).toEqual({
      auth_token: 'username:password',
      auth_type: 'BASIC',
      endpoint: 'https://app.example/yoti/idv',
      topics: ['SESSION_COMPLETION'],
    });
  });

  test.each([
    ['an http endpoint', { endpoint: 'http://app.example/n' }],
    ['a relative endpoint', { endpoint: '/yoti/idv' }],
    ['no endpoint', {}],
    ['an empty topic', { endpoint: 'https://a.example/', topics: [''] }],
    [
      'an unknown scheme',
      { endpoint: 'https://a.example/', auth: { scheme: 'digest', token: 'a:b' } },
    ],
    ['an empty token', { endpoint: 'https://a.example/', auth: { scheme: 'bearer', token: '' } }],
    [
      'a Basic token without colon',
      { endpoint: 'https://a.example/', auth: { scheme: 'basic', token: 'abc' } },
    ],
  ])('%s is a TypeError', (_what, options) => {
    expect(() => idvNotificationConfig(options as never)).toThrow(TypeError);
  });

  test.each([
    [
      'a Bearer token with a trailing newline',
      'bearer',
      's3cret\n',
      /ends with a newline.*trim it/,
    ],
    ['a Basic token with a trailing newline', 'basic', 'user:s3cret\n', /ends with a newline/],
    ['a token with a leading space', 'bearer', ' s3cret', /starts with whitespace/],
    ['a control character', 'bearer', 's3\x00cret', /control character/],
    ['a Promise', 'bearer', Promise.resolve('s3cret'), /did you forget await\?/],
  ])(
    '%s is the TypeError authHeader() gives, never quoting the token',
    (_what, scheme, token, hint) => {
      const config = () =>
        idvNotificationConfig({ endpoint: 'https://a.example/', auth: { scheme, token } } as never);
      expect(config).toThrow(TypeError);
      expect(config).toThrow(/^idvNotificationConfig: /);
      expect(config).toThrow(hint);
      expect(config).not.toThrow(/s3cret/);
    },
  );
});
