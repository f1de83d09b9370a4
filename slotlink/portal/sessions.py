"""Django's database sessions, plus the stand-in a made-up manage link gets.

A browser that opens /m/<made-up> must not be told apart from one that opened a real link:
not by its page, and not by its cookie. So a made-up link gets a session key shaped, set and
ended like any other (32 characters of a-z0-9, a browser-session cookie, gone after
SESSION_COOKIE_AGE), yet no row: the key itself seals which made-up link it stands for and when
it was opened, under a key derived from SECRET_KEY. Sealing a random nonce in makes each key
new, as cycle_key() would; the spare room above the sealed block is filled at random, so the
key is spread over the whole key space as a real one is.
"""

import secrets
import struct
import threading
from contextlib import nullcontext
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac

from slotlink.lib.middleware import KEPT_ALIVE_AT

MADE_UP = "manage_made_up"  # the one thing such a session holds: the made-up link's id

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"  # Django's session key characters
_KEY_LENGTH = 32
_BLOCK = 1 << 128
_SPREAD = len(_ALPHABET) ** _KEY_LENGTH // _BLOCK
_ID_HEX = 16  # the made-up link's id: the first 8 bytes of its hash
_MARK = b"\x5a\x17"  # a random key opens to this by chance once in 65,536 tries


@lru_cache(maxsize=2)
def _cipher_for(secret: str) -> Cipher[Any]:
    key = salted_hmac("slotlink.portal.sessions", "made-up manage link", secret).digest()[:16]
    # One block, one key, a nonce inside: a keyed permutation is all that is wanted here.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305  # nosec B305


_contexts = threading.local()


def _permute(block: bytes, *, inverse: bool = False) -> bytes:
    """One block sealed (or, inverse, opened) under the key derived from SECRET_KEY. Every
    request with a session key opens it, and making a cipher context costs far more than using
    one: ECB on whole blocks carries nothing from one block to the next, so each thread keeps
    its own pair, made again when SECRET_KEY changes."""
    secret = settings.SECRET_KEY
    held: tuple[str, CipherContext, CipherContext] | None = getattr(_contexts, "held", None)
    if held is None or held[0] != secret:
        cipher = _cipher_for(secret)
        held = (secret, cipher.encryptor(), cipher.decryptor())
        _contexts.held = held
    return (held[2] if inverse else held[1]).update(block)


def _made_up_key(made_up: str, opened: int) -> str:
    block = (
        bytes.fromhex(made_up[:_ID_HEX])
        + _MARK
        + struct.pack(">I", opened)
        + secrets.token_bytes(2)
    )
    sealed = int.from_bytes(_permute(block), "big")
    number = secrets.randbelow(_SPREAD) * _BLOCK + sealed
    digits = []
    for _ in range(_KEY_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _opened_made_up(key: str | None) -> tuple[str, int] | None:
    """The made-up link's id and when it was opened, if the key is one of ours."""
    if not key or len(key) != _KEY_LENGTH or key.strip(_ALPHABET):
        return None
    number = int(key, len(_ALPHABET))
    if number >= _SPREAD * _BLOCK:
        return None
    block = _permute((number % _BLOCK).to_bytes(16, "big"), inverse=True)
    if block[8:10] != _MARK:
        return None
    return block[:8].hex(), struct.unpack(">I", block[10:14])[0]


def _sql(template: str) -> str:
    """`template` with the session model's table ({table}): only its name goes into the text."""
    return template.format(table=connection.ops.quote_name(Session._meta.db_table))


class SessionStore(DatabaseSessionStore):
    """Reads, writes and creates a session in written-out SQL: every request with a session
    reads or writes it, every booking creates one, and building the ORM's queries cost more
    CPU than the database spent answering them."""

    def _get_new_session_key(self) -> str:
        # One random key in 65,536 opens as a seal: handed to a real session, its row would be
        # ignored and what it holds lost, so such keys are never handed out. Not first asked
        # for (as Django does): a new key is only ever inserted, and an insert of a key in use
        # fails and create() tries another.
        while True:
            key = get_random_string(_KEY_LENGTH, VALID_KEY_CHARS)
            if _opened_made_up(key) is None:
                return key

    def _session_data(self) -> str | None:
        """The session's encoded data, or None (and no key) when it has ended or never was."""
        key = self.session_key
        if key is None:  # nothing to read (Django loads only a session with a key)
            return None
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                _sql(
                    "SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s"
                ),
                [key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        data: str = row[0]
        return data

    def _update(self) -> None:
        """As the model's forced update: UpdateError when the row has gone (ended elsewhere)."""
        data = self.encode(self._get_session())  # type: ignore[attr-defined]  # not in the stubs
        expires = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
        with connection.cursor() as cursor:
            cursor.execute(
                _sql(
                    "UPDATE {table} SET session_data = %s, expire_date = %s WHERE session_key = %s"
                ),
                [data, expires, self.session_key],
            )
            if cursor.rowcount != 1:
                raise UpdateError

    def _insert(self) -> None:
        """As the model's forced insert: CreateError when the key is in use. Inside a
        transaction it has a savepoint of its own, as Django's has, so that a refused insert
        leaves the transaction usable; outside one, the statement is a transaction by itself."""
        data = self.encode(self._get_session(no_load=True))  # type: ignore[attr-defined]
        expires = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
        alone = not connection.in_atomic_block and connection.get_autocommit()
        try:
            with nullcontext() if alone else transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    _sql(
                        "INSERT INTO {table} (session_key, session_data, expire_date) "
                        "VALUES (%s, %s, %s)"
                    ),
                    [self.session_key, data, expires],
                )
        except IntegrityError as error:
            raise CreateError from error

    def load(self) -> dict[str, Any]:
        made_up = _opened_made_up(self.session_key)
        if made_up is None:
            # As Django's load, without a Session instance made only to hold the data.
            data = self._session_data()
            return {} if data is None else self.decode(data)
        link, opened = made_up
        # Lapses as an idle real session does: its row, saved on opening, expires then.
        if timezone.now().timestamp() - opened > settings.SESSION_COOKIE_AGE:
            self._session_key = None
            return {}
        # As a real session's row notes when it was last kept alive (lib/middleware.py).
        return {MADE_UP: link, KEPT_ALIVE_AT: opened}

    def save(self, must_create: bool = False) -> None:
        if _opened_made_up(self.session_key) is None:
            if self.session_key is None:
                self.create()  # a new key, then back here to insert it
            elif must_create:
                self._insert()
            else:
                self._update()
            return
        # Kept alive: sealed afresh, so that it lapses as late as a real session would then.
        made_up = self.get(MADE_UP)
        if isinstance(made_up, str):
            self._session_key = _made_up_key(made_up, int(timezone.now().timestamp()))

    def delete(self, session_key: str | None = None) -> None:
        if _opened_made_up(session_key or self.session_key) is None:
            super().delete(session_key)

    def open_made_up(self, made_up: str) -> None:
        """End this browser's session and stand in for the made-up link `made_up` (its hash,
        in hex): the middleware then sets the cookie exactly as for a real session."""
        self.flush()
        self._session_key = _made_up_key(made_up, int(timezone.now().timestamp()))
        self._session_cache = {MADE_UP: made_up[:_ID_HEX]}
        self.modified = True
