#!/usr/bin/env node
// Seed 002, fixed: a server restarts mid-answer and the chat message shows "processing" forever, because nothing
// tells the app's backend that the answer died. Here the backend keeps its own message row and subscribes to
// Vigil's webhooks; the turn heartbeats, then dies (as the restarting server would); Vigil times the turn out and
// POSTs run.timed_out to the backend, which verifies the signature and flips the message from "processing" to
// "error". Exits 0 once it has. No polling, no dependencies.
//
//   set -a; . .vigil/stack.env; set +a      # the local stack's addresses and an operator's dev token
//   node clients/node/examples/chat-webhook.mjs

import { createServer } from 'node:http';
import { Heartbeat, verifyWebhook } from '../vigil-heartbeat.mjs';

const API = process.env.VIGIL_API ?? 'http://localhost:8080/api/v1/runs';
const HOOKS = API.replace(/\/runs$/, '/webhooks');
const AUTH = { authorization: `Bearer ${process.env.VIGIL_TOKEN ?? ''}`, 'content-type': 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, url, body) {
  const response = await fetch(url, { method, headers: AUTH, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The app's backend: its own message rows, and the endpoint Vigil's webhooks arrive at. */
function backend(messages, secret) {
  let flipped;
  const done = new Promise((resolve) => { flipped = resolve; });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let event;
      try {
        event = verifyWebhook(secret.value, req.headers, Buffer.concat(chunks));
      } catch (error) {
        console.log(`backend: refused a request: ${error.message}`);
        res.writeHead(401).end();
        return;
      }
      res.writeHead(204).end(); // acknowledge first; Vigil retries anything but a 2xx
      const message = messages.get(event.data.run.key);
      console.log(`backend: verified ${event.type} (${req.headers['webhook-id']}) for ${event.data.run.key}`);
      if (message && event.type === 'run.timed_out' && message.status === 'processing') {
        message.status = 'error';
        console.log(`backend: message ${message.id}: processing -> error (${event.data.reason})`);
        flipped(message);
      }
    });
  });
  return { server, done };
}

async function main() {
  const messages = new Map();
  const secret = {};
  const { server, done } = backend(messages, secret);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const message = { id: `msg-${Date.now()}`, status: 'processing' };
  const key = `chat-${message.id}`;
  messages.set(key, message);
  const hook = await call('POST', HOOKS, { url: `http://127.0.0.1:${server.address().port}/vigil-hooks`,
    events: ['run.timed_out', 'run.finished'], key });
  secret.value = hook.secret;
  try {
    const run = await call('POST', API, { key, kind: 'chat-turn', timeouts: { heartbeat: 'PT3S', start: 'PT30S' } });
    console.log(`message ${message.id}: ${message.status}, turn ${run.id} answering`);
    const beat = Heartbeat.forRun(run).start();
    await sleep(2000);
    await beat.stop(); // the server restarts mid-answer: nothing beats for this turn any more
    console.log('the server restarted mid-answer; the backend waits to be told');
    const flipped = await Promise.race([done, sleep(60_000).then(() => null)]);
    console.log(JSON.stringify({ message: message.id, status: message.status }));
    return flipped ? 0 : 1;
  } finally {
    await call('DELETE', `${HOOKS}/${hook.id}`);
    server.close();
  }
}

main().then((code) => process.exit(code), (error) => { console.error(error); process.exit(1); });
