"""The portal on its own in a process, for the upload memory measurement of `make bench`.

    python -m bench.upload_server FOLDER

Makes a SQLite database and an evidence folder in FOLDER, seeds a supplier, its owner
(UPLOAD_EMAIL / UPLOAD_PASSWORD) and one factory, prints "PORT FACTORY_ID" on a line of its
own and serves on 127.0.0.1 until it is terminated. Its memory is the server's alone.
"""

import sys
from datetime import date
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.models import User
from portal.config import TestConfig
from portal.extensions import db
from portal.factories.models import Factory
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import hash_password
from portal.roles import Role

UPLOAD_EMAIL = "uploader@bench.example"
UPLOAD_PASSWORD = "bench password long enough"  # noqa: S105 - a throwaway database
#: Room for the 100 MB file of the measurement.
UPLOAD_MAX_BYTES = 200 * 1024 * 1024


def config_for(folder: Path) -> type[TestConfig]:
    return type(
        "UploadBenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'upload.sqlite3'}",
            "EVIDENCE_STORAGE_URL": f"file://{folder / 'evidence'}",
            "EVIDENCE_MAX_BYTES": UPLOAD_MAX_BYTES,
            "MAX_CONTENT_LENGTH": UPLOAD_MAX_BYTES + 1024 * 1024,
            "ARGON2_PROFILE": "CHEAPEST",
            "MAIL_BACKEND": "memory",
            "LOGIN_RATE_LIMIT_IP": "10000 per minute",
        },
    )


def seed() -> int:
    """A supplier, its owner and one factory; returns the factory's id."""
    supplier = Organisation(
        kind=OrgKind.RESELLER, name="Upload Bench AB", country="SE", contact_email="u@example.com"
    )
    db.session.add(supplier)
    db.session.flush()
    db.session.add(
        User(
            organisation_id=supplier.id,
            email=UPLOAD_EMAIL,
            full_name="Uploader",
            role=Role.SUPPLIER_OWNER.value,
            password_hash=hash_password(UPLOAD_PASSWORD),
        )
    )
    factory = Factory(
        organisation_id=supplier.id,
        name="Bench Factory",
        country="CN",
        role="final_assembly",
        entered_on=date(2024, 1, 1),
        match_key="bench factory||cn",
    )
    db.session.add(factory)
    db.session.commit()
    return factory.id


def main(folder: Path) -> None:
    app = create_app(config_for(folder))
    with app.app_context():
        upgrade()
        factory_id = seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    print(server.server_port, factory_id, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
