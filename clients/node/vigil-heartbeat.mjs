// Heartbeats to Vigil over HTTP, with nothing but Node's built-ins (fetch, timers). Node 18 or later.
//
// One file: copy it next to your worker.
//
//   import { Heartbeat } from './vigil-heartbeat.mjs';
//
//   const run = await createRun(...);            // Vigil's create (or retry) response
//   const beat = Heartbeat.forRun(run).start();  // beats every third of the timeout
//   try {
//     for (const [i, token] of tokens.entries()) { stream(token); beat.progress(i + 1, 'streaming'); }
//   } finally {
//     beat.stop();
//   }
//
// It never throws into the worker once started: a failed beat is logged and retried at the next one. It stops by
// itself, with one log line saying why, when Vigil answers that the token is not this attempt's any more (409: a
// newer attempt took over, this worker is a zombie) or not valid at all (401).
//
// It also checks Vigil's webhooks (Standard Webhooks signatures) for the app that receives them:
//
//   const event = verifyWebhook(secret, req.headers, rawBody);   // throws unless signed with the secret, recently

import { createHmac, timingSafeEqual } from 'node:crypto';

const DURATION = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/;

/** Seconds in an ISO-8601 duration as Vigil writes them ("PT10S", "PT1M30S", "PT0.5S"). */
export function parseDuration(text) {
  const match = DURATION.exec(text ?? '');
  if (!match || match.slice(1).every((g) => g === undefined)) {
    throw new Error(`not an ISO-8601 duration of hours, minutes and seconds: ${JSON.stringify(text)}`);
  }
  const [hours, minutes, seconds] = match.slice(1).map((g) => (g === undefined ? 0 : Number(g)));
  return hours * 3600 + minutes * 60 + seconds;
}

/** Keeps one run attempt alive by POSTing to its heartbeat URL with its token. */
export class Heartbeat {
  /**
   * @param {string} url the run's heartbeat.url
   * @param {string} token the run's heartbeat.token
   * @param {number} interval seconds between beats (heartbeat.interval: a third of the heartbeat timeout)
   * @param {{jitter?: number, timeout?: number, logger?: Console}} [options] jitter: each wait is
   *   interval * (1 +/- jitter); timeout: seconds a beat may take
   */
  constructor(url, token, interval, { jitter = 0.1, timeout = 5, logger = console } = {}) {
    if (!url || !token) throw new Error('a heartbeat needs the run\'s heartbeat url and token');
    if (!(interval > 0)) throw new Error(`interval must be positive, was ${interval}`);
    Object.assign(this, { url, token, interval, jitter, timeout, logger });
    this.beats = 0;
    this.failures = 0;
    this.stoppedBecause = null;
    this.stopped = false;
    this.seq = 0;
    this.steps = undefined;
    this.message = undefined;
    this.timer = null;
    this.inFlight = null;
    this.started = false;
  }

  /** The heartbeat of a run as Vigil's API returns it (an object with a heartbeat block). */
  static forRun(run, options) {
    const block = run?.heartbeat;
    if (!block) {
      throw new Error('the run has no heartbeat block: run-service issues no heartbeat tokens '
        + '(vigil.heartbeats.secret is not set)');
    }
    return new Heartbeat(block.url, block.token, parseDuration(block.interval), options);
  }

  /** Beats once now, then every interval. The timer does not keep the process alive. Returns this. */
  start() {
    if (!this.started && !this.stopped) {
      this.started = true;
      this.#loop();
    }
    return this;
  }

  /** Records progress (units done, what it is doing); it goes out with the next beat. */
  progress(steps, message) {
    this.steps = steps;
    this.message = message;
  }

  /** Sends one beat now. Resolves to the HTTP status (0 if the request failed). Never rejects. */
  async beat() {
    const body = { seq: this.seq++ };
    if (this.steps !== undefined && this.steps !== null) body.steps = this.steps;
    if (this.message !== undefined && this.message !== null) body.message = this.message;
    let response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeout * 1000),
      });
    } catch (error) {
      this.failures++;
      this.logger.warn(`vigil: heartbeat to ${this.url} failed (${error.cause?.code ?? error.message}); `
        + 'retrying at the next beat');
      return 0;
    }
    const detail = await response.json().then((problem) => problem.detail ?? '', () => '');
    if (response.status === 202) {
      this.beats++;
      return 202;
    }
    this.failures++;
    if (response.status === 401 || response.status === 409) {
      this.stoppedBecause = response.status;
      this.stop();
      this.logger.error(response.status === 409
        ? `vigil: this attempt is not the run's current one any more (409): stopped heartbeating; ${detail}`
        : `vigil: the heartbeat token is not valid for this run (401): stopped heartbeating; ${detail}`);
    } else {
      this.logger.warn(`vigil: heartbeat answered ${response.status} (${detail}); retrying at the next beat`);
    }
    return response.status;
  }

  /** Stops beating (call it when the work is done). Resolves once a beat in flight has ended. */
  async stop() {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.inFlight;
  }

  #loop() {
    this.inFlight = this.beat().finally(() => {
      this.inFlight = null;
      if (this.stopped) return;
      const wait = this.interval * (1 + (Math.random() * 2 - 1) * this.jitter);
      this.timer = setTimeout(() => this.#loop(), wait * 1000);
      this.timer.unref();
    });
  }
}

/**
 * The event of a webhook delivery from Vigil, once its Standard Webhooks signature checks out: one of the
 * space-separated "v1,<base64>" entries of webhook-signature is the HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.
 * <body>" under the key the "whsec_" secret holds, and the timestamp is within `toleranceSeconds` of now. Throws
 * otherwise. Pass the body exactly as received (a string or Buffer), before any JSON parsing.
 *
 * @param {string} secret the subscription's secret ("whsec_...")
 * @param {Record<string, string | string[] | undefined>} headers the request's headers (Node's lower-case names)
 * @param {string | Buffer} body the raw body
 */
export function verifyWebhook(secret, headers, body, { toleranceSeconds = 300, now = Date.now() } = {}) {
  const header = (name) => { const v = headers[name]; return Array.isArray(v) ? v[0] : v; };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) throw new Error('not a webhook: webhook-id, -timestamp or -signature missing');
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new Error(`webhook timestamp ${timestamp} is not within ${toleranceSeconds} s of now`);
  }
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest();
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2);
    const given = Buffer.from(signature ?? '', 'base64');
    if (version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)) {
      return JSON.parse(text);
    }
  }
  throw new Error('webhook signature does not match the secret');
}
