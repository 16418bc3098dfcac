"""Prefixed, unguessable identifiers (``pay_``, ``re_``, ``evt_``, ...)."""
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` + ``_`` + ``length`` random base62 characters (~143 bits for 24)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
