"""What a form with a Find button reads from what is sent (portal.forms), whatever is sent:
ids only an INTEGER column holds, a search of bounded length, and never an error."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.arguments import MAX_INTEGER
from portal.forms import MAX_SEARCH, posted_ids, posted_search, sent_to_find

_ID = re.compile(r"[0-9]{1,10}")
_SENT = st.lists(
    st.one_of(st.text(max_size=30), st.integers(min_value=-(10**12), max_value=10**12).map(str)),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(ids=_SENT, search=st.text(max_size=300), action=st.text(max_size=10))
@example(ids=["1" * 5000, "٣", "²", " 7", "2147483647", "2147483648"], search=" x ", action="find")
def test_whatever_is_sent_only_ids_and_a_bounded_search_are_read(app, ids, search, action):
    data = {"factories": ids, "find": search, "action": action}
    with app.test_request_context("/", method="POST", data=data):
        read = posted_ids("factories")
        assert read == [int(v) for v in ids if _ID.fullmatch(v) and int(v) <= MAX_INTEGER]
        assert all(0 <= i <= MAX_INTEGER for i in read)
        assert posted_search() == search[:MAX_SEARCH].strip()
        assert sent_to_find() is (action == "find")
    with app.test_request_context("/?factories=1&find=x&action=find"):
        assert (posted_ids("factories"), posted_search(), sent_to_find()) == ([], "", False)
