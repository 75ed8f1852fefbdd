import pg from 'pg';
import { defaultDeduplicationKey } from 'express-yoti-notifications';
import type { IdvNotification } from 'express-yoti-notifications';
import { PgBossInbox } from 'express-yoti-notifications/pg-boss';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres';
export const pool = new pg.Pool({ connectionString: url });
export const inbox = new PgBossInbox({ connectionString: url });

// The application's own write and the notification's job in one transaction: both or neither.
export async function recordAndEnqueue(notification: IdvNotification): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const key = defaultDeduplicationKey(notification);
    const entry = { kind: 'idv' as const, key, notification, receivedAt: Date.now() };
    await inbox.store(entry, { db: client });
    await client.query('INSERT INTO yoti_sessions (session_id) VALUES ($1)', [
      notification.session_id,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
