"""Symmetric encryption for the few secrets we must be able to read back (link tokens, SMS
bodies holding them), with keys from the environment, and hashing for look-ups."""

import hashlib
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(cipher: str) -> str | None:
    """The plain text, or None when the value was not made with one of our keys."""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def reencrypt(cipher: str) -> str | None:
    """The value encrypted with the first key, for rotating keys: unchanged when the first key
    already reads it, None when no key does."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(cipher.encode())
    except (InvalidToken, ValueError):
        pass
    else:
        return cipher
    try:
        return _fernet().rotate(cipher.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def new_token() -> str:
    """256 bits from the OS's CSPRNG, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
