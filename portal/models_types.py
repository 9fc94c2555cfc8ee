"""Column types shared by every feature's models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

from portal import encryption


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no timezone support, so values come back naive; this type stores UTC and
    always hands back aware datetimes, so comparisons never mix naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class EncryptedString(TypeDecorator):
    """A string kept encrypted in the database with the keys of a configuration setting.

    Python code reads and writes plain text; the column only ever holds Fernet tokens
    (authenticated encryption), so a copy of the database or a backup does not give the
    values away without the keys. Needs an application context, as every query does.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int, *, keys_setting: str):
        super().__init__(length)
        #: The configuration setting that holds the keys (see portal.encryption).
        self.keys_setting = keys_setting

    def process_bind_param(self, value: str | None, dialect):
        return None if value is None else encryption.encrypt(value, self.keys_setting)

    def process_result_value(self, value: str | None, dialect):
        return None if value is None else encryption.decrypt(value, self.keys_setting)
