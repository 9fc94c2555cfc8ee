"""Demo organisations and users for trying the portal out; never loaded in production."""

import io
from datetime import date, timedelta

from werkzeug.datastructures import FileStorage

from portal.auth.services import User
from portal.contracts import services as contracts
from portal.evidence.services import upload as upload_evidence
from portal.extensions import db
from portal.factories.services import confirm_with_brand, save_factory
from portal.findings import services as findings
from portal.ladder.services import mark as mark_milestone
from portal.ladder.services import publish as publish_ladder
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import hash_password
from portal.questionnaires.definitions import passes
from portal.questionnaires.market import MarketValue, save_market
from portal.questionnaires.models import Response, Round
from portal.questionnaires.samples import sample_answers
from portal.questionnaires.services import (
    answers_of,
    end_of_day,
    extend_deadline,
    open_round,
    publish,
    put_answer,
    start,
    submit,
    values_of,
)
from portal.review import services as review
from portal.roles import Role
from portal.selection.models import FIGURES as COUNTRY_FIGURES
from portal.selection.models import CountryRisk
from portal.timeutil import utcnow

DEMO_ROUND = "Tender ICT 2027 (demo)"
FOLLOW_UP_ROUND = "Follow-up ICT 2027 (demo)"
MARKET_ROUND = "Market dialogue ICT 2029 (demo)"
UPCOMING_ROUND = "Tender ICT 2029 (demo)"

#: Each supplier's answers to the market questions of the market dialogue: per criterion
#: (meets, hours it would take to prove); a supplier missing here leaves its response a draft.
MARKET_STORIES = {
    "Nordlys IT-partner AB": {"meets": ["yes", "partly", "no"], "hours": [4, 16, 40]},
    "Lumenic Devices Ltd": {"meets": ["yes", "yes", "partly"], "hours": [2, 8, 24]},
}

#: The smallest valid PDF: a stand-in for each certificate and report of the demo.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

#: Where the many factories of the demo brand Lumenic are.
_LUMENIC_CITIES = [("Dongguan", "CN"), ("Hai Phong", "VN"), ("Penang", "MY"), ("Hsinchu", "TW")]

#: Each supplier's register (name, city, country, role, brands) and how far its response
#: to the demo round has come, so that every state a user can meet is on show.
SUPPLIER_STORIES = {
    "Nordlys IT-partner AB": {
        "state": "accepted",
        "brands": ["Lumenic", "Orbis"],
        "factories": [
            ("Lumenic Assembly Plant 2", "Kunshan", "CN", "final_assembly", ["Lumenic"]),
            ("Orbis Electronics Manufacturing", "Bac Ninh", "VN", "final_assembly", ["Orbis"]),
            ("Huanan Mainboard Co.", "Shenzhen", "CN", "main_component", ["Lumenic", "Orbis"]),
            ("Selangor Power Supplies Sdn Bhd", "Shah Alam", "MY", "main_component", ["Orbis"]),
        ],
        # What the register says beyond name and place: products, what a component factory
        # supplies, the workforce; an edit dated earlier keeps the old details on view.
        "details": {
            "Lumenic Assembly Plant 2": {
                "product_categories": ["pcs"],
                "product_models": "Lumenic Book 14, Lumenic Book 16",
                "women_percent": 54,
                "migrant_percent": 38,
                "agency_percent": 12,
            },
            "Huanan Mainboard Co.": {
                "product_models": "Mainboards for Lumenic Book 14 and 16",
                "supplies_factory": "Lumenic Assembly Plant 2",
                "women_percent": 47,
            },
            "Selangor Power Supplies Sdn Bhd": {"supplies_brand": "Orbis"},
        },
        "edited": ("Lumenic Assembly Plant 2", date(2025, 9, 1), {"agency_percent": 4}),
        "confirmed": {"Lumenic": date(2025, 10, 15)},
        # Ladder marks: (milestone, status, brand or None for the whole organisation).
        "marks": [
            ("rights_policy_communicated", "achieved", None),
            ("workers_trained", "achieved", None),
            ("committee_exists", "achieved", "Lumenic"),
            ("committee_exists", "partly", "Orbis"),
        ],
    },
    "Kvarnholm Datacenter AB": {
        "state": "clarification",
        "brands": ["Serverna"],
        "factories": [
            ("Serverna Systems Guadalajara", "Guadalajara", "MX", "final_assembly", ["Serverna"]),
            ("Taoyuan Storage Components", "Taoyuan", "TW", "main_component", ["Serverna"]),
        ],
    },
    "Lumenic Devices Ltd": {
        "state": "submitted",
        "brands": ["Lumenic"],
        "factories": [
            ("Lumenic Assembly Plant 2", "Kunshan", "CN", "final_assembly", ["Lumenic"]),
            ("Suzhou Display Panels", "Suzhou", "CN", "main_component", ["Lumenic"]),
            # A brand's long lists of factories: its register is paged, a form that asks
            # which factories a document covers searches it, so does the choice of the
            # assembly factory a component factory supplies, and the list frozen into its
            # submitted response shows its first factories and links to the whole.
            *(
                (f"Lumenic Component Works {n:02d}", city, country, "main_component", ["Lumenic"])
                for n, (city, country) in enumerate(_LUMENIC_CITIES * 15, start=1)
            ),
            *(
                (f"Lumenic Assembly Works {n:02d}", city, country, "final_assembly", ["Lumenic"])
                for n, (city, country) in enumerate(_LUMENIC_CITIES * 13, start=1)
            ),
        ],
    },
}

ORGANISATIONS = [
    # kind, name, Swedish org number (valid check digit) or None, country, contact
    (OrgKind.BUYER, "Region Norrsund", "232100-0016", "SE", "hallbarhet@norrsund.example"),
    (OrgKind.RESELLER, "Nordlys IT-partner AB", "556677-8899", "SE", "avtal@nordlys.example"),
    (OrgKind.RESELLER, "Kvarnholm Datacenter AB", "559012-3450", "SE", "info@kvarnholm.example"),
    (OrgKind.BRAND, "Lumenic Devices Ltd", None, "GB", "compliance@lumenic.example"),
]

USERS = [
    ("admin@norrsund.example", "Maria Lind", Role.BUYER_ADMIN, "Region Norrsund"),
    ("granskare@norrsund.example", "Johan Ek", Role.REVIEWER, "Region Norrsund"),
    ("owner@nordlys.example", "Sara Holm", Role.SUPPLIER_OWNER, "Nordlys IT-partner AB"),
    ("member@nordlys.example", "Ali Karimi", Role.SUPPLIER_MEMBER, "Nordlys IT-partner AB"),
    ("owner@kvarnholm.example", "Eva Berg", Role.SUPPLIER_OWNER, "Kvarnholm Datacenter AB"),
    ("owner@lumenic.example", "Tom Reed", Role.SUPPLIER_OWNER, "Lumenic Devices Ltd"),
]


def load(password: str) -> list[tuple[str, str, str]]:
    """Create what is missing and give every demo user `password`; returns the logins."""
    by_name = {o.name: o for o in db.session.scalars(db.select(Organisation))}
    for kind, name, number, country, contact in ORGANISATIONS:
        if name not in by_name:
            org = Organisation(
                kind=kind, name=name, org_number=number, country=country, contact_email=contact
            )
            db.session.add(org)
            by_name[name] = org
    db.session.flush()
    password_hash = hash_password(password)
    existing = {
        u.email: u
        for u in db.session.scalars(db.select(User).where(User.email.in_([u[0] for u in USERS])))
    }
    for email, full_name, role, org_name in USERS:
        user = existing.get(email)
        if user is None:
            db.session.add(
                User(
                    organisation_id=by_name[org_name].id,
                    email=email,
                    full_name=full_name,
                    role=role.value,
                    password_hash=password_hash,
                )
            )
        else:
            user.password_hash = password_hash
            user.is_active = True
    _demo_round(by_name)
    _demo_country_risks()
    return [(email, role.value, org_name) for email, _, role, org_name in USERS]


def _demo_round(by_name: dict[str, Organisation]) -> None:
    """Publish the shipped questionnaires and the ladder, open a round to the demo suppliers
    with their responses submitted, under clarification and accepted, and a follow-up round
    on the next version that can start from the accepted answers."""
    publish_ladder(1)
    publish_ladder(2)
    v1, _ = publish("ict-social", 1)
    for number in (2, 3):
        publish("ict-social", number)
    newest, _ = publish("ict-social", 4)
    if db.session.scalar(db.select(Round.id).where(Round.title == DEMO_ROUND)) is not None:
        return
    admin = db.session.scalar(db.select(User).where(User.email == USERS[0][0]))
    reviewer = db.session.scalar(db.select(User).where(User.email == USERS[1][0]))
    suppliers = [o for o in by_name.values() if o.kind != OrgKind.BUYER]
    round_ = open_round(
        title=DEMO_ROUND,
        version=v1,
        closes_at=utcnow() + timedelta(days=60),
        organisation_ids=[o.id for o in suppliers],
        actor=admin,
    )
    for organisation in suppliers:
        story = SUPPLIER_STORIES.get(organisation.name)
        if story is not None:
            _tell(story, organisation, round_, reviewer)
    follow_up = open_round(
        title=FOLLOW_UP_ROUND,
        kind="follow_up",
        version=newest,
        closes_at=utcnow() + timedelta(days=120),
        organisation_ids=[by_name["Nordlys IT-partner AB"].id, by_name["Lumenic Devices Ltd"].id],
        actor=admin,
    )
    _certified_answer(follow_up, by_name["Lumenic Devices Ltd"])
    _market_dialogue(newest, suppliers, admin)
    _demo_contracts(by_name, admin)
    _demo_findings(by_name, reviewer)


def _market_dialogue(version, suppliers: list[Organisation], admin: User) -> None:
    """A market dialogue on the newest version, answered in full by two suppliers (so the
    market maturity page has figures) and begun by the third, whose deadline the region has
    extended; and a tender that has not opened yet."""
    round_ = open_round(
        title=MARKET_ROUND,
        kind="market_dialogue",
        version=version,
        closes_at=utcnow() + timedelta(days=45),
        organisation_ids=[o.id for o in suppliers],
        actor=admin,
    )
    for organisation in suppliers:
        story = MARKET_STORIES.get(organisation.name)
        response = db.session.scalar(
            db.select(Response).where(
                Response.round_id == round_.id, Response.organisation_id == organisation.id
            )
        )
        owner = _owner_of(organisation)
        if story is None:
            start(response, user=owner, carry_from=None)
            extend_deadline(
                round_,
                organisation.id,
                round_.closes_at + timedelta(days=14),
                "Their compliance officer is on parental leave until next month.",
                actor=admin,
            )
            continue
        criteria = list(version.definition.criteria)
        values = {
            criterion: MarketValue(
                meets=story["meets"][n % 3],
                effort_hours=float(story["hours"][n % 3]),
                comment="Proving this would need the brand's own audit reports." if n == 1 else "",
            )
            for n, criterion in enumerate(criteria)
        }
        brands = SUPPLIER_STORIES[organisation.name]["brands"]
        answer_and_submit(
            response,
            sample_answers(version.definition, brands),
            owner,
            before_submit=lambda r, v=values, u=owner: save_market(r, v, {}, user_id=u.id),
        )
    open_round(
        title=UPCOMING_ROUND,
        version=version,
        opens_at=utcnow() + timedelta(days=30),
        closes_at=utcnow() + timedelta(days=90),
        organisation_ids=[o.id for o in suppliers],
        actor=admin,
    )


def _owner_of(organisation: Organisation) -> User:
    return db.session.scalar(
        db.select(User).where(
            User.organisation_id == organisation.id, User.role == Role.SUPPLIER_OWNER.value
        )
    )


def _tell(story: dict, organisation: Organisation, round_: Round, reviewer: User) -> None:
    """Fill the organisation's register and take its response as far as the story says."""
    owner = _owner_of(organisation)
    _fill_register(story, organisation, owner)
    response = db.session.scalar(
        db.select(Response).where(
            Response.round_id == round_.id, Response.organisation_id == organisation.id
        )
    )
    definition = response.version.definition
    answer_and_submit(response, sample_answers(definition, story["brands"]), owner)
    if story["state"] == "submitted":
        return
    visible = definition.visible_keys(values_of(answers_of(response)))
    gradable = [q for q in definition.questions.values() if q.get("rubric") and q["key"] in visible]
    grades = {
        q["key"]: {"points": q["rubric"][-1 - i % 2]["points"], "comment": "", "note": ""}
        for i, q in enumerate(gradable)
    }
    review.assign(review.review_of(response), reviewer, actor=reviewer)
    review.save_grades(response, grades, actor=reviewer)
    if story["state"] == "clarification":
        asked = {
            gradable[0]["key"]: "Which brands does this cover, and since when?",
            gradable[-1]["key"]: "Please attach the latest audit report that shows this.",
        }
        review.ask_clarification(response, asked, actor=reviewer)
        return
    review.accept(response, actor=reviewer, lang="en")
    for month, (key, status, brand) in enumerate(story.get("marks", []), start=3):
        mark_milestone(
            organisation,
            key,
            status,
            date(2025, month, 1),
            None,
            "Seen in the documents of the demo response.",
            "",
            reviewer,
            brand=brand,
        )


def _fill_register(story: dict, organisation: Organisation, owner: User) -> None:
    """The organisation's factories with their details, one edit dated earlier, and the
    brands its list was confirmed with."""
    saved = {}
    details = story.get("details", {})
    for name, city, country, role, brands in story["factories"]:
        values = {
            "name": name,
            "city": city,
            "country": country,
            "role": role,
            "brands": brands,
            "entered_on": date(2025, 1, 1),
            **{k: v for k, v in details.get(name, {}).items() if k != "supplies_factory"},
        }
        supplied = details.get(name, {}).get("supplies_factory")
        if supplied:
            values["supplies_factory_id"] = saved[supplied].id
        saved[name] = save_factory(organisation.id, values, user=owner)
    if "edited" in story:
        name, day, change = story["edited"]
        save_factory(organisation.id, change, user=owner, factory=saved[name], on=day)
    for brand, day in story.get("confirmed", {}).items():
        confirm_with_brand(organisation.id, brand, day, user=owner)


def answer_and_submit(response: Response, values: dict, owner: User, before_submit=None) -> None:
    """Start the response, answer what the values make visible, attach a document wherever
    a question asks for one (or an answer requires one), and submit (after `before_submit`,
    given the response, when given)."""
    start(response, user=owner, carry_from=None)
    definition = response.version.definition
    visible = definition.visible_keys(values)
    for key, value in values.items():
        if key in visible:
            put_answer(response, key, None, value, user=owner, kind="edit")
    db.session.flush()
    for question in definition.questions.values():
        kind = _document_wanted(question, values, visible)
        if kind:
            upload_evidence(
                response.organisation_id,
                FileStorage(io.BytesIO(DEMO_PDF), filename=f"{question['key']}.pdf"),
                {"kind": kind, "valid_until": date(2027, 12, 31)},
                user=owner,
                response=response,
                question_key=question["key"],
            )
    if before_submit is not None:
        before_submit(response)
    problems = submit(response, user=owner)
    if problems:  # the shipped questionnaire changed in a way the samples do not meet
        raise RuntimeError("; ".join(f"{p.question_key}: {p.message}" for p in problems))


def _document_wanted(question: dict, values: dict, visible: set[str]) -> str | None:
    """The evidence kind to attach to the question, or None."""
    if question["key"] not in visible:
        return None
    rule = question.get("satisfies")
    if rule and passes(rule["when"], values.get(question["key"])):
        return rule["evidence"]
    if question["type"] == "evidence" and question["key"] in values:
        return question["evidence"][0]
    return None


def _certified_answer(follow_up: Round, organisation: Organisation) -> None:
    """The brand answers the follow-up round with every product TCO Certified (generation 8
    or later) and the certificate attached, so a reviewer sees the minerals questions
    credited in the score arithmetic."""
    owner = _owner_of(organisation)
    response = db.session.scalar(
        db.select(Response).where(
            Response.round_id == follow_up.id, Response.organisation_id == organisation.id
        )
    )
    definition = response.version.definition
    values = sample_answers(definition, SUPPLIER_STORIES[organisation.name]["brands"])
    for question in definition.questions.values():
        rule = question.get("satisfies")
        if rule and "equals" in rule["when"]:
            values[question["key"]] = rule["when"]["equals"]
    answer_and_submit(response, values, owner)


#: Findings the demo suppliers face, one in every state a user can meet: (supplier, title,
#: clause, severity, days since it was recorded, what has happened since).
NORDLYS, KVARNHOLM, LUMENIC = (
    "Nordlys IT-partner AB",
    "Kvarnholm Datacenter AB",
    "Lumenic Devices Ltd",
)
DEMO_FINDINGS = [
    (NORDLYS, "Overtime above 60 hours a week", "working_hours", "major", 5, []),
    (NORDLYS, "No grievance channel for workers", "freedom_of_association", "major", 45, []),
    (
        NORDLYS,
        "Fire exits locked during shifts",
        "health_and_safety",
        "critical",
        20,
        ["plan", "return"],
    ),
    (
        NORDLYS,
        "Wages below the legal minimum",
        "wages",
        "critical",
        120,
        ["plan", "accept", "proof"],
    ),
    (KVARNHOLM, "Smelter list not disclosed", "minerals", "minor", 10, ["plan"]),
    (
        KVARNHOLM,
        "Unpaid overtime in the peak season",
        "wages",
        "major",
        150,
        ["plan", "accept", "proof", "return"],
    ),
    (
        KVARNHOLM,
        "Recruitment fees paid by workers",
        "forced_labour",
        "major",
        200,
        ["plan", "accept", "proof", "accept"],
    ),
    (LUMENIC, "Solvents handled without protection", "chemicals", "major", 60, ["plan", "accept"]),
    (LUMENIC, "Pregnancy tests at hiring", "discrimination", "critical", 40, ["extend"]),
    # Overdue after the plan: a returned plan not sent again, and proof not sent in time.
    (
        LUMENIC,
        "Dormitory rooms without fire alarms",
        "health_and_safety",
        "major",
        50,
        ["plan", "return"],
    ),
    (KVARNHOLM, "No rest day in seven", "working_hours", "major", 200, ["plan", "accept"]),
]


#: The demo contracts: supplier, reference, title, category, value in SEK, brands, months
#: since the start, and how far the report has come ("submitted", "requested", "overdue": requested
#: and its closing day passed, or nothing yet).
DEMO_CONTRACTS = [
    (
        "Nordlys IT-partner AB",
        "RN-2025-0412",
        "Laptops and docking stations for the hospitals",
        "pcs",
        48_000_000,
        ["Lumenic", "Orbis"],
        7,
        "submitted",
    ),
    (
        "Lumenic Devices Ltd",
        "RN-2025-0517",
        "Monitors for the primary care centres",
        "monitors",
        9_500_000,
        ["Lumenic"],
        5,
        "requested",
    ),
    (
        "Kvarnholm Datacenter AB",
        "RN-2026-0033",
        "Servers and storage for the regional data centre",
        "servers_storage",
        22_000_000,
        ["Serverna"],
        2,
        None,
    ),
    (
        "Kvarnholm Datacenter AB",
        "RN-2025-0198",
        "Network switches and firewalls for the hospitals",
        "network_security",
        6_800_000,
        ["Serverna"],
        8,
        "overdue",
    ),
]


def _demo_contracts(by_name: dict[str, Organisation], admin: User) -> None:
    """Contracts in four categories on the report questionnaire: one whose report was
    requested and submitted, one requested and waiting for the supplier, one requested whose
    closing day has passed, one not yet due."""
    publish(contracts.REPORT_KEY, 1)
    report, _ = publish(contracts.REPORT_KEY, 2)
    today = contracts.today()
    for name, reference, title, category, value, brands, months_ago, story in DEMO_CONTRACTS:
        starts_on = contracts.add_months(today, -months_ago) - timedelta(days=10)
        contract = contracts.create_contract(
            {
                "organisation_id": by_name[name].id,
                "reference": reference,
                "title": title,
                "category": category,
                "value_sek": value,
                "starts_on": starts_on,
                "ends_on": contracts.add_months(starts_on, 24) - timedelta(days=1),
                "brands": brands,
                "report_version_id": report.id,
                "report_months": 6,
            },
            actor=admin,
        )
        if story is None:
            continue
        if story == "overdue":
            # Requested when it fell due, two months ago; the closing day passed a month later.
            round_ = contracts.request_report(contract, actor=admin, closes_on=today)
            round_.opens_at -= today - contracts.add_months(today, -2)
            round_.closes_at = end_of_day(contracts.add_months(today, -1))
            continue
        round_ = contracts.request_report(contract, actor=admin)
        if story == "submitted":
            response = db.session.scalar(db.select(Response).where(Response.round_id == round_.id))
            answer_and_submit(
                response, sample_answers(report.definition, brands), _owner_of(by_name[name])
            )


def _demo_findings(by_name: dict[str, Organisation], reviewer: User) -> None:
    """Record the demo findings through the services, each taken as far as its story goes,
    so that both sides see plans due, overdue, sent, returned, accepted, proof waiting,
    closed and an extended deadline."""
    today = findings.today()
    for name, title, clause, severity, days_ago, story in DEMO_FINDINGS:
        organisation = by_name[name]
        their_contracts, choices = findings.choices_for(organisation.id)
        their_factories = choices.factories
        recorded_on = today - timedelta(days=days_ago)
        finding = findings.record_finding(
            organisation,
            {
                "title": title,
                "source": "factory_audit" if their_factories else "desktop_audit",
                "clause": clause,
                "clause_reference": None,
                "severity": severity,
                "description": f"{title}: seen during the audit and confirmed by the records.",
                "found_on": recorded_on - timedelta(days=7),
                "contract_id": their_contracts[0].id if their_contracts else None,
                "factory_id": their_factories[0].id if their_factories else None,
            },
            [],
            user=reviewer,
            on=recorded_on,
        )
        _act_out(finding.action, story, _owner_of(organisation), reviewer)


def _act_out(action, story: list[str], owner: User, reviewer: User) -> None:
    for step in story:
        version = action.version
        if step in ("plan", "proof"):
            text = (
                "The factory corrects this within three months; its manager reports progress "
                "to us every month and an external auditor checks it on site."
                if step == "plan"
                else "The factory's records and the photos from the follow-up visit show it."
            )
            findings.submit(action, text, [], user=owner, expected_version=version)
        elif step == "extend":
            findings.extend(
                action,
                "plan",
                action.plan_due_on + timedelta(days=30),
                "The brand is changing its supplier of this component and asked for time.",
                user=reviewer,
                expected_version=version,
            )
        else:
            findings.decide(
                action,
                accept=step == "accept",
                reason="Say who checks the measures, and how often." if step == "return" else "",
                user=reviewer,
                expected_version=version,
            )


#: The demo's country-risk table: freedom of association, working time, gender inequality and
#: an overall figure, 0-100. Made up for trying the portal out, and labelled so in every
#: source: a region fills the table from the indices it trusts. Mexico, where a demo factory
#: is, is left out, so that the ranking shows a country missing from the table.
DEMO_COUNTRY_RISKS = {
    "CN": (95, 80, 55, 85),
    "VN": (85, 75, 45, 75),
    "MY": (70, 75, 40, 65),
    "TW": (35, 60, 30, 35),
    "TH": (70, 65, 45, 60),
    "IN": (80, 70, 70, 75),
    "CZ": (20, 25, 30, 20),
    "SE": (5, 10, 10, 5),
}
DEMO_FIGURE_SOURCE = "Demo figure, not from a published index"


def _demo_country_risks() -> None:
    """Fill the country-risk table with the demo figures, for the countries it lacks."""
    present = set(db.session.scalars(db.select(CountryRisk.country)))
    for code, figures in DEMO_COUNTRY_RISKS.items():
        if code in present:
            continue
        values = {}
        for name, figure in zip(COUNTRY_FIGURES, figures, strict=True):
            values |= {name: figure, f"{name}_source": DEMO_FIGURE_SOURCE, f"{name}_year": 2025}
        db.session.add(CountryRisk(country=code, **values))
    db.session.flush()
