// Unit tests of vigil-heartbeat.mjs against a local HTTP server playing run-service (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Heartbeat, parseDuration, verifyWebhook } from './vigil-heartbeat.mjs';

/** Answers each POST with the next status of `statuses` (the last one repeats) and records it. */
async function fakeVigil(...statuses) {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      requests.push({ path: req.url, headers: req.headers, body: JSON.parse(body || '{}') });
      const status = statuses.length > 1 ? statuses.shift() : statuses[0];
      res.writeHead(status, { 'content-type': status === 202 ? 'application/json' : 'application/problem+json' });
      res.end(JSON.stringify({ status, detail: `answered ${status}` }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/api/v1/runs/r-1/heartbeats`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A logger that records instead of printing. */
function recorder() {
  const lines = { warn: [], error: [] };
  return { lines, logger: { warn: (m) => lines.warn.push(m), error: (m) => lines.error.push(m) } };
}

async function until(condition, seconds = 10) {
  const deadline = Date.now() + seconds * 1000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

test('a beat carries the token as bearer and the progress as JSON', async () => {
  const vigil = await fakeVigil(202);
  const beat = new Heartbeat(vigil.url, 'vr2~acme~1~mac', 10);
  beat.progress(3, 'chapter 3');
  assert.equal(await beat.beat(), 202);
  assert.equal(await beat.beat(), 202);
  const [first, second] = vigil.requests;
  assert.equal(first.path, '/api/v1/runs/r-1/heartbeats');
  assert.equal(first.headers.authorization, 'Bearer vr2~acme~1~mac');
  assert.deepEqual(first.body, { seq: 0, steps: 3, message: 'chapter 3' });
  assert.equal(second.body.seq, 1);
  assert.equal(beat.beats, 2);
  await vigil.close();
});

test('the run as the API returns it is all it needs', () => {
  const beat = Heartbeat.forRun({ id: 'r-1', heartbeat: { attempt: 2, token: 't', interval: 'PT10S', url: 'http://x/hb' } });
  assert.deepEqual([beat.url, beat.token, beat.interval], ['http://x/hb', 't', 10]);
  assert.throws(() => Heartbeat.forRun({ id: 'r-1', heartbeat: null }), /vigil\.heartbeats\.secret/);
});

test('a 409 means a newer attempt took over and stops the beating with one error', async () => {
  const vigil = await fakeVigil(202, 409);
  const { lines, logger } = recorder();
  const beat = new Heartbeat(vigil.url, 't', 0.02, { logger }).start();
  await until(() => beat.stopped);
  assert.equal(beat.stoppedBecause, 409);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(vigil.requests.length, 2, 'no beat after the 409');
  assert.equal(lines.error.length, 1);
  assert.match(lines.error[0], /not the run's current one any more \(409\)/);
  await vigil.close();
});

test('a 401 stops too', async () => {
  const vigil = await fakeVigil(401);
  const beat = new Heartbeat(vigil.url, 't', 10, { logger: recorder().logger });
  assert.equal(await beat.beat(), 401);
  assert.equal(beat.stoppedBecause, 401);
  await vigil.close();
});

test('an unavailable broker or a rate limit is retried at the next beat', async () => {
  const vigil = await fakeVigil(503, 429, 202);
  const { lines, logger } = recorder();
  const beat = new Heartbeat(vigil.url, 't', 10, { logger });
  assert.deepEqual([await beat.beat(), await beat.beat(), await beat.beat()], [503, 429, 202]);
  assert.equal(beat.stopped, false);
  assert.deepEqual([beat.failures, beat.beats, lines.warn.length], [2, 1, 2]);
  await vigil.close();
});

test('a network failure never rejects into the worker', async () => {
  const vigil = await fakeVigil(202);
  await vigil.close();
  const { lines, logger } = recorder();
  const beat = new Heartbeat(vigil.url, 't', 10, { logger, timeout: 1 });
  assert.equal(await beat.beat(), 0);
  assert.equal(beat.failures, 1);
  assert.equal(beat.stopped, false);
  assert.match(lines.warn[0], /failed/);
});

test('it beats at once, then every interval until stopped, however often it is started', async () => {
  const vigil = await fakeVigil(202);
  const beat = new Heartbeat(vigil.url, 't', 0.05, { jitter: 0.5 }).start().start();
  await until(() => vigil.requests.length >= 4);
  await beat.stop();
  const count = vigil.requests.length;
  assert.ok(count >= 4, `${count} beats`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(vigil.requests.length, count, 'no beat after stop');
  await vigil.close();
});

test('durations as Vigil writes them', () => {
  assert.equal(parseDuration('PT10S'), 10);
  assert.equal(parseDuration('PT0.333S'), 0.333);
  assert.equal(parseDuration('PT1M30S'), 90);
  assert.equal(parseDuration('PT2H'), 7200);
  for (const bad of ['', 'PT', '10s', 'P1D', null, undefined]) assert.throws(() => parseDuration(bad));
});

test('bad arguments are refused before anything starts', () => {
  assert.throws(() => new Heartbeat('', 't', 1));
  assert.throws(() => new Heartbeat('http://x', 't', 0));
});

// The Standard Webhooks specification's published test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
  body: '{"test": 2432232314}',
  now: 1614265330 * 1000,
};

test('a webhook signed as the specification says is verified, with a rotated-out signature beside it', () => {
  assert.deepEqual(verifyWebhook(VECTOR.secret, VECTOR.headers, VECTOR.body, { now: VECTOR.now }), { test: 2432232314 });
  assert.deepEqual(verifyWebhook(VECTOR.secret, VECTOR.headers, Buffer.from(VECTOR.body), { now: VECTOR.now + 299_000 }),
    { test: 2432232314 });
});

test('a changed body, another secret, an old timestamp or a missing header is refused', () => {
  const refused = (secret, headers, body, now = VECTOR.now) =>
    assert.throws(() => verifyWebhook(secret, headers, body, { now }));
  refused(VECTOR.secret, VECTOR.headers, '{"test": 2432232315}');
  refused('whsec_' + Buffer.from('another key of some length').toString('base64'), VECTOR.headers, VECTOR.body);
  refused(VECTOR.secret, VECTOR.headers, VECTOR.body, VECTOR.now + 301_000);
  refused(VECTOR.secret, { ...VECTOR.headers, 'webhook-signature': 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    VECTOR.body);
  refused(VECTOR.secret, { ...VECTOR.headers, 'webhook-id': undefined }, VECTOR.body);
  refused(VECTOR.secret, { ...VECTOR.headers, 'webhook-timestamp': '1614265330.5' }, VECTOR.body);
});
