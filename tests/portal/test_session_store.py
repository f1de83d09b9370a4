"""Sessions are read and updated in written-out SQL (slotlink/portal/sessions.py): they must
behave exactly as Django's database sessions do."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.utils import timezone

from slotlink.portal import sessions
from slotlink.portal.sessions import SessionStore


def saved(**values: object) -> SessionStore:
    store = SessionStore()
    for name, value in values.items():
        store[name] = value
    store.save()
    return store


def test_a_saved_session_reads_back(db: None) -> None:
    store = saved(link=7, start="2026-12-01T09:00:00+00:00")
    again = SessionStore(session_key=store.session_key)
    assert (again["link"], again["start"]) == (7, "2026-12-01T09:00:00+00:00")
    assert again.session_key == store.session_key


def test_an_update_writes_the_data_and_pushes_the_expiry_back(db: None) -> None:
    store = saved(link=7)
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() + timedelta(seconds=5)
    )
    again = SessionStore(session_key=store.session_key)
    again["link"] = 8
    again.save()
    row = Session.objects.get(pk=store.session_key)
    assert row.get_decoded() == {"link": 8}
    assert row.expire_date > timezone.now() + timedelta(minutes=10)
    assert Session.objects.count() == 1


def test_an_expired_session_reads_as_none_and_loses_its_key(db: None) -> None:
    store = saved(link=7)
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert again.get("link") is None
    assert again.session_key is None


def test_updating_a_session_ended_elsewhere_is_refused(db: None) -> None:
    store = saved(link=7)
    again = SessionStore(session_key=store.session_key)
    assert again["link"] == 7
    Session.objects.filter(pk=store.session_key).delete()  # "log out everywhere", say
    again["link"] = 8
    with pytest.raises(UpdateError):
        again.save()
    assert not Session.objects.exists()


def test_a_new_key_already_in_use_is_replaced_by_another(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # New keys are not looked up first: the insert of one in use fails, and another is tried.
    taken = saved_over_a_taken_key(monkeypatch)
    assert SessionStore(session_key=taken)["link"] == 7
    assert SessionStore(session_key="k" * 32)["link"] == 8


def saved_over_a_taken_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Saves a session (link 7), then another (link 8) whose first new key is the first's;
    the first's key."""
    taken = saved(link=7)
    keys = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(keys))
    assert saved(link=8).session_key == "k" * 32
    return str(taken.session_key)


def test_a_made_up_links_key_opens_only_under_the_secret_key_that_sealed_it() -> None:
    """The cipher is derived once per SECRET_KEY, not once for good."""
    from django.test import override_settings

    opened = int(timezone.now().timestamp())
    key = sessions._made_up_key("ab" * 8, opened)
    assert sessions._opened_made_up(key) == ("ab" * 8, opened)
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        assert sessions._opened_made_up(key) != ("ab" * 8, opened)
        assert sessions._opened_made_up(sessions._made_up_key("cd" * 8, opened)) == (
            "cd" * 8,
            opened,
        )
    assert sessions._opened_made_up(key) == ("ab" * 8, opened)


def test_a_new_session_is_stored_as_the_model_stores_it(db: None) -> None:
    store = saved(link=7)
    row = Session.objects.get(pk=store.session_key)
    assert row.get_decoded() == {"link": 7}
    assert abs(row.expire_date - store.get_expiry_date()) < timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_key_in_use_is_replaced_and_the_connection_stays_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Autocommit: the refused insert is a statement by itself, with no savepoint around it.
    taken = saved_over_a_taken_key(monkeypatch)
    assert Session.objects.count() == 2
    assert SessionStore(session_key=taken)["link"] == 7
