// Type tests: `tsc --noEmit` checks this file (each `@ts-expect-error` must meet an error),
// and jest runs it, so the calls below are also made for real.
import type { Request } from 'express';
import {
  AGE_VERIFICATION_STATES,
  ageVerificationNotifications,
  createSignatureVerifier,
  stateRouter,
  verifySignature,
} from '../../lib';
import type {
  AgeVerificationNotification,
  AgeVerificationNotificationOf,
  AgeVerificationState,
  SignatureMatch,
  VerifiedAgeVerification,
} from '../../lib';
import { publicPem } from '../support/sign-age-verification';

test('stateRouter().on narrows req.notification to the state', () => {
  const router = stateRouter()
    .on('COMPLETE', (req) => {
      const s: 'COMPLETE' = req.notification.state;
      req.notification.session_key.toUpperCase();
      const age: number = req.notification.age;
      const timestamp: number = req.notification.timestamp;
      const sequence: number | undefined = req.notification.sequence_number;
      const reference: string | undefined = req.notification.reference_id;
      // @ts-expect-error: reading a field the notification does not have
      void req.notification.session_id;
      // @ts-expect-error: the state is COMPLETE, not FAIL
      const wrong: 'FAIL' = req.notification.state;
      void [s, age, timestamp, sequence, reference, wrong];
    })
    .on(['FAIL'], (req) => {
      const s: 'FAIL' | 'ERROR' = req.notification.state;
      // @ts-expect-error: not COMPLETE here
      const complete: 'COMPLETE' = req.notification.state;
      void [s, complete];
    })
    .on('error', (req) => {
      // Either case; narrowed to the upper-case state.
      const s: 'ERROR' = req.notification.state;
      void s;
    })
    .onUnknown((req) => {
      // Open sets: any string, with the known ones still assignable.
      const state: string = req.notification.state;
      const method: string = req.notification.method;
      const checkType: string | undefined = req.notification.check_type;
      // @ts-expect-error: an open string is not narrowed to the known literals
      const known: AgeVerificationState = req.notification.state;
      // @ts-expect-error: the notification is read-only
      req.notification.state = 'COMPLETE';
      void [state, method, checkType, known];
    });
  expect(typeof router).toBe('function');
});

test('a state Yoti adds later compiles only when opted in', () => {
  const router = stateRouter({ extraStates: ['PENDING_REVIEW'] }).on('pending_review', (req) => {
    // A state Yoti adds later is a string literal too.
    const s: 'PENDING_REVIEW' = req.notification.state;
    void s;
  });
  expect(router.states).toEqual(['PENDING_REVIEW']);
  const states: ReadonlyArray<AgeVerificationState | 'PENDING_REVIEW'> = router.states;
  // @ts-expect-error a misspelt state
  expect(() => stateRouter().on('COMPLETED', () => undefined)).toThrow(TypeError);
  // @ts-expect-error an unknown state
  expect(() => stateRouter().on('PENDING_REVIEW', () => undefined)).toThrow(TypeError);
  expect(() =>
    ageVerificationNotifications({
      // @ts-expect-error a misspelt handler key
      handlers: { COMPLETED: () => undefined },
    }),
  ).toThrow(TypeError);
  const chain = ageVerificationNotifications({
    extraStates: ['PENDING_REVIEW'],
    handlers: {
      complete: (req) => {
        const s: 'COMPLETE' = req.notification.state;
        void s;
      },
      PENDING_REVIEW: (req) => {
        const s: 'PENDING_REVIEW' = req.notification.state;
        void s;
      },
    },
  });
  expect([states, chain.topics]).toEqual([['PENDING_REVIEW'], ['COMPLETE', 'PENDING_REVIEW']]);
});

test('the handler may be async, may use res, and must take the right request', () => {
  stateRouter().on('FAIL', async (req, res) => {
    await Promise.resolve(req.notification.evidence_id);
    res.status(202).end();
  });
  // @ts-expect-error: a handler for another request type does not fit
  stateRouter().on('COMPLETE', (req: { notification: { topic: string } }) => req);
  // @ts-expect-error: states are strings
  expect(() => stateRouter().on(42, () => undefined)).toThrow(TypeError);
  expect(AGE_VERIFICATION_STATES).toEqual(['COMPLETE', 'FAIL', 'ERROR']);
});

test('ageVerificationNotifications() handlers are narrowed by state', () => {
  const chain = ageVerificationNotifications({
    publicKey: publicPem('rsa-3072'),
    canonicalization: ['strip-whitespace', 'compact'],
    maxAgeSeconds: 3600,
    now: () => Date.now(),
    limit: '16kb',
    handlers: {
      COMPLETE: (req) => {
        const s: 'COMPLETE' = req.notification.state;
        void s;
      },
      ERROR: (req) => {
        // @ts-expect-error: ERROR handler sees ERROR
        const s: 'FAIL' = req.notification.state;
        void s;
      },
    },
    onUnknown: (req) => {
      const n: AgeVerificationNotification = req.notification;
      void n;
    },
  });
  expect(chain).toHaveLength(3);
  // @ts-expect-error: handlers is required
  expect(() => ageVerificationNotifications({})).toThrow(TypeError);
  // @ts-expect-error: canonicalization names are checked
  expect(() => verifySignature({ canonicalization: 'pretty' })).toThrow(TypeError);
});

test('the verifier result and req.notificationSignature are typed', () => {
  const verify = createSignatureVerifier({ publicKey: publicPem('rsa-3072') });
  const check = (result: VerifiedAgeVerification) => {
    const index: number = result.keyIndex;
    const name: 'strip-whitespace' | 'compact' | 'custom' = result.canonicalization;
    void [index, name];
  };
  const fromRequest = (req: Request) => {
    const how: SignatureMatch | undefined = req.notificationSignature;
    const thumbprint: string | undefined = how?.keyThumbprint;
    return thumbprint;
  };
  type Complete = AgeVerificationNotificationOf<'COMPLETE'>;
  const state: Complete['state'] = 'COMPLETE';
  expect([typeof verify, typeof check, typeof fromRequest, state]).toEqual([
    'function',
    'function',
    'function',
    'COMPLETE',
  ]);
});
