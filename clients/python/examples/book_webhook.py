#!/usr/bin/env python3
"""Seed 001, told: the book generator's app keeps its own job row, "running", and subscribes to Vigil's webhooks.
The worker heartbeats, then hangs in its chapter loop while its heartbeat thread goes on (seed 001's deadlock);
Vigil stalls the run on its progress timeout and POSTs run.timed_out to the app, which checks the signature and
marks its job failed. Exits 0 once it has. Standard library only.

    set -a; . .vigil/stack.env; set +a      # the local stack's addresses and an operator's dev token
    python3 clients/python/examples/book_webhook.py
"""

import http.server
import json
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vigil_heartbeat import Heartbeat, WebhookVerificationError, verify_webhook  # noqa: E402

API = os.environ.get("VIGIL_API", "http://localhost:8080/api/v1/runs")
HOOKS = API.rsplit("/runs", 1)[0] + "/webhooks"
TOKEN = os.environ.get("VIGIL_TOKEN", "")


def call(method, url, body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


def main():
    job = {"id": f"book-{int(time.time() * 1000)}", "status": "running"}
    told = threading.Event()
    secret = {}

    class App(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                event = verify_webhook(secret["value"], self.headers, body)
            except WebhookVerificationError as refused:
                print(f"app: refused a request: {refused}", flush=True)
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(204)  # acknowledge first: Vigil retries anything but a 2xx
            self.end_headers()
            print(f"app: verified {event['type']} ({self.headers['webhook-id']}) for {event['data']['run']['key']}",
                  flush=True)
            if event["type"] == "run.timed_out" and job["status"] == "running":
                job["status"] = "failed"
                print(f"app: job {job['id']}: running -> failed ({event['data']['reason']})", flush=True)
                told.set()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = call("POST", HOOKS, {"url": f"http://127.0.0.1:{server.server_address[1]}/vigil-hooks",
                                "events": ["run.timed_out", "run.finished"], "key": job["id"]})
    secret["value"] = hook["secret"]
    try:
        run = call("POST", API, {"key": job["id"], "kind": "book-generation",
                                 "timeouts": {"heartbeat": "PT3S", "start": "PT30S", "progress": "PT4S"}})
        print(f"job {job['id']}: {job['status']}, run {run['id']}", flush=True)
        with Heartbeat.for_run(run) as beat:
            beat.progress(1, "writing chapter 1")
            time.sleep(2)
            print("worker: chapter 2 deadlocks; the heartbeat thread goes on", flush=True)
            told.wait(60)  # the chapter loop hangs here; the heartbeats do not
        print(json.dumps({"job": job["id"], "status": job["status"]}), flush=True)
        return 0 if told.is_set() else 1
    finally:
        call("DELETE", f"{HOOKS}/{hook['id']}")
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
