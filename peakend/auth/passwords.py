"""Password hashing with argon2id (argon2-cffi): only the hash is ever stored."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import get_default_parameters

# argon2-cffi's defaults follow RFC 9106's second recommendation (argon2id, 64 MiB, t=3,
# p=4): about 0.1 s per sign-in here, which is the point.
PARAMETERS = get_default_parameters()
_HASHER = PasswordHasher.from_parameters(PARAMETERS)
MIN_LENGTH = 8

# Verified when the user name is unknown, so a wrong name costs the same time as a
# wrong password and the timing doesn't tell which names exist.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise WeakPassword("a password may not start or end with a space")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches `stored_hash`; always spends one verification."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
