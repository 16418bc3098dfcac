"""``:ip_country:`` from the operator's country database (``PAYWAVE_GEOIP_DB``): a MaxMind-format ``.mmdb``
(GeoLite2-Country, DB-IP's free country lite, or a city database), read with ``maxminddb``.

The file is opened once per process (memory-mapped reads, safe across threads) and read in microseconds; a
missing or unreadable file is a configuration error at start, never a silent unknown.  An address the
database does not cover (a private one, say) has no country: a rule over it does not match.
"""

import maxminddb

from shared.config import Config, ConfigError


class GeoIP:
    """Parameters:
    path: The ``.mmdb`` file.

    Raises:
      ConfigError: the file is missing or not a MaxMind database.
    """

    def __init__(self, path: str) -> None:
        try:
            self._reader = maxminddb.open_database(path)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            problem = f"PAYWAVE_GEOIP_DB={path!r}: not a readable MaxMind database: {exc}"
            raise ConfigError([problem]) from None

    @classmethod
    def from_config(cls, config: Config) -> "GeoIP | None":
        """The database of ``PAYWAVE_GEOIP_DB``; None when unset (the IP country stays unknown)."""
        return cls(config.geoip_db) if config.geoip_db else None

    def country(self, ip: str) -> str | None:
        """The ISO 3166 alpha-2 country of ``ip`` (the database's ``country``, else ``registered_country``);
        None when the database has no record or ``ip`` is not an address."""
        try:
            record = self._reader.get(ip)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        for key in ("country", "registered_country"):
            place = record.get(key)
            code = place.get("iso_code") if isinstance(place, dict) else None
            if isinstance(code, str):
                return code.upper()
        return None
