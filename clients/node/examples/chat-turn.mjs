#!/usr/bin/env node
// Seed 003, replayed: a chat server restarts mid-answer, and the message shows "processing" forever. Here the
// server's turn heartbeats to Vigil over HTTP while it streams the answer; the parent kills the server (SIGKILL, as
// a deploy or a crash would), then, as the restarted server, asks Vigil what became of the turn and marks the
// message failed. Exits 0 once the turn's run is TIMED_OUT for a missed heartbeat.
//
//   set -a; . .vigil/stack.env; set +a      # the local stack's addresses and dev token
//   node clients/node/examples/chat-turn.mjs

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Heartbeat } from '../vigil-heartbeat.mjs';

const API = process.env.VIGIL_API ?? 'http://localhost:8080/api/v1/runs';
const AUTH = { authorization: `Bearer ${process.env.VIGIL_TOKEN ?? ''}`, 'content-type': 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path = '', body) {
  const response = await fetch(API + path, { method, headers: AUTH, body: body && JSON.stringify(body) });
  return response.json();
}

/** The server's turn: streams an answer token by token, forever, heartbeating with its progress. */
async function serverTurn(run) {
  const beat = Heartbeat.forRun(run).start();
  for (let token = 1; ; token++) {
    beat.progress(token, `streaming token ${token}`);
    await sleep(200);
  }
}

async function waitFor(id, done, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let run;
  while (Date.now() < deadline) {
    run = await call('GET', `/${id}`);
    if (done(run)) return run;
    await sleep(500);
  }
  throw new Error(`run ${id} is still ${run?.status} after ${seconds} s`);
}

async function main() {
  const message = { id: `msg-${Date.now()}`, status: 'processing' };
  const run = await call('POST', '', { key: `chat-${message.id}`, kind: 'chat-turn',
    timeouts: { heartbeat: 'PT3S', start: 'PT30S' } });
  console.log(`message ${message.id}: turn ${run.id} created (${run.status}), beating every ${run.heartbeat.interval}`);
  // The run (and its token) goes to the server in its environment, not on its command line, where ps shows it.
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), '--server'],
    { stdio: 'inherit', env: { ...process.env, VIGIL_RUN: JSON.stringify(run) } });
  try {
    await waitFor(run.id, (r) => r.status === 'RUNNING', 60);
    await sleep(2000);
  } finally {
    server.kill('SIGKILL');
  }
  console.log('the server restarted mid-answer; the message would show "processing" forever');
  // The restarted server: what became of the turn it was answering?
  const final = await waitFor(run.id, (r) => !['PENDING', 'RUNNING'].includes(r.status), 60);
  if (final.status === 'TIMED_OUT') message.status = 'failed: the answer was interrupted, ask again';
  console.log(JSON.stringify({ status: final.status, reason: final.reason, message: message.status }));
  return final.status === 'TIMED_OUT' && final.reason === 'heartbeat_timeout' ? 0 : 1;
}

if (process.argv[2] === '--server') {
  serverTurn(JSON.parse(process.env.VIGIL_RUN));
} else {
  main().then((code) => process.exit(code), (error) => { console.error(error); process.exit(1); });
}
