// The code of the README and of docs/ is these files, verbatim, and this test runs them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import type { Server } from 'node:http';
import { app as composed, tokensBySession } from '../../examples/snippets/compose';
import { basic } from '../support/express-versions';

const root = join(__dirname, '..', '..');
const readme = [
  readFileSync(join(root, 'README.md'), 'utf8'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => readFileSync(join(root, 'docs', name), 'utf8')),
].join('\n');

// The snippets run here; the Jest and node:test examples run in the packaging test, from a
// project that installed the packed package.
test.each([
  ['snippets/quick-start.ts', 'ts'],
  ['snippets/compose.ts', 'ts'],
  ['jest/notifications.test.js', 'js'],
  ['jest/jest.config.cjs', 'js'],
  ['node-test/notifications.test.mjs', 'js'],
  ['../__tests__/hostile/readme-hardening.ts', 'ts'],
])('the README or docs/ shows examples/%s verbatim', (file, language) => {
  const code = readFileSync(join(root, 'examples', file), 'utf8').trimEnd();
  expect(readme).toContain('```' + language + '\n' + code + '\n```');
});

describe('quick start', () => {
  let log: jest.SpyInstance;
  let quickStart: Express;
  let server: Server;
  beforeAll(() => {
    // The snippet listens on PORT (default 3000): a free port here.
    process.env.PORT = '0';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ app: quickStart, server } = require('../../examples/snippets/quick-start') as {
      app: Express;
      server: Server;
    });
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  let warn: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    log.mockRestore();
    warn.mockRestore();
  });

  test('receives an IDV notification with the session token', async () => {
    await request(quickStart)
      .post('/yoti/idv')
      .set('Authorization', basic('yoti:change-me'))
      .type('json')
      .send('{"session_id":"04f3b176-dcb8-428e-9b8e-8c8cd0915158","topic":"session_completion"}')
      .expect(200);
    expect(log).toHaveBeenCalledWith('session completed', '04f3b176-dcb8-428e-9b8e-8c8cd0915158');
    const wrong = await request(quickStart)
      .post('/yoti/idv')
      .set('Authorization', basic('yoti:wrong'))
      .type('json')
      .send('{"session_id":"s","topic":"session_completion"}');
    // What the README's command line sample shows.
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      code: 'AUTH_INVALID',
      message: 'Credentials are not valid',
    });
    expect(log).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls).toEqual([
      ['yoti notification refused: 401 AUTH_INVALID POST /yoti/idv'],
    ]);
    const sample = /```\n(> POST [^`]*)```/.exec(readme)![1]!;
    expect(sample).toContain(`\n\n${JSON.stringify(wrong.body)}\n`);
  });

  test("refuses an age verification notification that Yoti's key did not sign", async () => {
    const res = await request(quickStart)
      .post('/yoti/age')
      .type('json')
      .send(
        '{"method":"AGE_ESTIMATION","result":false,"age":30,"session_key":"69db8ad4-c983-40b3-b95a-a8fa576e70a6","reference_id":"some_reference_id","id":"2480375e-ddc0-4832-9b82-b1d14af5cf75","timestamp":1613482863,"notification_url":"https://mynotification.example.com","evidence_id":"da4070de-3d34-44d7-86d4-7d6fdf547740","state":"COMPLETE","check_type":"NONE","sequence_number":1,"signature":"' +
          Buffer.alloc(384, 7).toString('base64') +
          '"}',
      );
    expect(res.status).toBe(401);
    expect(log).not.toHaveBeenCalled();
  });
});

describe('composed by hand', () => {
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());

  test('per-session Bearer tokens behind a global express.json()', async () => {
    tokensBySession.set('session-a', 'token-a');
    const post = (session: string, token: string, topic = 'session_completion') =>
      request(composed)
        .post('/yoti/idv')
        .set('Authorization', `Bearer ${token}`)
        .type('json')
        .send(JSON.stringify({ session_id: session, topic, task_id: 't' }));
    await post('session-a', 'token-a').expect(200);
    await post('session-a', 'token-a', 'task_completion').expect(200);
    expect((await post('session-b', 'token-a')).status).toBe(401);
    expect(log.mock.calls).toEqual([
      ['fetch the result of', 'session-a'],
      ['task_completion', 'in', 'session-a'],
    ]);
  });
});
