"""Reference for the `queue` scenario: trivial tasks through Celery with a Redis broker.

Runs with Benchmarks/.venv/bin/python (celery[redis] from PyPI, installed by Benchmarks/run).
The harness starts a private redis-server on 127.0.0.1 (its own port and folder, default
persistence settings) and a Celery worker (`celery -A ref_celery worker`, prefork, one process
per core), then times one producer process:

    python ref_celery.py produce --count N

which sends N `noop` tasks and returns when the workers have completed all N. Completion is
counted in Redis (each task INCRs one key) so that no result backend is needed; the producer
polls the counter every 10 ms. Broker URL from $BENCH_REDIS_URL.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import redis
from celery import Celery

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("ref_celery", broker=URL)
app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=16, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)
_counter = None


@app.task(name="noop")
def noop() -> None:
    global _counter
    if _counter is None:
        _counter = redis.Redis.from_url(URL)
    _counter.incr("bench:done")


def produce(count: int) -> int:
    r = redis.Redis.from_url(URL)
    r.delete("bench:done")
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            noop.apply_async(producer=producer)
    while int(r.get("bench:done") or 0) < count:
        time.sleep(0.01)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description="Celery+Redis no-op tasks (benchmark reference)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--count", type=int, required=True)
    args = ap.parse_args()
    return produce(args.count)


if __name__ == "__main__":
    sys.exit(main())
