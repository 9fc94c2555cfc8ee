"""Unit rules: passwords (ASVS V6.2.x, V11.4.2) and Swedish organisation numbers."""

import pytest

from portal.orgs.services import normalise_org_number
from portal.passwords import (
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)


def test_the_common_password_list_is_large():
    assert len(common_passwords()) >= 10_000
    assert "password" in common_passwords()
    assert "qwerty" in common_passwords()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("seven77", False),  # too short
        ("eightchr", True),  # 8 is enough, no composition rules
        ("alllowercaseletters", True),
        ("Password", False),  # common, whatever the case
        ("iloveyou", False),
        ("x" * 128, True),
        ("x" * 129, False),
    ],
)
def test_password_rules(app_context, password, ok):
    assert (password_problems(password) == []) is ok


def test_a_password_containing_the_email_name_is_refused(app_context):
    assert password_problems("annasvensson2026", email="annasvensson@example.com")


def test_passwords_are_hashed_with_argon2id(app_context):
    hashed = hash_password("lantern meadow copper")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "lantern meadow copper")
    assert not verify_password(hashed, "lantern meadow coppe")
    assert not verify_password("not a hash", "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("556677-8899", "556677-8899"),
        ("5566778899", "556677-8899"),
        ("16556677-8899", "556677-8899"),
        (" 556677 8899 ", "556677-8899"),
        ("556677-8890", None),  # wrong check digit
        ("551212-1236", None),  # third digit below 2: a personal identity number
        ("12345", None),
        ("abcdef-ghij", None),
    ],
)
def test_swedish_organisation_numbers(value, expected):
    assert normalise_org_number(value) == expected
