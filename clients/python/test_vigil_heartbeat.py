"""Unit tests of vigil_heartbeat against a local HTTP server playing run-service (python3 -m unittest)."""

import http.server
import json
import logging
import threading
import time
import unittest

from vigil_heartbeat import Heartbeat, WebhookVerificationError, parse_duration, verify_webhook


class FakeVigil(http.server.ThreadingHTTPServer):
    """Answers each POST with the next status of `statuses` (the last one repeats) and records it."""

    def __init__(self, statuses):
        super().__init__(("127.0.0.1", 0), Handler)
        self.statuses = list(statuses)
        self.requests = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1/runs/r-1/heartbeats"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.path, dict(self.headers), json.loads(body or b"{}")))
        status = self.server.statuses.pop(0) if len(self.server.statuses) > 1 else self.server.statuses[0]
        payload = json.dumps({"status": status, "detail": f"answered {status}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 202 else "application/problem+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class HeartbeatTest(unittest.TestCase):

    def setUp(self):
        self.servers = []
        self.logs = self.assertLogs("vigil.heartbeat", level="DEBUG")
        self.captured = self.logs.__enter__()
        logging.getLogger("vigil.heartbeat").warning("test start")  # assertLogs needs at least one record

    def tearDown(self):
        self.logs.__exit__(None, None, None)
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def vigil(self, *statuses):
        server = FakeVigil(statuses)
        self.servers.append(server)
        return server

    def test_a_beat_carries_the_token_as_bearer_and_the_progress_as_json(self):
        vigil = self.vigil(202)
        beat = Heartbeat(vigil.url, "vr2~acme~1~mac", 10)
        beat.progress(3, "chapter 3")
        self.assertEqual(beat.beat(), 202)
        self.assertEqual(beat.beat(), 202)
        (path, headers, first), (_, _, second) = vigil.requests
        self.assertEqual(path, "/api/v1/runs/r-1/heartbeats")
        self.assertEqual(headers["Authorization"], "Bearer vr2~acme~1~mac")
        self.assertEqual(first, {"seq": 0, "steps": 3, "message": "chapter 3"})
        self.assertEqual(second["seq"], 1)
        self.assertEqual(beat.beats, 2)

    def test_the_run_as_the_api_returns_it_is_all_it_needs(self):
        run = {"id": "r-1", "heartbeat": {"attempt": 2, "token": "t", "interval": "PT10S", "url": "http://x/hb"}}
        beat = Heartbeat.for_run(run)
        self.assertEqual((beat.url, beat.token, beat.interval), ("http://x/hb", "t", 10.0))
        with self.assertRaisesRegex(ValueError, "vigil.heartbeats.secret"):
            Heartbeat.for_run({"id": "r-1", "heartbeat": None})

    def test_a_409_means_a_newer_attempt_took_over_and_stops_the_beating_with_one_error(self):
        vigil = self.vigil(202, 409)
        beat = Heartbeat(vigil.url, "t", 0.02).start()
        deadline = time.monotonic() + 5
        while not beat.stopped and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(beat.stopped)
        self.assertEqual(beat.stopped_because, 409)
        beat._thread.join(2)
        self.assertFalse(beat._thread.is_alive())
        self.assertEqual(len(vigil.requests), 2, "no beat after the 409")
        errors = [r for r in self.captured.records if r.levelno == logging.ERROR]
        self.assertEqual(len(errors), 1)
        self.assertIn("not the run's current one any more (409)", errors[0].getMessage())

    def test_a_401_stops_too(self):
        beat = Heartbeat(self.vigil(401).url, "t", 10)
        self.assertEqual(beat.beat(), 401)
        self.assertEqual(beat.stopped_because, 401)

    def test_an_unavailable_broker_or_a_rate_limit_is_retried_at_the_next_beat(self):
        vigil = self.vigil(503, 429, 202)
        beat = Heartbeat(vigil.url, "t", 10)
        self.assertEqual([beat.beat(), beat.beat(), beat.beat()], [503, 429, 202])
        self.assertFalse(beat.stopped)
        self.assertEqual((beat.failures, beat.beats), (2, 1))

    def test_a_network_failure_never_raises_into_the_worker(self):
        vigil = self.vigil(202)
        url = vigil.url
        vigil.shutdown()
        vigil.server_close()
        self.servers.remove(vigil)
        beat = Heartbeat(url, "t", 10, timeout=1)
        self.assertEqual(beat.beat(), 0)
        self.assertEqual(beat.failures, 1)
        self.assertFalse(beat.stopped)

    def test_it_beats_at_once_then_every_interval_until_stopped(self):
        vigil = self.vigil(202)
        with Heartbeat(vigil.url, "t", 0.05, jitter=0.5) as beat:
            deadline = time.monotonic() + 10
            while len(vigil.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
        count = len(vigil.requests)
        self.assertGreaterEqual(count, 4)
        time.sleep(0.2)
        self.assertEqual(len(vigil.requests), count, "no beat after stop")
        self.assertFalse(beat._thread.is_alive())

    def test_durations_as_vigil_writes_them(self):
        self.assertEqual(parse_duration("PT10S"), 10)
        self.assertEqual(parse_duration("PT0.333S"), 0.333)
        self.assertEqual(parse_duration("PT1M30S"), 90)
        self.assertEqual(parse_duration("PT2H"), 7200)
        for bad in ("", "PT", "10s", "P1D", None):
            with self.assertRaises(ValueError):
                parse_duration(bad)

    def test_bad_arguments_are_refused_before_anything_starts(self):
        with self.assertRaises(ValueError):
            Heartbeat("", "t", 1)
        with self.assertRaises(ValueError):
            Heartbeat("http://x", "t", 0)


class VerifyWebhookTest(unittest.TestCase):
    """Against the Standard Webhooks specification's published test vector."""

    SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    HEADERS = {"Webhook-Id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "Webhook-Timestamp": "1614265330",
               "Webhook-Signature": "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    BODY = b'{"test": 2432232314}'
    NOW = 1614265330

    def test_a_webhook_signed_as_the_specification_says_is_verified(self):
        self.assertEqual(verify_webhook(self.SECRET, self.HEADERS, self.BODY, now=self.NOW), {"test": 2432232314})
        self.assertEqual(verify_webhook(self.SECRET, self.HEADERS, self.BODY.decode(), now=self.NOW + 299),
                         {"test": 2432232314})

    def test_a_changed_body_another_secret_an_old_timestamp_or_a_missing_header_is_refused(self):
        other = "whsec_" + __import__("base64").b64encode(b"another key of some length").decode()
        cases = [
            (self.SECRET, self.HEADERS, b'{"test": 2432232315}', self.NOW),
            (other, self.HEADERS, self.BODY, self.NOW),
            (self.SECRET, self.HEADERS, self.BODY, self.NOW + 301),
            (self.SECRET, dict(self.HEADERS, **{"Webhook-Signature": "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}),
             self.BODY, self.NOW),
            (self.SECRET, {k: v for k, v in self.HEADERS.items() if k != "Webhook-Id"}, self.BODY, self.NOW),
            (self.SECRET, dict(self.HEADERS, **{"Webhook-Timestamp": "1614265330.5"}), self.BODY, self.NOW),
            (self.SECRET, dict(self.HEADERS, **{"Webhook-Timestamp": "161426533\u00b2"}), self.BODY, self.NOW),
        ]
        for secret, headers, body, now in cases:
            with self.assertRaises(WebhookVerificationError):
                verify_webhook(secret, headers, body, now=now)


if __name__ == "__main__":
    unittest.main()
