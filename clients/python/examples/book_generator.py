#!/usr/bin/env python3
"""Seed 001, replayed: a book generator on a job queue is OOM-killed mid-chapter, and the job would stay
"running" forever. Here its worker heartbeats to Vigil over HTTP; the parent plays the OOM killer (SIGKILL)
and then watches Vigil time the run out. Exits 0 once the run is TIMED_OUT for a missed heartbeat.

    set -a; . .vigil/stack.env; set +a      # the local stack's addresses and dev token
    python3 clients/python/examples/book_generator.py
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vigil_heartbeat import Heartbeat  # noqa: E402

API = os.environ.get("VIGIL_API", "http://localhost:8080/api/v1/runs")
TOKEN = os.environ.get("VIGIL_TOKEN", "")


def call(method, path="", body=None):
    request = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def worker(run):
    """The job: one chapter a second, forever, heartbeating with its progress."""
    with Heartbeat.for_run(run) as beat:
        for chapter in range(1, 1000):
            beat.progress(chapter, f"writing chapter {chapter}")
            print(f"worker: writing chapter {chapter}", flush=True)
            time.sleep(1)


def wait_for(run_id, done, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = call("GET", "/" + run_id)
        if done(run):
            return run
        time.sleep(0.5)
    raise SystemExit(f"run {run_id} is still {run['status']} after {seconds} s")


def main():
    run = call("POST", "", {"key": f"book-{int(time.time() * 1000)}", "kind": "book",
                            "timeouts": {"heartbeat": "PT3S", "start": "PT30S"}})
    print(f"created run {run['id']} (attempt {run['attempt']}, {run['status']}), beating every {run['heartbeat']['interval']}")
    # The run (and its token) goes to the worker in its environment, not on its command line, where ps shows it.
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                             env={**os.environ, "VIGIL_RUN": json.dumps(run)})
    try:
        wait_for(run["id"], lambda r: r["status"] == "RUNNING", 60)
        time.sleep(3)
    finally:
        child.send_signal(signal.SIGKILL)  # the OOM killer: no finally, no goodbye
        child.wait()
    print("the OOM killer took the worker mid-book; its job row would say RUNNING forever")
    final = wait_for(run["id"], lambda r: r["status"] not in ("PENDING", "RUNNING"), 60)
    print(json.dumps({"status": final["status"], "reason": final["reason"], "error": final["error"]}))
    return 0 if (final["status"], final["reason"]) == ("TIMED_OUT", "heartbeat_timeout") else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker(json.loads(os.environ["VIGIL_RUN"]))
    else:
        sys.exit(main())
