"""Passwords: Argon2id hashes with parameters from configuration, and the weak-password check.

A hash holds its own parameters, so raising them in configuration takes effect for each user at their next
login (``needs_rehash``).  ``decoy`` costs what a real check costs, for logins naming no user: the answer's
timing does not tell which emails have an account.
"""

import functools
import pathlib
import secrets
from typing import Self

import argon2

from shared.config import Config

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; this bounds the work one request can ask for
_COMMON = pathlib.Path(__file__).with_name("common_passwords.txt")


@functools.cache
def _common() -> frozenset[str]:
    lines = _COMMON.read_text().splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str) -> str | None:
    """Why ``password`` is refused, or None: too short, too long, or on the common-password list."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.lower() in _common():
        return "is too common: choose another"
    return None


class Passwords:
    """Hashes and checks passwords with one set of Argon2id parameters.

    Parameters:
      time_cost, memory_kib, parallelism: Argon2id's passes, memory (KiB) and lanes.
    """

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=argon2.Type.ID
        )
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_config(cls, config: Config) -> Self:
        return cls(config.password_time_cost, config.password_memory_kib, config.password_parallelism)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash`` (whatever parameters it was made with)."""
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def decoy(self, password: str) -> bool:
        """A check as costly as ``verify`` that never matches: for an email with no account."""
        self.verify(self._decoy, password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than this configuration's."""
        return self._hasher.check_needs_rehash(password_hash)
