"""Card number checks shared by validation and the log scrubber."""


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum (every real card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
