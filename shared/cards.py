"""Cards: the card in clear that the vault opens for a gateway call, and the card-number checks shared by
validation, problem bodies and the log scrubber."""

import dataclasses
import re
from collections.abc import Iterator

# Digit groups joined by short runs of separators (spaces, tabs, dots, slashes, dashes, ...): however a
# card number is written.  A separator run is never a digit and at most 4 long, so matching stays linear.
_RUN = re.compile(r"\d+(?:[\W_]{1,4}\d+)*")
_GROUP = re.compile(r"\d+")
# 13 digits, each within 4 separators of the next: what every card number holds.  Searched first (in C), it
# spares the exact search on the strings that hold none (ids, routes, most log fields).
_MAYBE = re.compile(r"(?:\d[\W_]{0,4}){12}\d")
PAN_DIGITS = range(13, 20)


#: What a digit adds to the Luhn sum: as it is at even positions from the right (0: the check digit), doubled
#: at odd.
_LUHN = (tuple(range(10)), (0, 2, 4, 6, 8, 1, 3, 5, 7, 9))


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum (every real card number does)."""
    return sum(_LUHN[i % 2][int(ch)] for i, ch in enumerate(reversed(digits))) % 10 == 0


def _spans_in(run: re.Match[str]) -> Iterator[tuple[int, int]]:
    """Spans of whole consecutive groups of ``run`` holding 13-19 digits that pass Luhn: a card number next
    to another number (an expiry, an order number) is still found, a longer unbroken number is not one.
    Groups are added leftwards from each last group, so the Luhn sum grows instead of being recomputed."""
    groups = [
        (g.start(), g.end(), [int(ch) for ch in reversed(g.group())]) for g in _GROUP.finditer(run.group())
    ]
    for last in range(len(groups)):
        count = total = 0
        for start, _, group in reversed(groups[max(0, last + 1 - PAN_DIGITS[-1]) : last + 1]):
            for d in group:
                total += _LUHN[count % 2][d]
                count += 1
            if count > PAN_DIGITS[-1]:
                break
            if count in PAN_DIGITS and total % 10 == 0:
                yield run.start() + start, run.start() + groups[last][1]


def find_pans(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that look like card numbers (13-19 digits passing Luhn), merged where they
    overlap."""
    spans: list[tuple[int, int]] = []
    if not _MAYBE.search(text):
        return spans
    for start, end in sorted(span for run in _RUN.finditer(text) for span in _spans_in(run)):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def mask_pans(text: str, mask: str = "[card redacted]") -> str:
    """``text`` with every span ``find_pans`` reports replaced by ``mask``."""
    for start, end in reversed(find_pans(text)):
        text = text[:start] + mask + text[end:]
    return text


@dataclasses.dataclass(frozen=True)
class Card:
    """A card in clear, held in memory only for the duration of one call."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str | None = None

    def __repr__(self) -> str:  # never print the PAN or the CVC
        return f"Card(last4={self.number[-4:]}, exp={self.exp_month:02d}/{self.exp_year})"
