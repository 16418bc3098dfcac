"""Prefixed, unguessable identifiers (``pay_``, ``re_``, ``evt_``, ...)."""

import os
import string

_ALPHABET = string.ascii_letters + string.digits
_UNBIASED = 256 - 256 % len(_ALPHABET)  # bytes at or above this would favour some characters


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` + ``_`` + ``length`` random base62 characters (~143 bits for 24).

    One ``urandom`` call per id (a system call per character cost more than the rest of it)."""
    chars: list[str] = []
    while len(chars) < length:
        chars += [_ALPHABET[b % len(_ALPHABET)] for b in os.urandom(2 * length) if b < _UNBIASED]
    return f"{prefix}_" + "".join(chars[:length])
