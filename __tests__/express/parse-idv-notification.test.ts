// parseIdvNotification(): validated, frozen IDV notifications on req.notification.
import type { Request, Response } from 'express';
import request from 'supertest';
import { IDV_TOPICS, parseIdvNotification, rawBody } from '../../lib';
import { appWith, EXPRESS_VERSIONS } from '../support/express-versions';
import { payloadFor, SESSION } from '../support/idv-payloads';

const parseOnly = (req: Request, res: Response) => {
  res.json({ notification: req.notification, frozen: Object.isFrozen(req.notification) });
};

describe.each(EXPRESS_VERSIONS)('parseIdvNotification() on %s', (_name, express) => {
  const app = appWith(express, [rawBody(), parseIdvNotification(), parseOnly]);
  const post = (body: string) => request(app).post('/hook').type('json').send(body);

  test.each(IDV_TOPICS)('parses a %s notification', async (topic) => {
    const res = await post(JSON.stringify(payloadFor(topic))).expect(200);
    expect(res.body).toEqual({ notification: payloadFor(topic), frozen: true });
  });

  test('the documented example parses as sent', async () => {
    const body =
      '{"session_id":"04f3b176-dcb8-428e-9b8e-8c8cd0915158","topic":"session_completion"}';
    expect((await post(body).expect(200)).body.notification).toEqual(JSON.parse(body));
  });

  test('keeps extra fields and passes an unknown topic through', async () => {
    const body = {
      session_id: SESSION,
      topic: 'brand_new_topic',
      extra: { nested: [1, 'two'] },
      n: 3,
    };
    expect((await post(JSON.stringify(body)).expect(200)).body.notification).toEqual(body);
  });

  test.each([
    ['not JSON', '{"session_id":', 'PAYLOAD_MALFORMED', undefined],
    ['JSON with a trailing comma', '{"a":1,}', 'PAYLOAD_MALFORMED', undefined],
    ['an array', '[1,2]', 'PAYLOAD_INVALID', ''],
    ['null', 'null', 'PAYLOAD_INVALID', ''],
    ['a string', '"session_completion"', 'PAYLOAD_INVALID', ''],
    ['no session_id', '{"topic":"session_completion"}', 'PAYLOAD_INVALID', 'session_id'],
    [
      'a numeric session_id',
      '{"session_id":42,"topic":"session_completion"}',
      'PAYLOAD_INVALID',
      'session_id',
    ],
    [
      'an empty session_id',
      '{"session_id":"","topic":"session_completion"}',
      'PAYLOAD_INVALID',
      'session_id',
    ],
    ['no topic', `{"session_id":"${SESSION}"}`, 'PAYLOAD_INVALID', 'topic'],
    ['a null topic', `{"session_id":"${SESSION}","topic":null}`, 'PAYLOAD_INVALID', 'topic'],
    [
      'task_completion without task_id',
      `{"session_id":"${SESSION}","topic":"task_completion"}`,
      'PAYLOAD_INVALID',
      'task_id',
    ],
    [
      'check_completion with a numeric check_id',
      `{"session_id":"${SESSION}","topic":"check_completion","check_id":7}`,
      'PAYLOAD_INVALID',
      'check_id',
    ],
    [
      'resource_update without resource_id',
      `{"session_id":"${SESSION}","topic":"resource_update"}`,
      'PAYLOAD_INVALID',
      'resource_id',
    ],
  ])('%s is 400 %s', async (_what, body, code, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    if (field) expect(res.body.message).toContain(field);
  });

  test('a PAYLOAD_INVALID error names its field', async () => {
    const seen: unknown[] = [];
    const capture = express();
    capture.post('/hook', rawBody(), parseIdvNotification(), parseOnly);
    capture.use((err: { field?: string }, _req: Request, res: Response, _next: unknown) => {
      seen.push(err.field);
      res.status(400).end();
    });
    await request(capture)
      .post('/hook')
      .type('json')
      .send(`{"session_id":"${SESSION}","topic":"task_completion"}`);
    expect(seen).toEqual(['task_id']);
  });

  test('a leading byte order mark is not part of the JSON', async () => {
    const body = '\ufeff' + JSON.stringify(payloadFor('session_completion'));
    expect((await post(body).expect(200)).body.notification.topic).toBe('session_completion');
  });

  test('__proto__ and constructor keys pollute nothing', async () => {
    const body = `{"session_id":"${SESSION}","topic":"x","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`;
    const inspect = express();
    inspect.post('/hook', rawBody(), parseIdvNotification(), (req, res) => {
      const n = req.notification as unknown as Record<string, unknown>;
      res.json({
        ownProto: Object.hasOwn(n, '__proto__'),
        protoIsObject: Object.getPrototypeOf(n) === Object.prototype,
        polluted: ({} as Record<string, unknown>).polluted ?? null,
        nPolluted: n.polluted ?? null,
      });
    });
    const res = await request(inspect).post('/hook').type('json').send(body).expect(200);
    expect(res.body).toEqual({
      ownProto: true,
      protoIsObject: true,
      polluted: null,
      nPolluted: null,
    });
  });

  test('without rawBody() first: 500 RAW_BODY_UNAVAILABLE', async () => {
    const broken = appWith(express, [parseIdvNotification(), parseOnly]);
    const res = await request(broken).post('/hook').type('json').send('{}');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('RAW_BODY_UNAVAILABLE');
  });
});
