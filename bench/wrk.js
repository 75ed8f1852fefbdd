// Load from wrk (https://github.com/wg/wrk), when it is installed: a C load generator, so
// that on a machine with few cores the server under test, not the client, is what runs out of
// CPU, and latency percentiles come in microseconds. Falls back to autocannon otherwise
// (BENCH_LOAD=autocannon forces it).
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Whether wrk is on the PATH (and wanted). */
function wrkAvailable() {
  if (process.env.BENCH_LOAD === 'autocannon') return false;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits with 1.
    return error.status === 1;
  }
}

// A Lua long string holds any text without escapes, as long as the text does not contain
// its closing bracket.
function luaString(text) {
  for (let level = 1; ; level++) {
    const eq = '='.repeat(level);
    if (!text.includes(`]${eq}]`)) return `[${eq}[${text}]${eq}]`;
  }
}

/**
 * The wrk script: POST with the given headers and either a fixed body or, with `template`,
 * a body per request where `%d` is replaced by a counter (one Lua state with -t1, so every
 * request of a run gets its own number).
 */
function script({ path: urlPath, headers, body, template }) {
  const lines = ['wrk.method = "POST"'];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[ ${luaString(name)} ] = ${luaString(String(value))}`);
  }
  if (template !== undefined) {
    lines.push(
      'local counter = 0',
      `local template = ${luaString(template)}`,
      'request = function()',
      '  counter = counter + 1',
      `  return wrk.format(nil, ${luaString(urlPath)}, nil, (template:gsub("%%d", tostring(counter))))`,
      'end',
    );
  } else {
    lines.push(`wrk.body = ${luaString(body)}`);
  }
  return lines.join('\n') + '\n';
}

const UNITS = { us: 1e-3, ms: 1, s: 1e3 };

/** Reads wrk's summary: requests/s, p50 and p99 in ms, total, non-2xx, socket errors. */
function parse(output) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s*50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rps || !p50 || !p99 || !total) throw new Error(`could not read wrk's output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  return {
    rps: Number(rps[1]),
    p50: Number(p50[1]) * UNITS[p50[2]],
    p99: Number(p99[1]) * UNITS[p99[2]],
    total: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/**
 * Runs wrk against 127.0.0.1 for `seconds` with one thread and `connections` connections.
 * Bounded in time: killed if it outlives its duration by 30 s.
 */
function wrk({
  port,
  path: urlPath = '/hook',
  headers = {},
  body,
  template,
  seconds,
  connections,
}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-'));
  const file = path.join(dir, 'post.lua');
  fs.writeFileSync(file, script({ path: urlPath, headers, body, template }));
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', file];
  args.push(`http://127.0.0.1:${port}${urlPath}`);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (part) => (output += part));
    child.stderr.on('data', (part) => (output += part));
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${output}`));
      try {
        resolve(parse(output));
      } catch (error) {
        reject(error);
      }
    });
  });
}

module.exports = { wrk, wrkAvailable, parse, script };
