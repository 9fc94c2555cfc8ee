"""Section pages and saves cost the same number of queries however many answers there are
(a large generated questionnaire, and every section of every shipped version), and a
published version's content is read once per process, never mixed up with another's."""

import re
from html.parser import HTMLParser

import pytest
import yaml
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.questionnaires.models import Answer
from portal.questionnaires.services import publish
from tests.fixtures.builders import (
    fill_with_samples,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
    shipped_versions,
)
from tests.fixtures.web import csrf_token_from


def big_definition(size: int, tmp_path):
    """Publish a one-section definition with `size` short-text questions."""
    content = {
        "format_version": 1,
        "key": f"big{size}",
        "version": 1,
        "title": {"sv": "Stor", "en": "Big"},
        "sections": [
            {
                "key": "all",
                "title": {"sv": "Alla", "en": "All"},
                "questions": [
                    {
                        "key": f"q{n}",
                        "type": "short_text",
                        "criterion": "transparency",
                        "text": {"sv": f"Fråga {n}", "en": f"Question {n}"},
                    }
                    for n in range(size)
                ],
            }
        ],
    }
    folder = tmp_path / f"big{size}"
    folder.mkdir()
    (folder / "v1.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    version, _ = publish(f"big{size}", 1, root=tmp_path)
    return version


def test_render_and_save_queries_do_not_grow_with_the_number_of_answers(
    client, owner_a, supplier_a, admin, count_queries, tmp_path
):
    client.login(owner_a)
    small = _queries_for(15, client, owner_a, supplier_a, admin, count_queries, tmp_path)
    large = _queries_for(150, client, owner_a, supplier_a, admin, count_queries, tmp_path)
    assert small == large, f"15 answers: {small}, 150 answers: {large} (render, save, autosave)"


def _queries_for(size, client, owner_a, supplier_a, admin, count_queries, tmp_path):
    """(queries to render, to save, to autosave) a section of `size` answered questions."""
    version = big_definition(size, tmp_path)
    round_ = make_round(version, [supplier_a], opened_by=admin)
    response = response_of(round_, supplier_a)
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    url = f"/responses/{response.id}/sections/all"
    client.submit(url, {f"q_q{n}": f"answer {n}" for n in range(size)})
    with count_queries() as render:
        assert client.get(url).status_code == 200
    html = client.get(url).get_data(as_text=True)
    changed = {f"q_q{n}": f"changed {n}" for n in range(size)}
    with count_queries() as save:
        reply = client.post(
            url, data={"csrf_token": csrf_token_from(html), **changed, "seen": _seen_from(html)}
        )
        assert reply.status_code == 302
    assert _value(response, f"q{size - 1}") == f"changed {size - 1}"
    html = client.get(url).get_data(as_text=True)
    again = {f"q_q{n}": f"again {n}" for n in range(size)}
    with count_queries() as autosave:
        reply = client.post(
            f"{url}/autosave",
            data={"csrf_token": csrf_token_from(html), **again, "seen": _seen_from(html)},
        )
        assert len(reply.get_json()["saved"]) == size
    assert _value(response, f"q{size - 1}") == f"again {size - 1}"
    return render.count, save.count, autosave.count


def _value(response, key):
    db.session.expire_all()
    return db.session.scalar(
        db.select(Answer.value).where(Answer.response_id == response.id, Answer.question_key == key)
    )


@pytest.mark.parametrize(("key", "number"), shipped_versions())
def test_every_shipped_section_takes_the_same_queries_however_much_is_answered(
    key, number, client, owner_a, supplier_a, admin, count_queries
):
    """Each section of a shipped version: the page takes as many queries with no answers
    as with every question answered, and a save or an autosave of one changed answer as
    many as one of every answer."""
    version = publish_shipped(key, number)
    make_factory(supplier_a, name="Lumenic Assembly", brands=["Lumenic"])
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    client.login(owner_a)
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    sections = version.definition.sections
    empty = {s["key"]: _page_queries(client, response, s, count_queries) for s in sections}
    fill_with_samples(response, owner_a, brands=("Lumenic",))
    for section in sections:
        name = section["key"]
        assert _page_queries(client, response, section, count_queries) == empty[name], name
        for autosave in (False, True):
            one = _save_queries(client, response, section, count_queries, 1, autosave)
            every = _save_queries(client, response, section, count_queries, None, autosave)
            assert one == every, f"{name}: one answer {one} queries, every answer {every}"


def _page_queries(client, response, section, count_queries) -> int:
    with count_queries() as page:
        reply = client.get(f"/responses/{response.id}/sections/{section['key']}")
        assert reply.status_code == 200
    return page.count


def _save_queries(client, response, section, count_queries, how_many, autosave) -> int:
    """Queries of saving the section as its page posts it, with `how_many` of its answers
    in text areas changed (None: every one), each an answer already given."""
    url = f"/responses/{response.id}/sections/{section['key']}"
    fields, texts = _page_fields(client.get(url).get_data(as_text=True))
    for name in [t for t in texts if fields.get(t)][:how_many]:  # answered ones
        fields.setlist(name, [f"{fields.get(name)} changed"])
    with count_queries() as save:
        reply = client.post(f"{url}/autosave" if autosave else url, data=fields)
        assert reply.status_code in (200, 302), reply.status_code
    return save.count


class _SectionFields(HTMLParser):
    """The section form's fields as a browser posts them (text as shown, options checked),
    and the names of those that take any text (text areas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields, self.texts = MultiDict(), []
        self._inside, self._textarea = False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._inside = self._inside or attrs.get("id") == "section-form"
        name = attrs.get("name")
        if not self._inside or not name or tag not in ("input", "textarea"):
            return
        if tag == "textarea":
            self.texts.append(name)
            self._textarea = name
        elif attrs.get("type") not in ("radio", "checkbox") or "checked" in attrs:
            self.fields.add(name, attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.fields.add(self._textarea, data.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.fields.add(self._textarea, "")
        self._textarea = None
        self._inside = self._inside and tag != "form"


def _page_fields(html: str) -> tuple[MultiDict, list[str]]:
    parser = _SectionFields()
    parser.feed(html)
    return parser.fields, parser.texts


def _version_queries(statements) -> list[str]:
    """Statements that read a questionnaire version's content (not only its hash)."""
    return [s for s in statements if re.search(r"questionnaire_versions(_\d+)?\.content\b", s)]


def test_a_version_is_read_once_and_then_served_from_memory(
    client, owner_a, supplier_a, admin, count_queries, tmp_path
):
    version = big_definition(12, tmp_path)
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    client.login(owner_a)
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    url = f"/responses/{response.id}/sections/all"
    client.get(url)
    with count_queries() as second:
        assert "Question 11" in client.get(url).get_data(as_text=True)
    assert not _version_queries(second.statements), "the content was read again"
    html = client.get(url).get_data(as_text=True)
    with count_queries() as save:
        reply = client.post(
            url, data={"csrf_token": csrf_token_from(html), "q_q3": "x", "seen": _seen_from(html)}
        )
        assert reply.status_code == 302
    assert not _version_queries(save.statements), "a save read the content again"


def test_each_version_shows_its_own_questions_and_a_corrected_one_its_new_text(
    client, owner_a, supplier_a, admin, tmp_path
):
    """Two versions of one questionnaire with the same keys each show their own wording;
    a version corrected before anyone answered it shows the corrected wording at once,
    although this process had read the first."""
    first = _publish_worded("Do you audit?", 1, tmp_path)
    second = _publish_worded("Do you audit every factory?", 2, tmp_path)
    assert first.definition.questions["audit"]["text"]["en"] == "Do you audit?"
    first, outcome = _publish_worded("Do you audit each year?", 1, tmp_path), "updated"
    client.login(owner_a)
    for version, wording in ((first, "Do you audit each year?"), (second, "every factory")):
        response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
        client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
        html = client.get(f"/responses/{response.id}/sections/main").get_data(as_text=True)
        assert wording in html, outcome
        assert "Do you audit?" not in html


def _publish_worded(text: str, number: int, tmp_path):
    """Publish version `number` of the "worded" questionnaire with one question so worded."""
    content = {
        "format_version": 1,
        "key": "worded",
        "version": number,
        "title": {"sv": "Formulering", "en": "Wording"},
        "sections": [
            {
                "key": "main",
                "title": {"sv": "Huvud", "en": "Main"},
                "questions": [
                    {
                        "key": "audit",
                        "type": "yes_no",
                        "criterion": "transparency",
                        "text": {"sv": text, "en": text},
                    }
                ],
            }
        ],
    }
    folder = tmp_path / "worded"
    folder.mkdir(exist_ok=True)
    (folder / f"v{number}.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    version, _ = publish("worded", number, root=tmp_path)
    db.session.commit()
    return version


def _seen_from(html):
    return html.split('name="seen" type="hidden" value="')[1].split('"')[0].replace("&#34;", '"')
