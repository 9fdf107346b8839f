"""The store's first schema: evaluations chained by hash, what each recorded, and API tokens.

Revision ID: v0001
Revises: none
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("as_of", sa.String(40)),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("patuh_version", sa.String(40), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("trace", sa.Text, nullable=False),
        sa.Column("facts_in", sa.Integer, nullable=False),
        sa.Column("facts_history", sa.Integer, nullable=False),
        sa.Column("history", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("previous", sa.String(64), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
    )
    op.create_table(
        "evaluation_packs",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("hash", sa.String(128), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "parameters",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("pack", sa.String(300), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "facts",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10)),
        sa.Column("key_field", sa.String(200)),
        sa.Column("key_value", sa.String(1000)),
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), nullable=False),
        sa.Column("source", sa.Text),
    )
    op.create_index("ix_facts_type", "facts", ["type"])
    op.create_index("ix_facts_day", "facts", ["day"])
    op.create_index("ix_facts_evaluation_id", "facts", ["evaluation_id"])
    op.create_index("ix_facts_key", "facts", ["key_field", "key_value"])
    op.create_table(
        "evaluation_facts",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("fact_id", sa.String(200), sa.ForeignKey("facts.id"), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("source", sa.Text),
    )
    op.create_index("ix_evaluation_facts_fact_id", "evaluation_facts", ["fact_id"])
    op.create_table(
        "findings",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("rule", sa.String(300), nullable=False),
        sa.Column("pack", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("subject_kind", sa.String(200), nullable=False),
        sa.Column("subject_id", sa.String(1000), nullable=False),
        sa.Column("day", sa.String(10)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_findings_id", "findings", ["id"])
    op.create_index("ix_findings_rule", "findings", ["rule"])
    op.create_index("ix_findings_day", "findings", ["day"])
    op.create_index("ix_findings_subject", "findings", ["subject_kind", "subject_id"])
    op.create_table(
        "derived",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("day", sa.String(10)),
        sa.Column("key_field", sa.String(200)),
        sa.Column("key_value", sa.String(1000)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_derived_id", "derived", ["id"])
    op.create_index("ix_derived_day", "derived", ["day"])
    op.create_table(
        "obligations",
        sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("finding", sa.String(100)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_obligations_id", "obligations", ["id"])
    op.create_table(
        "api_tokens",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for table in ("api_tokens", "obligations", "derived", "findings", "evaluation_facts", "facts", "parameters",
                  "evaluation_packs", "evaluations"):
        op.drop_table(table)
