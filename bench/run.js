// `npm run bench`: the package against references on this machine, as ratios measured in
// one run. Servers run in their own processes (built package, dist/); the load comes from
// this process (autocannon); A and B alternate over several rounds, so that a noisy
// machine slows both alike, and each figure is the median of the per-round ratios, with
// their spread (max − min). Writes bench/results.json and bench/results.svg.
//
// Also runs every bench/*.bench.js module: `async run(ctx) → [{ name, ratio, bar,
// direction: 'min' | 'max', median, spread, unit? }]` (or `informational: true` instead of
// `bar`: reported for information, neither PASS nor FAIL), where ctx offers `rounds`, `seconds`,
// `connections`, `log`, and the helpers below (`startServer`, `load`, `median`, `spread`).
// A module that throws (say, no Redis) is skipped with its message.
'use strict';
const { execFileSync, fork } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const autocannon = require('autocannon');
const { wrk, wrkAvailable } = require('./wrk');

const ROOT = path.join(__dirname, '..');
const SERVER = path.join(__dirname, 'servers', 'server.js');
const FIXTURES = path.join(ROOT, '__tests__', 'fixtures', 'age-verification');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
const SECONDS = Number(process.env.BENCH_SECONDS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
const MEMORY_REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS || 200_000);
const LOADER = wrkAvailable() ? 'wrk' : 'autocannon';
const BASIC = 'Basic ' + Buffer.from('bench:notify').toString('base64');
/** An IDV notification body, a new session each time. */
const idvBody = () =>
  JSON.stringify({ session_id: crypto.randomUUID(), topic: 'session_completion' });
const log = (line) => console.log(line);

// ---------------------------------------------------------------------------- helpers

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
const spread = (values) => Math.max(...values) - Math.min(...values);

/** Builds dist/ when any lib/ source is newer than it (or it is missing). */
function buildIfStale() {
  const newest = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const file = path.join(dir, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(file) : fs.statSync(file).mtimeMs);
    }, 0);
  const built = path.join(ROOT, 'dist', 'index.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(path.join(ROOT, 'lib'))) return;
  log('dist/ is stale: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

// Every child still running when this process ends is ended with it.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Forks a bench server; resolves once it listens. `stop()` ends it. */
function startServer(kind, { exposeGc = false } = {}) {
  const child = fork(SERVER, [kind], {
    execArgv: exposeGc ? ['--expose-gc'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.disconnect();
    });
  const rss = () =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message && message.type === 'rss') {
          child.off('message', onMessage);
          resolve(message.rss);
        }
      };
      child.on('message', onMessage);
      child.send({ type: 'rss' });
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not start`));
    }, 15_000);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({ kind, port: message.port, pid: message.pid, rss, stop });
    });
  });
}

/**
 * Loads one server for `seconds` (or `amount` requests, bounded by a time limit), and
 * checks that every answer was a 2xx (with `refused`, that none was). Time-bounded loads use wrk when it is installed
 * (see bench/wrk.js); amount-bounded ones, autocannon.
 */
async function load(server, { body, headers = {}, seconds = SECONDS, amount, refused = false }) {
  headers = { 'content-type': 'application/json', ...headers };
  let result;
  if (!amount && LOADER === 'wrk') {
    result = await wrk({ port: server.port, headers, body, seconds, connections: CONNECTIONS });
  } else {
    const options = {
      url: `http://127.0.0.1:${server.port}/hook`,
      method: 'POST',
      connections: CONNECTIONS,
      headers,
      body,
    };
    if (amount) Object.assign(options, { amount, timeout: 10 });
    else options.duration = seconds;
    const instance = autocannon(options);
    // Every loop is bounded in time: an amount-bounded run stops after 3 minutes at most.
    const guard = amount ? setTimeout(() => instance.stop(), 180_000) : undefined;
    const done = await instance;
    clearTimeout(guard);
    result = {
      rps: done.requests.mean,
      p99: done.latency.p99,
      total: done.requests.total,
      non2xx: done.non2xx,
      errors: done.errors + done.timeouts,
    };
  }
  const wrong = refused ? result.total - result.non2xx : result.non2xx;
  if (wrong > 0 || result.errors > 0) {
    const what = refused ? 'answered 2xx' : 'non-2xx';
    throw new Error(`${server.kind}: ${wrong} ${what}, ${result.errors} errors`);
  }
  return { rps: result.rps, p99: result.p99, total: result.total };
}

/**
 * A/B over `ROUNDS` rounds. Each round loads both servers at the same time, for the same
 * seconds, each from its own load generator, so that whatever the machine does meanwhile
 * (its speed drifts by tens of percent from second to second on shared cores) falls on both
 * alike; which one is started first alternates. Rounds' ratios: `a` over `b`.
 */
async function alternateHttp(label, a, b, request) {
  await Promise.all([load(a, { ...request, seconds: 1 }), load(b, { ...request, seconds: 1 })]);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [a, b] : [b, a];
    const results = await Promise.all(order.map((server) => load(server, request)));
    const got = Object.fromEntries(order.map((server, i) => [server.kind, results[i]]));
    const [pa, pb] = [got[a.kind], got[b.kind]];
    rounds.push({ throughput: pa.rps / pb.rps, p99: pa.p99 / Math.max(pb.p99, 0.001) });
    log(
      `  ${label} round ${round + 1}: ${a.kind} ${Math.round(pa.rps)} req/s p99 ${pa.p99.toFixed(2)} ms, ` +
        `${b.kind} ${Math.round(pb.rps)} req/s p99 ${pb.p99.toFixed(2)} ms`,
    );
  }
  return rounds;
}

function figure(name, values, bar, direction, unit) {
  const value = median(values);
  return { name, ratio: value, bar, direction, median: value, spread: spread(values), unit };
}

// ---------------------------------------------------------------------------- benches

const dist = () => require(process.env.BENCH_PACKAGE || path.join(ROOT, 'dist'));

function signedAgeBody(privatePem) {
  const { canonicalString } = dist();
  const payload = {
    method: 'AGE_ESTIMATION',
    result: true,
    age: 25,
    session_key: crypto.randomUUID(),
    reference_id: 'bench reference',
    id: crypto.randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
    notification_url: 'https://app.example/yoti/age',
    evidence_id: crypto.randomUUID(),
    state: 'COMPLETE',
    check_type: 'PASSIVE',
  };
  const data = Buffer.from(canonicalString(payload, 'strip-whitespace'), 'utf8');
  const signature = crypto.sign('sha256', data, {
    key: privatePem,
    padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    saltLength: crypto.constants.RSA_PSS_SALTLEN_MAX_SIGN,
  });
  const body = JSON.stringify({
    ...payload,
    sequence_number: 1,
    signature: signature.toString('base64'),
  });
  return { body, data, signature };
}

/** Starts the two servers, runs `rounds(chain, reference)`, and stops both whatever happens. */
async function withPair(chainKind, referenceKind, rounds) {
  const chain = await startServer(chainKind);
  const reference = await startServer(referenceKind).catch(async (error) => {
    await chain.stop();
    throw error;
  });
  try {
    return await rounds(chain, reference);
  } finally {
    await Promise.all([chain.stop(), reference.stop()]);
  }
}

async function idvBench() {
  log('IDV chain (authHeader + rawBody + parseIdvNotification + topicRouter) vs express.json()');
  return withPair('idv-chain', 'idv-reference', async (chain, reference) => {
    const body = idvBody();
    const rounds = await alternateHttp('idv', chain, reference, {
      body,
      headers: { authorization: BASIC },
    });
    return [
      figure(
        'IDV chain throughput vs express.json()',
        rounds.map((r) => r.throughput),
        1.0,
        'min',
      ),
      figure(
        'IDV chain p99 latency vs express.json()',
        rounds.map((r) => r.p99),
        1.1,
        'max',
      ),
    ];
  });
}

/**
 * The same server twice (express.json() + 200, in two processes), measured as the others are:
 * what the machine's noise alone makes of a ratio whose true value is 1, in this run.
 */
async function controlBench() {
  log('Control: express.json() vs the same route in a second process');
  return withPair('idv-reference', 'idv-reference-twin', async (first, second) => {
    const body = idvBody();
    const rounds = await alternateHttp('control', first, second, {
      body,
      headers: { authorization: BASIC },
    });
    return [
      {
        ...figure(
          'Control: express.json() vs the same route (true ratio 1)',
          rounds.map((r) => r.throughput),
        ),
        informational: true,
      },
    ];
  });
}

async function refusalBench() {
  log('IDV chain + notificationErrorHandler() vs a hand-written 401, wrong Basic credentials');
  return withPair('idv-refusing-chain', 'idv-refusing-reference', async (chain, reference) => {
    const body = idvBody();
    const wrong = 'Basic ' + Buffer.from('bench:wrong!').toString('base64');
    const rounds = await alternateHttp('refusal', chain, reference, {
      body,
      headers: { authorization: wrong },
      refused: true,
    });
    return [
      figure(
        'IDV refusals (wrong Basic) vs a hand-written 401',
        rounds.map((r) => r.throughput),
        0.95,
        'min',
      ),
    ];
  });
}

async function ageBench(privatePem) {
  log(
    'Age verification chain (rawBody + verifySignature + stateRouter) vs express.raw() + crypto.verify',
  );
  return withPair('age-chain', 'age-reference', async (chain, reference) => {
    const { body } = signedAgeBody(privatePem);
    const rounds = await alternateHttp('age', chain, reference, { body });
    return [
      figure(
        'Age verification chain throughput vs inline crypto.verify',
        rounds.map((r) => r.throughput),
        0.95,
        'min',
      ),
    ];
  });
}

async function verifyBench(privatePem) {
  log('createSignatureVerifier()(bytes) vs bare crypto.verify, RSA-3072, in process');
  const { createSignatureVerifier } = dist();
  const publicPem = fs.readFileSync(path.join(FIXTURES, 'rsa-3072-public.pem'), 'utf8');
  const verifier = createSignatureVerifier({ publicKey: publicPem });
  const key = crypto.createPublicKey(publicPem);
  const { body, data, signature } = signedAgeBody(privatePem);
  const bytes = Buffer.from(body, 'utf8');
  const options = { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 350 };
  const { decodeSignature, verifyPss } = require(path.join(ROOT, 'dist', 'core', 'signature.js'));
  const { importVerificationKeys } = require(path.join(ROOT, 'dist', 'core', 'public-keys.js'));
  const keys = importVerificationKeys(publicPem);
  const encoded = signature.toString('base64');
  const sides = {
    package: () => verifier(bytes),
    // The signature step alone, on the same signed bytes: decoding the field and the
    // RSA-PSS verification with the key imported at setup.
    step: () => {
      if (!verifyPss(keys[0], data, decodeSignature(encoded, keys)))
        throw new Error('does not verify');
    },
    bare: () => {
      if (!crypto.verify('sha256', data, options, signature)) throw new Error('does not verify');
    },
  };
  // Each round interleaves the two sides in blocks of 10 operations for about a second, so
  // that a neighbour's load lands on both alike; the round's ratio is of the mean times.
  const round = (ms) => {
    const time = { package: 0, step: 0, bare: 0 };
    const ops = { package: 0, step: 0, bare: 0 };
    const until = performance.now() + ms;
    for (let block = 0; performance.now() < until; block++) {
      for (const side of block % 2 === 0
        ? ['package', 'step', 'bare']
        : ['bare', 'step', 'package']) {
        const fn = sides[side];
        const started = performance.now();
        for (let i = 0; i < 10; i++) fn();
        time[side] += performance.now() - started;
        ops[side] += 10;
      }
    }
    const rate = (side) => (ops[side] * 1000) / time[side];
    return { package: rate('package'), step: rate('step'), bare: rate('bare') };
  };
  round(500);
  const ratios = [];
  const stepRatios = [];
  for (let n = 0; n < ROUNDS * 2; n++) {
    const got = round(1000);
    ratios.push(got.package / got.bare);
    stepRatios.push(got.step / got.bare);
    log(
      `  verify round ${n + 1}: verifier ${Math.round(got.package)} ops/s, signature step ` +
        `${Math.round(got.step)} ops/s, bare ${Math.round(got.bare)} ops/s`,
    );
  }
  return [
    figure(
      'Verify only: signature step (decode + RSA-PSS) vs crypto.verify',
      stepRatios,
      0.9,
      'min',
    ),
    figure('Verify + parse: createSignatureVerifier vs crypto.verify', ratios, 0.9, 'min'),
  ];
}

async function memoryBench() {
  log(`Memory: IDV chain server RSS after ${MEMORY_REQUESTS} requests vs after warm-up`);
  const server = await startServer('idv-chain', { exposeGc: true });
  try {
    const request = {
      body: idvBody(),
      headers: { authorization: BASIC },
    };
    await load(server, { ...request, amount: 20_000 });
    const warm = await server.rss();
    const started = performance.now();
    const { total } = await load(server, { ...request, amount: MEMORY_REQUESTS });
    if (total < MEMORY_REQUESTS) throw new Error(`memory bench: only ${total} requests completed`);
    const after = await server.rss();
    const growth = (after - warm) / 2 ** 20;
    log(
      `  RSS ${(warm / 2 ** 20).toFixed(1)} MB after warm-up, ${(after / 2 ** 20).toFixed(1)} MB ` +
        `after ${total} requests (${Math.round(performance.now() - started)} ms)`,
    );
    return [
      figure(
        `Memory: RSS growth over ${MEMORY_REQUESTS / 1000}k requests`,
        [growth],
        20,
        'max',
        'MB',
      ),
    ];
  } finally {
    await server.stop();
  }
}

async function plugins() {
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.bench.js'))
    .sort();
  const results = [];
  for (const file of files) {
    log(`${file}`);
    try {
      const bench = require(path.join(__dirname, file));
      const ctx = {
        root: ROOT,
        rounds: ROUNDS,
        seconds: SECONDS,
        connections: CONNECTIONS,
        log: (line) => log(line),
        startServer,
        load,
        median,
        spread,
      };
      for (const item of await bench.run(ctx)) results.push({ ...item, source: file });
    } catch (error) {
      log(`  skipped ${file}: ${error instanceof Error ? error.message : String(error)}`);
      results.push({ name: file, skipped: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

// ---------------------------------------------------------------------------- output

// A figure marked informational is reported without a bar: it neither passes nor fails. Any
// other figure without a numeric bar fails.
const informational = (r) => r.informational === true;
const passes = (r) =>
  informational(r) ||
  (typeof r.bar === 'number' && (r.direction === 'min' ? r.ratio >= r.bar : r.ratio <= r.bar));
const verdict = (r) => (informational(r) ? 'no bar' : passes(r) ? 'PASS' : 'FAIL');
const hasBar = (r) => typeof r.bar === 'number';
const barText = (r) => {
  if (informational(r)) return '—';
  if (!hasBar(r)) return 'missing';
  return `${r.direction === 'min' ? '≥' : '≤'} ${format(r.bar, r.unit)}`;
};
const format = (value, unit) => (unit ? `${value.toFixed(1)} ${unit}` : value.toFixed(3));

function chart(results, machine) {
  const rows = results.filter((r) => !r.skipped);
  const width = 980;
  const rowHeight = 46;
  const left = 410;
  const plot = 380;
  const top = 56;
  const height = top + rows.length * rowHeight + 40;
  const escape = (text) =>
    String(text).replace(
      /[<>&"]/g,
      (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
    );
  // Each row on its own scale, 0 to twice its bar, so that every bar line sits mid-plot.
  const x = (value, bar) =>
    Math.round((left + Math.max(0, Math.min(1, value / (2 * bar))) * plot) * 10) / 10;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">express-yoti-notifications: benchmarks (ratios to references, median of rounds)</text>`,
    `<text x="16" y="42" fill="#555">${escape(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}`)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const info = informational(r);
    const color = info ? '#757575' : passes(r) ? '#2e7d32' : '#c62828';
    // A figure without a bar is scaled as a ratio, 0 to 2.
    const scale = hasBar(r) ? r.bar : 1;
    const low = r.ratio - r.spread / 2;
    const high = r.ratio + r.spread / 2;
    lines.push(
      `<text x="16" y="${y + 22}">${escape(r.name)}</text>`,
      `<rect x="${left}" y="${y + 8}" width="${x(r.ratio, scale) - left}" height="20" fill="${color}" fill-opacity="0.75"/>`,
      `<line x1="${x(low, scale)}" x2="${x(high, scale)}" y1="${y + 18}" y2="${y + 18}" stroke="#222" stroke-width="1.5"/>`,
    );
    if (hasBar(r)) {
      lines.push(
        `<line x1="${x(r.bar, r.bar)}" x2="${x(r.bar, r.bar)}" y1="${y + 2}" y2="${y + 34}" stroke="#222" stroke-dasharray="4 3" stroke-width="2"/>`,
      );
    }
    const label = info ? format(r.ratio, r.unit) : `${format(r.ratio, r.unit)} ${barText(r)}`;
    lines.push(
      `<text x="${left + plot + 12}" y="${y + 22}" fill="${color}">${escape(`${label} ${verdict(r)}`)}</text>`,
    );
  });
  lines.push(
    `<text x="16" y="${height - 14}" fill="#555">Dashed line: the bar (each row scaled 0 to twice its bar; grey rows have none and are scaled 0 to 2). Whisker: spread of the rounds (max − min), centred on the median.</text>`,
    '</svg>',
  );
  return lines.join('\n') + '\n';
}

async function main() {
  const started = performance.now();
  if (!process.env.BENCH_PACKAGE) buildIfStale();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString().slice(0, 10),
  };
  log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  const privatePem = fs.readFileSync(path.join(FIXTURES, 'rsa-3072-private.pem'), 'utf8');
  // BENCH_ONLY=verify,idv,control,refusal,age,memory,plugins runs a subset (results files are still written).
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
  const benches = {
    verify: () => verifyBench(privatePem),
    idv: idvBench,
    control: controlBench,
    refusal: refusalBench,
    age: () => ageBench(privatePem),
    memory: memoryBench,
    plugins,
  };
  const results = [];
  for (const [name, bench] of Object.entries(benches)) {
    if (!only || only.includes(name)) results.push(...(await bench()));
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  log('');
  log('| figure | median | spread | bar | result |');
  log('|---|---|---|---|---|');
  for (const r of results) {
    if (r.skipped) log(`| ${r.name} | — | — | — | skipped: ${r.skipped} |`);
    else {
      log(
        `| ${r.name} | ${format(r.median, r.unit)} | ${format(r.spread, r.unit)} | ` +
          `${barText(r)} | ${verdict(r)} |`,
      );
    }
  }
  log(
    `(${ROUNDS} rounds, ${SECONDS} s per side per round, ${CONNECTIONS} connections; ${seconds} s in all)`,
  );
  const out = {
    machine,
    settings: {
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      memoryRequests: MEMORY_REQUESTS,
    },
    results: results.map((r) => (r.skipped || informational(r) ? r : { ...r, pass: passes(r) })),
  };
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(out, null, 2) + '\n');
  fs.writeFileSync(path.join(__dirname, 'results.svg'), chart(results, machine));
  if (results.some((r) => !r.skipped && !passes(r))) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
