// A private Postgres server for the inbox fault tests, so that killing it never disturbs the
// Postgres other tests share: a throwaway cluster (initdb) in a temporary directory, on a free
// loopback port, with Postgres's durable defaults (fsync on, synchronous_commit on: a
// committed transaction is in the write-ahead log on disk before the commit returns). Postgres
// refuses to run as root; as root, it runs as the `postgres` user (setpriv).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The directory of initdb, postgres and pg_isready: PG_BIN, else the real directory of the
 * `initdb` on the PATH (often a link into /usr/lib/postgresql/<major>/bin), else Debian's
 * /usr/lib/postgresql/<major>/bin of the highest major (Debian puts none of them on the PATH).
 */
function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') {
    return path.dirname(realpathSync(found.stdout.trim()));
  }
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((name) => existsSync(path.join(debian, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors[0] === undefined ? undefined : path.join(debian, majors[0], 'bin');
}

/** As root: the uid and gid of `postgres`, to run the server as. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  return Number.isInteger(uid) && uid > 0 ? { uid, gid } : undefined;
}

/** Why a private Postgres cannot be run here, or `undefined` when it can. */
export const POSTGRES_SERVER_MISSING = ((): string | undefined => {
  const bin = binDir();
  if (bin === undefined) return 'the Postgres server binaries (initdb) are not installed';
  if (process.getuid?.() === 0 && postgresUser() === undefined) {
    return 'running as root, and there is no postgres user to run Postgres as';
  }
  return undefined;
})();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The postmaster and the processes it started (from Linux's /proc). */
function serverProcesses(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => parentOf(Number(entry)) === postmaster)
    .map(Number);
  return [postmaster, ...children];
}

/** `/proc/<pid>/stat`: `pid (name) state ppid …`; the name may hold spaces and parentheses. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const parentOf = (pid: number) => Number(procStat(pid)?.[1]);
// A zombie has exited and released its memory; only its exit status is left to collect.
const isRunning = (pid: number) => {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
};

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** A postgres server child process on a free loopback port. */
export class OwnPostgres {
  port = 0;
  readonly #dir = mkdtempSync(path.join(os.tmpdir(), 'inbox-postgres-'));
  readonly #data = path.join(this.#dir, 'data');
  readonly #bin = binDir();
  readonly #user = postgresUser();
  #initialised = false;
  #child: ChildProcess | undefined;

  /** A connection string for the `postgres` database, as the `postgres` user (trust auth). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  #run(file: string, args: string[]): { command: string; args: string[] } {
    const command = path.join(this.#bin!, file);
    if (this.#user === undefined) return { command, args };
    return {
      command: 'setpriv',
      args: [
        `--reuid=${this.#user.uid}`,
        `--regid=${this.#user.gid}`,
        '--clear-groups',
        command,
        ...args,
      ],
    };
  }

  /** Starts it (on the same port and data after a kill or a stop) and waits until it answers. */
  async start(): Promise<void> {
    if (this.#bin === undefined) throw new Error(POSTGRES_SERVER_MISSING);
    if (this.port === 0) this.port = await freePort();
    if (!this.#initialised) {
      if (this.#user !== undefined) chownSync(this.#dir, this.#user.uid, this.#user.gid);
      // --no-sync only for the empty cluster's files; the server itself runs with fsync on.
      const init = this.#run('initdb', [
        '-D',
        this.#data,
        '-U',
        'postgres',
        '-A',
        'trust',
        '--no-sync',
      ]);
      const result = spawnSync(init.command, init.args, { encoding: 'utf8', timeout: 60_000 });
      if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
      this.#initialised = true;
    }
    const server = this.#run('postgres', [
      '-D',
      this.#data,
      '-p',
      String(this.port),
      '-h',
      '127.0.0.1',
      '-k',
      this.#dir,
      '-c',
      'fsync=on',
      '-c',
      'synchronous_commit=on',
    ]);
    // Its log goes to a file (appended across restarts), quoted when it does not start.
    const log = path.join(this.#dir, 'server.log');
    const fd = openSync(log, 'a');
    const child = spawn(server.command, server.args, {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.#child = child;
    const deadline = Date.now() + 30_000;
    const ready = this.#run('pg_isready', ['-h', '127.0.0.1', '-p', String(this.port)]);
    while (spawnSync(ready.command, ready.args, { timeout: 5_000 }).status !== 0) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const why = child.exitCode !== null ? `exited with ${child.exitCode}` : 'no answer in 30 s';
        throw new Error(
          `postgres did not start on port ${this.port} (${why}); its log ends:\n` +
            readFileSync(log, 'utf8').slice(-2_000),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Each backend is its own session leader, outside the postmaster's process group; one
    // that outlives a killed postmaster holds the shared memory, and the next start fails on
    // it ("pre-existing shared memory block is still in use"). A SIGKILL goes to every process
    // (a crash), the postmaster stopped first so that it starts no backend after the list is
    // read; a shutdown goes to the postmaster, which ends the others. Every one is waited for.
    if (signal === 'SIGKILL') signalQuietly(child.pid!, 'SIGSTOP');
    const processes = serverProcesses(child.pid!);
    for (const pid of signal === 'SIGKILL' ? processes : [child.pid!]) signalQuietly(pid, signal);
    const timer = setTimeout(() => {
      for (const pid of processes) signalQuietly(pid, 'SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timer);
    const deadline = Date.now() + 10_000;
    while (processes.some(isRunning) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Kills the server and every backend with SIGKILL: nothing is flushed on the way out, and the
   * next start recovers from the write-ahead log.
   */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  /** A fast shutdown (SIGINT): clients are disconnected, the server exits cleanly. */
  stop(): Promise<void> {
    return this.#signal('SIGINT');
  }

  /** Stops it and removes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
