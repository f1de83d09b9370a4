"""gunicorn's settings (slotlink/gunicorn_config.py)."""

from datetime import timedelta
from unittest import mock

from gunicorn import glogging
from gunicorn.config import Config

from slotlink import gunicorn_config


def test_no_access_log_line_is_built_for_a_request() -> None:
    # There is no access log (it would write /b/<token>), so building its fields is waste.
    config = Config()
    config.set("logconfig_dict", {"version": 1, "disable_existing_loggers": False})
    logger = gunicorn_config.logger_class(config)
    assert logger.access_log_enabled  # what made gunicorn build them
    with mock.patch.object(glogging.Logger, "atoms") as atoms:
        logger.access(mock.Mock(), mock.Mock(), {}, timedelta(milliseconds=3))
    assert not atoms.called
