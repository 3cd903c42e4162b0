"""Grades: the stored copy (sealed), the alert settings per student and the alerts' outbox.

Revision ID: 0015_grades
Revises: 0014_portal_shortcut
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_grades"
down_revision = "0014_portal_shortcut"
branch_labels = None
depends_on = None


def _user() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "stored_grades",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("grades_token", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fetched_ts", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "grade_watches",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("due_ts", sa.BigInteger(), nullable=True),
        sa.Column("lease_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_check_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_outcome", sa.String(24), nullable=True),
        sa.Column("layout_told", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_grade_watches_due_ts", "grade_watches", ["due_ts"])
    op.create_table(
        "grade_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _user(),
        sa.Column("posting_key", sa.String(64), nullable=False),
        sa.Column("posting_token", sa.Text(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("lease_ts", sa.BigInteger(), nullable=True),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("user_id", "posting_key", name="uq_grade_alerts"),
    )
    op.create_index("ix_grade_alerts_user_id", "grade_alerts", ["user_id"])
    op.create_index("ix_grade_alerts_state", "grade_alerts", ["state"])


def downgrade() -> None:
    op.drop_table("grade_alerts")
    op.drop_table("grade_watches")
    op.drop_table("stored_grades")
