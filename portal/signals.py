"""Questions a feature asks the features above it, without naming them.

A feature never imports the ones above it (the layers in pyproject.toml), yet some of its pages
show what a higher feature keeps: a section page lists the documents attached to its questions,
a factory's page the documents uploaded for it, a supplier's answers the reviewer's comments; and
some of its changes concern a higher feature (a resubmitted response reopens its review). The
lower feature sends a signal and uses what the receivers answer; the higher feature connects the
receivers when it is loaded (as indico's `core/signals` lets its core ask the plugins and modules
above it).
"""

from collections import defaultdict

from blinker import NamedSignal, Namespace

_signals = Namespace()

question_documents = _signals.signal(
    "question-documents",
    doc="""Which documents are attached to a response's questions?

    Sent with the response as sender and `viewer` (the user looking at the page). Each
    receiver returns a mapping from question key to the documents attached to that question
    which the viewer may see, oldest first.
    """,
)

factory_documents = _signals.signal(
    "factory-documents",
    doc="""Which documents were uploaded for a factory?

    Sent with the factory as sender and `viewer` (the user looking at the page). Each receiver
    returns a list of the factory's documents which the viewer may see, oldest first.
    """,
)

comments_for_supplier = _signals.signal(
    "comments-for-supplier",
    doc="""Which comments on a response's answers may its supplier read?

    Sent with the response id as sender. Each receiver returns a mapping from question key to
    the comment text (the reviewer's, once the review is accepted).
    """,
)

response_submitted = _signals.signal(
    "response-submitted",
    doc="""A supplier has submitted a response (or resubmitted it after a clarification).

    Sent with the response as sender, `user` (who submitted) and `resubmission` (a bool).
    Receivers change state in the same transaction; what they return is not used.
    """,
)

invitation_accepted = _signals.signal(
    "invitation-accepted",
    doc="""Someone has accepted an invitation and has an account now (in a new organisation,
    when the invitation was for one).

    Sent with the invitation as sender and `user` (the new account). Receivers change state in
    the same transaction; what they return is not used.
    """,
)


def _answers(signal: NamedSignal, sender, **kwargs) -> list:
    return [answer for _receiver, answer in signal.send(sender, **kwargs)]


def collect(signal: NamedSignal, sender, **kwargs) -> list:
    """The receivers' answers to `signal` about `sender`, each a list, joined end to end in the
    order the receivers were connected (empty when none is connected)."""
    return [item for answer in _answers(signal, sender, **kwargs) for item in answer]


def collect_grouped(signal: NamedSignal, sender, **kwargs) -> dict[str, list]:
    """The receivers' answers to `signal` about `sender`, each a mapping from a key to a list,
    joined key by key (empty when no receiver is connected)."""
    grouped: dict[str, list] = defaultdict(list)
    for answer in _answers(signal, sender, **kwargs):
        for key, items in answer.items():
            grouped[key].extend(items)
    return dict(grouped)
