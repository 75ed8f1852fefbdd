import type { IDVClient } from 'yoti';
import { topicRouter } from 'express-yoti-notifications';
import { createSessionFetcher } from 'express-yoti-notifications/yoti';

export function sessionRouter(client: IDVClient, record: (id: string, verdict: string) => void) {
  const fetchSession = createSessionFetcher({ client, attempts: 5 });
  return topicRouter().on('session_completion', async (req) => {
    // Throws SESSION_FETCH_FAILED (503: Yoti delivers again) when Yoti stays unreachable.
    const session = await fetchSession(req.notification.session_id);
    record(session.sessionId, session.verdict); // 'approved' | 'rejected' | 'not_available' | 'pending'
  });
}
