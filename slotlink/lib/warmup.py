"""Loading, once, what Django otherwise loads on an app process's first requests.

gunicorn's master calls `warm_up()` after loading the app and before forking its workers
(slotlink/gunicorn_config.py), so every worker, and every replacement for one that reached
`WEB_MAX_REQUESTS`, starts with the URL patterns, every template compiled, both languages'
translations and the bank holidays' tables already in memory, instead of spending its first
requests' CPU loading them.
"""

import gc
from pathlib import Path

import holidays
from django.conf import settings
from django.db import connections
from django.template import engines
from django.urls import get_resolver
from django.utils.translation import trans_real


def warm_up() -> None:
    get_resolver().reverse_dict  # noqa: B018  # imports every view, builds reverse()'s tables
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    # The first bank-holiday lookup imports the package's country modules (about 280).
    holidays.country_holidays("GB")
    engine = engines["django"]
    for directory in engine.dirs:
        for path in sorted(Path(directory).rglob("*.html")):
            engine.get_template(str(path.relative_to(directory)))
    # Nothing above should have opened a connection; a forked worker must never share one.
    connections.close_all()
    # What is loaded now lives as long as the process: the collector need not scan it again,
    # and the workers' copies of its pages stay shared instead of being written to.
    gc.freeze()
