"""Marshmallow schemas: the shape of questionnaire definitions, and of response exports.

Schemas check shape only. Cross-references (unique keys, conditions naming earlier
questions) are checked in `portal.questionnaires.definitions.check_references`. The top level
every versioned definition shares (format, key, version, title) lives in `portal.definitions`.
"""

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from portal.definitions import KEY, Text, VersionedSchema

CRITERIA = (
    "transparency",
    "risk_assessment",
    "monitoring",
    "chemicals_ohs",
    "worker_empowerment",
    "anti_corruption",
    "minerals_policy",
    "minerals_due_diligence",
    "minerals_programmes",
    "certification",
)
EVIDENCE_KINDS = (
    "iso45001_certificate",
    "sa8000_certificate",
    "rba_vap_report",
    "amfori_bsci_report",
    "iso37001_certificate",
    "tco_certified_certificate",
    "oecd_due_diligence_report",
    "conflict_minerals_filing",
    "policy_document",
    "worker_committee_minutes",
    "election_procedure",
    "training_record",
    "independent_monitoring_report",
    "other",
)
#: What a criterion is meant to become: a mandatory requirement, an award criterion, or a
#: contract clause (format 3).
INTENDED_USES = ("requirement", "award", "clause")
COLUMN_TYPES = ("short_text", "number", "single_choice", "date", "url")
FACTORY_ROLES = ("final_assembly", "main_component")


class Option(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True, validate=KEY)
    label = fields.Nested(Text, required=True)


class RubricLevel(Schema):
    class Meta:
        unknown = RAISE

    points = fields.Float(required=True, validate=validate.Range(min=0))
    description = fields.Nested(Text, required=True)


class Test(Schema):
    """A test of one answer: equals a value, is among values, or (multiple choice) includes
    a value."""

    class Meta:
        unknown = RAISE

    equals = fields.String()
    includes = fields.String()
    in_ = fields.List(fields.String(), data_key="in", validate=validate.Length(min=1))

    @validates_schema
    def one_test(self, data, **kwargs):
        tests = [name for name in ("equals", "includes", "in_") if name in data]
        if len(tests) != 1:
            raise ValidationError("Give exactly one of equals, includes or in.")


class Condition(Test):
    """A test of an earlier question's answer (`show_if`, and when a rubric is capped)."""

    question = fields.String(required=True, validate=KEY)


class Satisfies(Schema):
    """An answer that stands for later questions: when it passes `when`, they are not asked,
    they are credited in full, and a document of the `evidence` kind is required instead."""

    class Meta:
        unknown = RAISE

    when = fields.Nested(Test, required=True)
    questions = fields.List(
        fields.String(validate=KEY), required=True, validate=validate.Length(min=1)
    )
    evidence = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    note = fields.Nested(Text, required=True)


class RubricCap(Schema):
    """The most points a question can be given while an earlier answer passes a test."""

    class Meta:
        unknown = RAISE

    when = fields.Nested(Condition, required=True)
    points = fields.Float(required=True, validate=validate.Range(min=0))


class Column(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    label = fields.Nested(Text, required=True)
    type = fields.String(required=True, validate=validate.OneOf(COLUMN_TYPES))
    options = fields.List(fields.Nested(Option), validate=validate.Length(min=2))
    unit = fields.Nested(Text)
    min = fields.Float()
    max = fields.Float()
    required = fields.Boolean()

    @validates_schema
    def options_for_choices(self, data, **kwargs):
        if data.get("type") == "single_choice" and not data.get("options"):
            raise ValidationError("A single_choice column needs options.", "options")


class Question(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    type = fields.String(required=True)  # checked against the registry by the loader
    text = fields.Nested(Text, required=True)
    help = fields.Nested(Text)
    required = fields.Boolean()
    criterion = fields.String(validate=validate.OneOf(CRITERIA))
    show_if = fields.Nested(Condition)
    rubric = fields.List(fields.Nested(RubricLevel), validate=validate.Length(min=2))
    evidence = fields.List(
        fields.String(validate=validate.OneOf(EVIDENCE_KINDS)), validate=validate.Length(min=1)
    )
    # Format 2 (which files may use them is checked by the loader).
    weight = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    satisfies = fields.Nested(Satisfies)
    rubric_cap = fields.Nested(RubricCap)
    # Type-specific keys; which are allowed is checked by each field type.
    options = fields.List(fields.Nested(Option), validate=validate.Length(min=2))
    max_length = fields.Integer(validate=validate.Range(min=1, max=100_000))
    unit = fields.Nested(Text)
    min = fields.Float()
    max = fields.Float()
    integer = fields.Boolean()
    columns = fields.List(fields.Nested(Column), validate=validate.Length(min=1))
    min_rows = fields.Integer(validate=validate.Range(min=0))
    max_rows = fields.Integer(validate=validate.Range(min=1, max=500))
    roles = fields.List(fields.String(validate=validate.OneOf(FACTORY_ROLES)))

    @validates_schema
    def rubric_ascending(self, data, **kwargs):
        points = [level["points"] for level in data.get("rubric", [])]
        if points != sorted(set(points)):
            raise ValidationError("Rubric points must be unique and ascending.", "rubric")


class Section(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    title = fields.Nested(Text, required=True)
    intro = fields.Nested(Text)
    weight = fields.Float(validate=validate.Range(min=0))
    questions = fields.List(fields.Nested(Question), required=True, validate=validate.Length(min=1))


class CriterionUse(Schema):
    """What a criterion of the file is meant to become in a procurement (format 3)."""

    class Meta:
        unknown = RAISE

    intended_use = fields.String(required=True, validate=validate.OneOf(INTENDED_USES))


class DefinitionSchema(VersionedSchema):
    """A whole questionnaire version, as written in questionnaires/<key>/v<N>.yaml."""

    #: Format 2 adds question weights, `satisfies` and `rubric_cap`; format 3 adds `criteria`
    #: (each criterion's intended use) and `market_questions`; older files still load.
    FORMAT_VERSION = (1, 2, 3)

    intro = fields.Nested(Text)
    # Format 3 (which files may use them is checked by the loader).
    criteria = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CRITERIA)), values=fields.Nested(CriterionUse)
    )
    market_questions = fields.Boolean()
    sections = fields.List(fields.Nested(Section), required=True, validate=validate.Length(min=1))


class AnswerExport(Schema):
    """One answer in a response export."""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    question = fields.String(metadata={"description": "The question's stable key."})
    type = fields.String(metadata={"description": "The question type (see the format)."})
    text = fields.String(metadata={"description": "The question as worded in this version."})
    value = fields.Raw(
        allow_none=True, metadata={"description": "The answer in the type's stored shape."}
    )
    problems = fields.List(fields.String(), metadata={"description": "Unresolved problems."})
    needs_confirmation = fields.Boolean(
        metadata={"description": "Carried over from an earlier version and not yet confirmed."}
    )
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True, metadata={"description": "E-mail address."})


class SectionExport(Schema):
    class Meta:
        ordered = True

    key = fields.String()
    title = fields.String()
    answers = fields.List(fields.Nested(AnswerExport))


class MarketAnswerExport(Schema):
    """The answer to one criterion's market questions (RFI and market-dialogue rounds)."""

    class Meta:
        ordered = True

    criterion = fields.String(metadata={"description": "The criterion's key."})
    label = fields.String(metadata={"description": "The criterion's name."})
    intended_use = fields.String(metadata={"description": "requirement, award or clause."})
    meets = fields.String(
        allow_none=True, metadata={"description": "yes, partly, no or planned; null if unsaid."}
    )
    planned_by = fields.String(
        allow_none=True, metadata={"description": "ISO date by which it will be met."}
    )
    effort_hours = fields.Float(
        allow_none=True, metadata={"description": "Hours it would take to prove it."}
    )
    comment = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


class ResponseExport(Schema):
    """A whole response, as downloaded from /responses/<id>.json (see docs/)."""

    class Meta:
        ordered = True

    schema = fields.Constant("fair-ict-portal/response/2")
    response_id = fields.Integer()
    organisation = fields.String()
    round = fields.String()
    questionnaire = fields.String(metadata={"description": "Questionnaire key."})
    version = fields.Integer()
    version_hash = fields.String(metadata={"description": "SHA-256 of the definition."})
    language = fields.String()
    status = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    sections = fields.List(fields.Nested(SectionExport))
    market_answers = fields.List(
        fields.Nested(MarketAnswerExport),
        metadata={"description": "Empty unless the round asks the market questions."},
    )
