"""A worker loop with no web server, whose liveness is a heartbeat file.

It takes jobs from a queue and beats after every turn: after a job, and
after a wait for work that found none. So an idle worker stays fresh and
only a stuck one goes stale:

    python examples/worker_heartbeat.py &                        # the worker
    skiesish check --heartbeat /tmp/worker-alive --max-age 30    # its probe: exit 0 while it works

``WORKER_HEARTBEAT`` names another file; ``WORKER_TURNS`` stops the loop
after that many turns (the tests use it).
"""

from __future__ import annotations

import os
import queue

import skiesish

#: Seconds one turn waits for a job: well under the probe's --max-age, so that waiting is beating too.
POLL_SECONDS = 5.0


def handle(job: str) -> None:
    """Stands in for the real work."""


def work(jobs: queue.Queue[str], heartbeat: skiesish.Heartbeat, turns: int | None = None) -> int:
    """Take jobs for ``turns`` turns (forever by default), beating after each; return how many were done."""
    done = turn = 0
    while turns is None or turn < turns:
        turn += 1
        try:
            job = jobs.get(timeout=POLL_SECONDS)
        except queue.Empty:
            pass
        else:
            handle(job)
            done += 1
        heartbeat.beat()
    return done


def main() -> None:
    # Stands in for a real source of work: a Redis list, an SQS queue, a table of pending jobs.
    jobs: queue.Queue[str] = queue.Queue()
    for number in range(3):
        jobs.put(f"job {number}")
    turns = os.environ.get("WORKER_TURNS")
    with skiesish.Heartbeat(os.environ.get("WORKER_HEARTBEAT", "/tmp/worker-alive")) as heartbeat:
        work(jobs, heartbeat, None if turns is None else int(turns))


if __name__ == "__main__":
    main()
