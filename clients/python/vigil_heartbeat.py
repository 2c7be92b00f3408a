"""Heartbeats to Vigil over HTTP, with nothing but the Python standard library.

One file: copy it next to your worker, or put this directory on PYTHONPATH.

    from vigil_heartbeat import Heartbeat

    run = create_run(...)                 # Vigil's create (or retry) response, a dict
    with Heartbeat.for_run(run) as beat:  # beats every third of the timeout, in a daemon thread
        for number, chapter in enumerate(book, 1):
            write(chapter)
            beat.progress(number, f"wrote chapter {number}")

It never raises into the worker once started: a failed beat is logged and retried at the next one. It stops
by itself, with one log line saying why, when Vigil answers that the token is not this attempt's any more
(409: a newer attempt took over, this worker is a zombie) or not valid at all (401).

It also checks Vigil's webhooks (Standard Webhooks signatures) for the app that receives them:

    event = verify_webhook(secret, request.headers, raw_body)  # raises unless signed with the secret, recently
"""

import base64
import hashlib
import hmac
import json
import logging
import random
import re
import threading
import time
import urllib.error
import urllib.request

__all__ = ["Heartbeat", "parse_duration", "verify_webhook", "WebhookVerificationError"]

_LOG = logging.getLogger("vigil.heartbeat")
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_duration(text):
    """Seconds in an ISO-8601 duration as Vigil writes them ("PT10S", "PT1M30S", "PT0.5S")."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"not an ISO-8601 duration of hours, minutes and seconds: {text!r}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


class Heartbeat:
    """Keeps one run attempt alive by POSTing to its heartbeat URL with its token."""

    def __init__(self, url, token, interval, *, jitter=0.1, timeout=5.0, logger=None, sleep=None):
        """
        url, token: the run's heartbeat.url and heartbeat.token (create, retry or get of one run).
        interval: seconds between beats (heartbeat.interval, a third of the run's heartbeat timeout).
        jitter: each wait is interval * (1 +/- jitter), so a fleet does not beat in step.
        """
        if not url or not token:
            raise ValueError("a heartbeat needs the run's heartbeat url and token")
        if interval <= 0:
            raise ValueError(f"interval must be positive, was {interval}")
        self.url = url
        self.token = token
        self.interval = float(interval)
        self.jitter = jitter
        self.timeout = timeout
        self.log = logger or _LOG
        self.stopped_because = None
        self.beats = 0
        self.failures = 0
        self._steps = None
        self._message = None
        self._seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wait = sleep or self._stop.wait
        self._thread = None

    @classmethod
    def for_run(cls, run, **options):
        """The heartbeat of a run as Vigil's API returns it (a dict with a "heartbeat" block)."""
        block = (run or {}).get("heartbeat")
        if not block:
            raise ValueError("the run has no heartbeat block: run-service issues no heartbeat tokens "
                             "(vigil.heartbeats.secret is not set)")
        return cls(block["url"], block["token"], parse_duration(block["interval"]), **options)

    def start(self):
        """Beats once now, then every interval in a daemon thread. Returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="vigil-heartbeat", daemon=True)
            self._thread.start()
        return self

    def progress(self, steps=None, message=None):
        """Records progress (units done, what it is doing); it goes out with the next beat."""
        with self._lock:
            self._steps, self._message = steps, message

    def beat(self):
        """Sends one beat now. Returns the HTTP status (0 if the request failed). Never raises."""
        with self._lock:
            body = {"seq": self._seq}
            self._seq += 1
            if self._steps is not None:
                body["steps"] = self._steps
            if self._message is not None:
                body["message"] = self._message
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), method="POST", headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        detail = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            detail = _detail(error)
        except Exception as error:  # the network, DNS, a timeout: try again at the next beat
            self.failures += 1
            self.log.warning("vigil: heartbeat to %s failed (%s); retrying at the next beat", self.url, error)
            return 0
        if status == 202:
            self.beats += 1
            return status
        self.failures += 1
        if status in (401, 409):
            reason = ("this attempt is not the run's current one any more (409): stopped heartbeating"
                      if status == 409 else "the heartbeat token is not valid for this run (401): stopped heartbeating")
            self.stopped_because = status
            self._stop.set()
            self.log.error("vigil: %s; %s", reason, detail)
        else:
            self.log.warning("vigil: heartbeat answered %s (%s); retrying at the next beat", status, detail)
        return status

    def stop(self):
        """Stops beating (call it when the work is done, before or after finishing the run)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout + 1)

    @property
    def stopped(self):
        return self._stop.is_set()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _run(self):
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:  # never let the thread die: the next beat may work
                self.log.exception("vigil: unexpected error while heartbeating")
            if self._stop.is_set():
                break
            self._wait(self.interval * (1 + random.uniform(-self.jitter, self.jitter)))


def _detail(error):
    try:
        return json.loads(error.read().decode("utf-8")).get("detail", "")
    except Exception:
        return ""


class WebhookVerificationError(ValueError):
    """A request that is not a webhook Vigil signed with the secret, recently."""


def verify_webhook(secret, headers, body, tolerance_seconds=300, now=None):
    """The event of a webhook delivery from Vigil, once its Standard Webhooks signature checks out.

    One of the space-separated "v1,<base64>" entries of webhook-signature must be the HMAC-SHA256 of
    "<webhook-id>.<webhook-timestamp>.<body>" under the key the "whsec_" secret holds, and the timestamp must be
    within tolerance_seconds of now. Raises WebhookVerificationError otherwise. headers: any mapping (names are
    matched case-insensitively); body: the raw bytes or text, before any JSON parsing.
    """
    lower = {str(name).lower(): value for name, value in dict(headers).items()}
    msg_id, timestamp, signatures = (lower.get(n) for n in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("not a webhook: webhook-id, -timestamp or -signature missing")
    current = time.time() if now is None else now
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(current - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError(f"webhook timestamp {timestamp} is not within {tolerance_seconds} s of now")
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    text = body if isinstance(body, bytes) else body.encode("utf-8")
    expected = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + text, hashlib.sha256).digest()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        try:
            given = base64.b64decode(signature, validate=True)
        except ValueError:
            continue
        if version == "v1" and hmac.compare_digest(given, expected):
            return json.loads(text)
    raise WebhookVerificationError("webhook signature does not match the secret")
