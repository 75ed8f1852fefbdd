import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ageVerificationNotifications, idvNotifications, rawBody } from '../../lib';
import type { Notification } from '../../lib';
import {
  createTestSigner,
  deliver,
  mockAgeVerificationNotification,
  mockIdvNotification,
} from '../../lib/testing';
import type { TestSigner } from '../../lib/testing';
import type * as Kit from '../../lib/testing';
import { codeErrorHandler, EXPRESS_VERSIONS } from '../support/express-versions';

const FIXTURES = join(__dirname, '..', 'fixtures', 'age-verification');

let signer: TestSigner;
beforeAll(async () => {
  // The fixture key: a fresh key is not the point of these tests.
  signer = await createTestSigner({
    privateKey: readFileSync(join(FIXTURES, 'rsa-3072-private.pem'), 'utf8'),
  });
});

describe.each(EXPRESS_VERSIONS)('deliver (%s)', (_name, express) => {
  function appFor(auth: { scheme: 'basic' | 'bearer'; token: string }) {
    const received: Notification[] = [];
    const app = express();
    app.use(
      '/yoti/idv',
      idvNotifications({
        auth,
        handlers: { session_completion: (req) => void received.push(req.notification) },
      }),
    );
    app.use(
      '/yoti/age',
      ageVerificationNotifications({
        publicKey: signer.publicKey,
        handlers: { COMPLETE: (req) => void received.push(req.notification) },
      }),
    );
    app.post('/echo', rawBody(), (req, res) => {
      res.json({ body: req.rawBody?.toString('utf8'), headers: req.headers });
    });
    app.use(codeErrorHandler);
    return { app, received };
  }

  test.each([
    ['basic', 'yoti:s3cret'],
    ['bearer', 'a-session-token'],
  ] as const)('%s: the right token is accepted, a wrong one gets 401', async (scheme, token) => {
    const { app, received } = appFor({ scheme, token });
    const notification = mockIdvNotification('session_completion');
    await deliver(app, '/yoti/idv', notification, { auth: { scheme, token } }).expect(200);
    expect(received).toEqual([notification]);

    const wrong = await deliver(app, '/yoti/idv', notification, {
      auth: { scheme, token: token + 'x' },
    }).expect(401);
    expect(wrong.body.code).toBe('AUTH_INVALID');
    expect(wrong.headers['www-authenticate']).toMatch(scheme === 'basic' ? /^Basic / : /^Bearer /);
    const none = await deliver(app, '/yoti/idv', notification).expect(401);
    expect(none.body.code).toBe('AUTH_MISSING');
    expect(received).toHaveLength(1);
  });

  test.each([
    ['a trailing newline', 'tok\n', /ends with a newline/],
    ['a control character', 't\x01ok', /control character/],
  ])(
    'a Bearer token with %s is a TypeError from the package, before anything is sent',
    (_what, token, hint) => {
      const { app, received } = appFor({ scheme: 'bearer', token: 'tok' });
      const send = () =>
        deliver(app, '/yoti/idv', mockIdvNotification('session_completion'), {
          auth: { scheme: 'bearer', token },
        });
      expect(send).toThrow(TypeError);
      expect(send).toThrow(/^authorizationHeader: /);
      expect(send).toThrow(hint);
      expect(send).not.toThrow(/Invalid character in header content/);
      expect(received).toEqual([]);
    },
  );

  test('the body is JSON.stringify of the payload, a string payload goes as is', async () => {
    const { app } = appFor({ scheme: 'basic', token: 'u:p' });
    const payload = { b: 1, a: 'x y' };
    const asObject = await deliver(app, '/echo', payload).expect(200);
    expect(asObject.body.body).toBe(JSON.stringify(payload));
    expect(asObject.body.headers['content-type']).toBe('application/json');
    expect(asObject.body.headers.authorization).toBeUndefined();
    const text = '{ "b" : 1,\n "a":"x y" }';
    const asText = await deliver(app, '/echo', text).expect(200);
    expect(asText.body.body).toBe(text);
  });

  test('headers are added, and win over the defaults', async () => {
    const { app } = appFor({ scheme: 'basic', token: 'u:p' });
    const echoed = await deliver(
      app,
      '/echo',
      {},
      {
        auth: { scheme: 'bearer', token: 't' },
        headers: { 'X-Request-Id': 'r1' },
      },
    ).expect(200);
    expect(echoed.body.headers['x-request-id']).toBe('r1');
    expect(echoed.body.headers.authorization).toBe('Bearer t');
    const refused = await deliver(app, '/yoti/idv', mockIdvNotification('session_completion'), {
      auth: { scheme: 'basic', token: 'u:p' },
      headers: { 'Content-Type': 'text/plain' },
    }).expect(415);
    expect(refused.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('a signed age verification notification is accepted, an unsigned one is not', async () => {
    const { app, received } = appFor({ scheme: 'basic', token: 'u:p' });
    const signed = signer.sign(mockAgeVerificationNotification());
    await deliver(app, '/yoti/age', signed).expect(200);
    expect(received).toEqual([signed]);
    const unsigned = await deliver(app, '/yoti/age', mockAgeVerificationNotification()).expect(401);
    expect(unsigned.body.code).toBe('SIGNATURE_MISSING');
    const tampered = await deliver(app, '/yoti/age', { ...signed, age: 99 }).expect(401);
    expect(tampered.body.code).toBe('SIGNATURE_INVALID');
  });

  test('a listening server or its URL can be the target', async () => {
    const { app, received } = appFor({ scheme: 'basic', token: 'u:p' });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const auth = { scheme: 'basic', token: 'u:p' } as const;
      await deliver(server, '/yoti/idv', mockIdvNotification('session_completion'), {
        auth,
      }).expect(200);
      await deliver(
        `http://127.0.0.1:${port}`,
        '/yoti/idv',
        mockIdvNotification('session_completion'),
        {
          auth,
        },
      ).expect(200);
      expect(received).toHaveLength(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

test('without supertest, deliver() fails with how to install it; the rest of the kit works', () => {
  jest.isolateModules(() => {
    jest.doMock('supertest', () => {
      throw Object.assign(new Error("Cannot find module 'supertest'"), {
        code: 'MODULE_NOT_FOUND',
      });
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const kit = require('../../lib/testing') as typeof Kit;
    expect(kit.mockIdvNotification('session_completion').topic).toBe('session_completion');
    expect(() => kit.deliver(() => undefined, '/', {})).toThrow(
      /deliver\(\) needs supertest.*npm install --save-dev supertest/,
    );
  });
  jest.dontMock('supertest');
});
