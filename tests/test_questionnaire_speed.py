"""A large generated questionnaire: pages stay at a fixed number of queries."""

import yaml

from portal.extensions import db
from portal.questionnaires.models import Answer
from portal.questionnaires.services import publish
from tests.fixtures.builders import make_round, response_of
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
    assert small == large, f"15 answers: {small}, 150 answers: {large} (render, save)"


def _queries_for(size, client, owner_a, supplier_a, admin, count_queries, tmp_path):
    """(queries to render, queries to save) a section of `size` answered questions."""
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
    last = db.session.scalar(
        db.select(Answer).where(
            Answer.response_id == response.id, Answer.question_key == f"q{size - 1}"
        )
    )
    assert last.value == f"changed {size - 1}"
    return render.count, save.count


def _seen_from(html):
    return html.split('name="seen" type="hidden" value="')[1].split('"')[0].replace("&#34;", '"')
