"""Uploaded factory lists waiting for confirmation: they take room in proportion to the file,
an organisation keeps a few, they expire (and `flask imports purge` deletes them), and one
account cannot upload without pause."""

import io
import json
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.factories import services
from portal.factories.models import Factory, FactoryImport
from portal.timeutil import utcnow

LIST = b"Name,Country,Role\nKunshan Board Works,CN,final assembly\n"
GONE = "This import is no longer here"


def _upload(client, data: bytes = LIST, filename: str = "list.csv"):
    return client.submit("/factories/import", {"file": (io.BytesIO(data), filename)})


def _staged_ids(organisation) -> list[int]:
    return list(
        db.session.scalars(
            db.select(FactoryImport.id)
            .where(FactoryImport.organisation_id == organisation.id)
            .order_by(FactoryImport.id)
        )
    )


def _staged(organisation, *, age: timedelta = timedelta(0), confirmed: bool = False):
    staged = FactoryImport(
        organisation_id=organisation.id,
        filename="list.csv",
        rows=[],
        created_at=utcnow() - age,
        confirmed_at=utcnow() - age if confirmed else None,
    )
    db.session.add(staged)
    db.session.commit()
    return staged.id


def test_thousands_of_digits_of_workers_are_an_error_on_the_row(client, owner_a, supplier_a):
    client.login(owner_a)
    data = f"Name,Country,Role,Workers\nA Works,CN,final assembly,{'9' * 5000}\n".encode()
    response = _upload(client, data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "More than 1000000 workers cannot be right" in page.get_data(as_text=True)


def test_a_staged_import_takes_room_in_proportion_to_the_file(client, owner_a, supplier_a):
    unknown = ",".join(f"Gadget {n}" for n in range(500))
    rows = "".join(f'F{n} Works,CN,final assembly,"{unknown}",{"Note " * 20}\n' for n in range(50))
    data = f"Name,Country,Role,Component,{'Remarks ' * 30}\n{rows}".encode()
    client.login(owner_a)
    location = _upload(client, data).headers["Location"]
    [staged] = db.session.scalars(db.select(FactoryImport)).all()
    staged_id = staged.id
    stored = len(json.dumps(staged.rows)) + len(json.dumps(staged.cells))
    # The cells once, the rows' values and a few warnings each: not 500 warnings a row.
    assert stored < 2 * len(data)
    assert "495 more values were not imported either." in client.get(location).get_data(
        as_text=True
    )

    client.submit(location, {})
    assert len(db.session.scalars(db.select(Factory)).all()) == 50
    db.session.expire_all()
    staged = db.session.get(FactoryImport, staged_id)
    # Confirmed, the factories are in the register: the file is not kept a second time.
    assert (staged.rows, staged.cells) == ([], None)


def test_a_new_upload_replaces_the_oldest_waiting_one(client, owner_a, member_a, supplier_a, app):
    assert app.config["FACTORY_IMPORT_PENDING_MAX"] == 5
    client.login(owner_a)
    first = _upload(client).headers["Location"]
    for _ in range(4):
        _upload(client)
    assert len(_staged_ids(supplier_a)) == 5
    assert client.get(first).status_code == 200

    colleague = app.test_client()
    colleague.login(member_a)
    newest = _upload(colleague).headers["Location"]

    assert len(_staged_ids(supplier_a)) == 5
    assert colleague.get(newest).status_code == 200
    gone = client.get(first)
    assert gone.status_code == 404
    assert GONE in gone.get_data(as_text=True)
    assert "at most 5 per organisation" in gone.get_data(as_text=True)


def test_a_confirmed_import_does_not_count_as_waiting(client, owner_a, supplier_a):
    confirmed = _staged(supplier_a, confirmed=True)
    client.login(owner_a)
    for _ in range(5):
        _upload(client)
    assert confirmed in _staged_ids(supplier_a)
    assert len(_staged_ids(supplier_a)) == 6


def test_an_expired_import_says_so_and_adds_nothing(client, owner_a, supplier_a, monkeypatch):
    client.login(owner_a)
    location = _upload(client).headers["Location"]
    assert client.get(location).status_code == 200
    page = client.get(location).get_data(as_text=True)

    later = utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    shown = client.get(location)
    assert shown.status_code == 404
    assert GONE in shown.get_data(as_text=True)
    assert "kept for 24 hours" in shown.get_data(as_text=True)
    assert "Page not found" not in shown.get_data(as_text=True)

    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(location, data={"csrf_token": token}).status_code == 404
    assert db.session.scalars(db.select(Factory)).all() == []


def test_expiry_is_shown_in_swedish(client, owner_a, supplier_a):
    staged = _staged(supplier_a, age=timedelta(hours=25))
    client.login(owner_a)
    page = client.get(f"/factories/import/{staged}", headers={"Accept-Language": "sv"})
    assert page.status_code == 404
    assert "24 timmar" in page.get_data(as_text=True)


def test_another_organisations_import_is_not_found_like_an_expired_one(client, owner_b, supplier_a):
    staged = _staged(supplier_a)
    client.login(owner_b)
    for url in (f"/factories/import/{staged}", f"/factories/import/{staged}/columns"):
        response = client.get(url)
        assert response.status_code == 404
        assert GONE in response.get_data(as_text=True)


def test_uploads_are_limited_per_account(client, owner_a, member_a, app, monkeypatch):
    monkeypatch.setitem(app.config, "FACTORY_IMPORT_RATE_LIMIT", "2 per minute")
    client.login(owner_a)
    statuses = [_upload(client).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    refused = _upload(client)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert client.get("/factories/import").status_code == 200  # the form still shows

    # A colleague at the same address has a count of their own.
    colleague = app.test_client()
    colleague.login(member_a)
    assert _upload(colleague).status_code == 302


# `flask imports purge` ----------------------------------------------------------------------------
@pytest.fixture
def purge(app_context):
    runner = app_context.test_cli_runner()
    return lambda *args: runner.invoke(args=["imports", "purge", *args])


def test_purge_deletes_only_expired_unconfirmed_imports(purge, supplier_a, supplier_b, monkeypatch):
    expired = _staged(supplier_a, age=timedelta(hours=25))
    expired_elsewhere = _staged(supplier_b, age=timedelta(hours=30))
    waiting = _staged(supplier_a, age=timedelta(hours=23))
    confirmed = _staged(supplier_a, age=timedelta(days=400), confirmed=True)

    result = purge()

    assert result.exit_code == 0, result.output
    assert result.output == "Removed 2 unconfirmed factory import(s) older than 24 hours.\n"
    remaining = set(db.session.scalars(db.select(FactoryImport.id)))
    assert remaining == {waiting, confirmed}
    assert not {expired, expired_elsewhere} & remaining

    # Run again, as cron does: nothing more to do, and no harm.
    assert purge().output == "Removed 0 unconfirmed factory import(s) older than 24 hours.\n"

    # An hour later the one that was waiting has expired too.
    later = utcnow() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert purge().output == "Removed 1 unconfirmed factory import(s) older than 24 hours.\n"
    assert set(db.session.scalars(db.select(FactoryImport.id))) == {confirmed}


def test_purge_follows_the_configured_expiry(purge, supplier_a, app, monkeypatch):
    monkeypatch.setitem(app.config, "FACTORY_IMPORT_EXPIRY_HOURS", 2)
    _staged(supplier_a, age=timedelta(hours=3))
    kept = _staged(supplier_a, age=timedelta(hours=1))
    assert purge().output == "Removed 1 unconfirmed factory import(s) older than 2 hours.\n"
    assert list(db.session.scalars(db.select(FactoryImport.id))) == [kept]


def test_purge_explains_itself(purge):
    help_text = purge("--help").output
    assert "not confirmed within" in help_text
    assert "cron" in help_text
