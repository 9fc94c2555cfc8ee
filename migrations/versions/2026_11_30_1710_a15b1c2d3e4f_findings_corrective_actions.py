"""Findings and corrective action plans

Revision ID: a15b1c2d3e4f
Revises: f15a0b1c2d3e
Create Date: 2026-11-30 17:10:00.000000

A finding is a non-compliance a reviewer found at a supplier (from its report, a desktop or
factory audit, or independent monitoring), optionally tied to one of its contracts and one
of its factories. Each opens one corrective action with a state and two deadlines (the plan,
the correction); its steps keep the plans and proofs sent, the decisions with their reasons
and every extension. Documents are evidence documents kept with the finding through its own
table, which is why evidence documents may now be attached elsewhere. The overdue notices
sent are recorded once per action, stage and deadline.
"""
from alembic import op
import sqlalchemy as sa


revision = "a15b1c2d3e4f"
down_revision = "f15a0b1c2d3e"
branch_labels = None
depends_on = None

ATTACHED = "(response_id IS NOT NULL AND question_key IS NOT NULL) OR factory_id IS NOT NULL"
STATES = (
    "plan_due",
    "plan_submitted",
    "plan_returned",
    "plan_accepted",
    "proof_submitted",
    "proof_returned",
    "closed",
)


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_attached_elsewhere", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.drop_constraint(op.f("ck_evidence_documents_attached"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_evidence_documents_attached"), f"{ATTACHED} OR is_attached_elsewhere"
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("factory_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("clause", sa.String(length=40), nullable=False),
        sa.Column("clause_reference", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            _one_of(
                "source",
                ("supplier_report", "desktop_audit", "factory_audit", "independent_monitoring"),
            ),
            name=op.f("ck_findings_source_known"),
        ),
        sa.CheckConstraint(
            _one_of(
                "clause",
                (
                    "freedom_of_association",
                    "working_hours",
                    "wages",
                    "health_and_safety",
                    "child_labour",
                    "forced_labour",
                    "discrimination",
                    "chemicals",
                    "minerals",
                    "transparency",
                    "other",
                ),
            ),
            name=op.f("ck_findings_clause_known"),
        ),
        sa.CheckConstraint(
            _one_of("severity", ("minor", "major", "critical")),
            name=op.f("ck_findings_severity_known"),
        ),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_findings_title_given")),
        sa.CheckConstraint(
            "length(description) > 0", name=op.f("ck_findings_description_given")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_findings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_findings_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["factory_id"],
            ["factories.id"],
            name=op.f("fk_findings_factory_id_factories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_findings_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_findings_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_findings_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_factory_id"), ["factory_id"], unique=False)

    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("plan_due_on", sa.Date(), nullable=False),
        sa.Column("correction_due_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_one_of("state", STATES), name=op.f("ck_corrective_actions_state_known")),
        sa.CheckConstraint(
            "plan_due_on >= opened_on", name=op.f("ck_corrective_actions_plan_due_after_opening")
        ),
        sa.CheckConstraint(
            "correction_due_on >= opened_on",
            name=op.f("ck_corrective_actions_correction_due_after_opening"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_corrective_actions_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_corrective_actions_finding_id")),
    )
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrective_actions_state"), ["state"], unique=False)

    op.create_table(
        "corrective_action_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("old_due_on", sa.Date(), nullable=True),
        sa.Column("new_due_on", sa.Date(), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            _one_of("kind", ("submitted", "accepted", "returned", "extended")),
            name=op.f("ck_corrective_action_steps_kind_known"),
        ),
        sa.CheckConstraint(
            _one_of("stage", ("plan", "correction")),
            name=op.f("ck_corrective_action_steps_stage_known"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('submitted', 'returned', 'extended') OR length(text) > 0",
            name=op.f("ck_corrective_action_steps_text_given"),
        ),
        sa.CheckConstraint(
            "kind <> 'extended' OR new_due_on > old_due_on",
            name=op.f("ck_corrective_action_steps_extension_moves_later"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_corrective_action_steps_action_id_corrective_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_corrective_action_steps_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_action_steps")),
    )
    with op.batch_alter_table("corrective_action_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_corrective_action_steps_action_id"), ["action_id"], unique=False
        )

    op.create_table(
        "finding_documents",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["evidence_documents.id"],
            name=op.f("fk_finding_documents_document_id_evidence_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_documents_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["corrective_action_steps.id"],
            name=op.f("fk_finding_documents_step_id_corrective_action_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_finding_documents")),
    )
    with op.batch_alter_table("finding_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finding_documents_finding_id"), ["finding_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_finding_documents_step_id"), ["step_id"], unique=False)

    op.create_table(
        "corrective_action_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            _one_of("stage", ("plan", "correction")),
            name=op.f("ck_corrective_action_reminders_stage_known"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["corrective_actions.id"],
            name=op.f("fk_corrective_action_reminders_action_id_corrective_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_action_reminders")),
        sa.UniqueConstraint(
            "action_id", "stage", "due_on", name="uq_corrective_action_reminders_action_id"
        ),
    )


def downgrade():
    op.drop_table("corrective_action_reminders")
    with op.batch_alter_table("finding_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_documents_step_id"))
        batch_op.drop_index(batch_op.f("ix_finding_documents_finding_id"))
    op.drop_table("finding_documents")
    with op.batch_alter_table("corrective_action_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrective_action_steps_action_id"))
    op.drop_table("corrective_action_steps")
    with op.batch_alter_table("corrective_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrective_actions_state"))
    op.drop_table("corrective_actions")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_factory_id"))
        batch_op.drop_index(batch_op.f("ix_findings_contract_id"))
        batch_op.drop_index(batch_op.f("ix_findings_organisation_id"))
    op.drop_table("findings")
    # Documents kept elsewhere would break the older rule: they go with their findings.
    op.execute("DELETE FROM evidence_documents WHERE is_attached_elsewhere")
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_evidence_documents_attached"), type_="check")
        batch_op.create_check_constraint(op.f("ck_evidence_documents_attached"), ATTACHED)
        batch_op.drop_column("is_attached_elsewhere")
