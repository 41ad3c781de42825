// Runs the server audits of `graphql-http` (the reference implementation of the GraphQL over
// HTTP specification) against a built countersign binary, and exits non-zero on any MUST failure
// (error) or SHOULD failure (warning). MAY results that fail are printed as notices.
//
//   node audit.mjs [path/to/countersign]      (default: $COUNTERSIGN_BIN, then
//                                              $CARGO_TARGET_DIR/debug/countersign)
//
// The server runs on a free port of 127.0.0.1 against a new SQLite database with a random secret
// in a temporary directory; every audit request carries an admin token minted with
// `countersign token`, since /graphql answers nobody without a credential.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serverAudits } from 'graphql-http';

const here = new URL('.', import.meta.url).pathname;
const bin = resolve(
  process.argv[2] ??
    process.env.COUNTERSIGN_BIN ??
    join(process.env.CARGO_TARGET_DIR ?? join(here, '..', '..', 'target'), 'debug', 'countersign'),
);
if (!existsSync(bin)) {
  console.error(`no countersign binary at ${bin}: build it with cargo build -p countersign --bin countersign`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'countersign-graphql-http-'));
const env = {
  ...process.env,
  DATABASE_URL: `sqlite://${join(dir, 'audit.db')}?mode=rwc`,
  COUNTERSIGN_JWT_SECRET: randomBytes(32).toString('hex'),
  COUNTERSIGN_DEMO: 'false',
  COUNTERSIGN_PUBLIC_INTROSPECTION: 'false',
  RUST_LOG: 'warn',
};
delete env.COUNTERSIGN_CONFIG;

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

let server;
function stop() {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
  }
}

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'server.log');
  const log = openSync(logFile, 'w');
  server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise((ok) => server.once('exit', (code, signal) => ok({ code, signal })));

  // Wait (bounded) for /healthz, failing early if the process exits.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`countersign serve exited before answering:\n${readFileSync(logFile, 'utf8')}`);
    }
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${base}/healthz did not answer 200 within 60 s:\n${readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }

  const token = execFileSync(
    bin,
    ['token', '--tenant', 'graphql-http-audit', '--sub', 'graphql-http-audit', '--roles', 'admin', '--ttl', '1h'],
    { cwd: dir, env, encoding: 'utf8' },
  ).trim();
  if (!token) throw new Error('countersign token printed nothing');

  const url = `${base}/graphql`;

  // The audits below are only meaningful if the credential is what lets them through: without it
  // the server must refuse at once.
  const anonymous = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  const challenge = anonymous.headers.get('www-authenticate') ?? '';
  if (anonymous.status !== 401 || !challenge.startsWith('Bearer')) {
    throw new Error(
      `a request without a credential got ${anonymous.status} (WWW-Authenticate: ${challenge}), expected 401 Bearer`,
    );
  }

  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };

  const audits = serverAudits({ url, fetchFn });
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const { fn } of audits) {
    const result = await fn();
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    const label = { ok: 'ok    ', notice: 'NOTICE', warn: 'WARN  ', error: 'ERROR ' }[result.status] ?? result.status;
    console.log(`${label} ${result.id} ${result.name}`);
    if (result.status !== 'ok') {
      console.log(`         ${result.reason}`);
      const res = result.response;
      if (res) {
        let body = '';
        try {
          body = await res.clone().text();
        } catch {
          body = '(body already read)';
        }
        console.log(`         ${res.status} ${res.headers.get('content-type') ?? ''} ${body.slice(0, 300)}`);
      }
    }
  }
  console.log(
    `\n${audits.length} audits: ${counts.ok} ok, ${counts.error} errors (MUST), ${counts.warn} warnings (SHOULD), ${counts.notice} notices (MAY)`,
  );
  stop();
  await exited;
  if (audits.length === 0) throw new Error('graphql-http ran no audits');
  return counts.error + counts.warn === 0 ? 0 : 1;
}

let status = 1;
try {
  status = await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  status = 1;
} finally {
  stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
