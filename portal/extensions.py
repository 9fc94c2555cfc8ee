"""Flask extensions, created unbound so that any module can import them without cycles."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Every constraint gets a predictable name, so that migrations can drop and alter them
#: on SQLite (batch mode) as well as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: Requests that only read (a page, its headers, what it allows).
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadsUnlimited(Limiter):
    """Flask-Limiter's limiter, which looks up the limits that apply only to requests that
    may write: every limit the portal sets is on a form's POST (tests/test_login_throttle.py
    holds it so), and the look-up would cost each page a fiftieth of its time."""

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        if request.method not in READ_ONLY_METHODS:
            super()._check_request_limit(callable_name, in_middleware)


limiter = ReadsUnlimited(key_func=get_remote_address)
