"""Card number checks shared by validation and the log scrubber."""
import re

_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum (every real card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_pans(text: str):
    """The spans of ``text`` that look like card numbers (13-19 digits passing Luhn)."""
    return [m.span() for m in _CANDIDATE.finditer(text) if luhn_ok(re.sub(r"\D", "", m.group()))]


def mask_pans(text: str, mask="[card redacted]") -> str:
    for start, end in reversed(find_pans(text)):
        text = text[:start] + mask + text[end:]
    return text
