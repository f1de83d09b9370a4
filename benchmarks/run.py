"""`make bench`: every figure behind issue 3's bars, one JSON object per line on stdout.

    python -m benchmarks.run

First the availability engine on synthetic diaries (benchmarks.engine: 10, 50, 200 and 1000
therapists), then the patient's pages on seeded throwaway databases (benchmarks.pages:
SQLite always, PostgreSQL too when DATABASE_URL names a server). Progress goes to stderr.
"""

from __future__ import annotations

import time

from benchmarks import engine, pages
from benchmarks.common import emit, load, log, sizes


def main() -> None:
    began = time.perf_counter()
    for therapists, weeks in sizes(engine.CONFIGS):
        emit({**engine.run(therapists, weeks), **load()})
    pages.run_all()
    log(f"make bench took {time.perf_counter() - began:.0f}s")


if __name__ == "__main__":
    main()
