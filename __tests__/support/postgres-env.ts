// Whether the Postgres server tests can run, decided synchronously (jest collects tests before
// any hook runs): DATABASE_URL must be set and its server accept a TCP connection. Under CI
// (CI=true) a missing or unreachable Postgres fails the run; elsewhere those tests are skipped,
// announced once by the global setup. The PGlite tests need no server and always run.
import { spawnSync } from 'node:child_process';

/** The Postgres server under test, e.g. `postgres://postgres@127.0.0.1:5433/postgres`. */
export const DATABASE_URL = process.env.DATABASE_URL;
const IN_CI = process.env.CI === 'true';
export const POSTGRES_HOW_TO =
  'start one with: bash scripts/postgres-server.sh start && DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres npm test';

function probe(): string | undefined {
  if (DATABASE_URL === undefined || DATABASE_URL === '') return 'DATABASE_URL is not set';
  const url = new URL(DATABASE_URL);
  const script = `
    const socket = require('node:net').connect(${Number(url.port || 5432)}, ${JSON.stringify(url.hostname)});
    socket.setTimeout(2000, () => process.exit(2));
    socket.on('error', () => process.exit(3));
    socket.on('connect', () => process.exit(0));`;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 5000 });
  return result.status === 0 ? undefined : `Postgres at ${url.host} does not accept connections`;
}

/** Why the Postgres server tests cannot run here, or `undefined` when they can. */
export const POSTGRES_UNAVAILABLE = probe();

/**
 * `describe` when a Postgres server is there. Otherwise: under CI, one failing test that says
 * why; elsewhere `describe.skip`, announced once per run by the global setup.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (POSTGRES_UNAVAILABLE === undefined) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      test('needs Postgres (required under CI)', () => {
        throw new Error(`${POSTGRES_UNAVAILABLE}; ${POSTGRES_HOW_TO}`);
      });
    });
  } else {
    describe.skip(name, body);
  }
}
