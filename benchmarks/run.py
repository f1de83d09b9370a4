"""`make bench`: every figure behind issues 3 and 5's bars, one JSON object per line on stdout.

    python -m benchmarks.run

First the availability engine on synthetic diaries (benchmarks.engine: 10, 50, 200 and 1000
therapists), then the patient's pages on seeded throwaway databases (benchmarks.pages), then
10,000 texts through the outbox with two workers (benchmarks.outbox): SQLite always,
PostgreSQL too when DATABASE_URL names a server. Progress goes to stderr.
"""

from __future__ import annotations

import time

from benchmarks import engine, outbox, pages
from benchmarks.common import emit, load, log, sizes, vendors


def main() -> None:
    began = time.perf_counter()
    for therapists, weeks in sizes(engine.CONFIGS):
        emit({**engine.run(therapists, weeks), **load()})
    pages.run_all()
    for vendor in vendors():
        emit(outbox.run(vendor))
    log(f"make bench took {time.perf_counter() - began:.0f}s")


if __name__ == "__main__":
    main()
