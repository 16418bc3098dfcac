"""CSV bodies, written a batch of rows at a time and safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator

EXPORT_FORMATS = ("csv",)
#: A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def cell(value: object) -> object:
    """``value`` as written: text that a spreadsheet would run as a formula gets a leading ``'``,
    so it shows as text; numbers (amounts are never negative) and empty cells (None) stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """The CSV document (RFC 4180: CRLF line ends, quoted where needed) of ``header`` and then
    ``rows``, UTF-8 encoded, in chunks of ``ROWS_PER_CHUNK`` rows: never the whole document in memory.

    Parameters:
      rows: Read lazily; closing this generator closes ``rows`` (a server-side cursor) too.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    try:
        for number, row in enumerate(rows, 1):
            writer.writerow([cell(value) for value in row])
            if number % ROWS_PER_CHUNK == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()
