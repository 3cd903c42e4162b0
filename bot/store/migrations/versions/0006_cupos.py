"""Seat alerts: polled subjects (cycle, centre, clave), students' watches, last centre used.

Revision ID: 0006_cupos
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_cupos"
down_revision = "0005_login_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cupo_subjects",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("cycle", sa.String(8), nullable=False),
        sa.Column("centre", sa.String(4), nullable=False),
        sa.Column("clave", sa.String(12), nullable=False),
        sa.Column("next_poll_ts", sa.BigInteger(), nullable=False),
        sa.Column("due_ts", sa.BigInteger(), nullable=True),
        sa.Column("lease_until_ts", sa.BigInteger(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("late_polls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_ok_ts", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("free_json", sa.Text(), nullable=True),
        sa.UniqueConstraint("cycle", "centre", "clave", name="uq_cupo_subjects_key"),
    )
    op.create_index("ix_cupo_subjects_next_poll_ts", "cupo_subjects", ["next_poll_ts"])
    op.create_table(
        "cupo_watches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "subject_id",
            sa.Integer(),
            sa.ForeignKey("cupo_subjects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("target", sa.String(12), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("expires_ts", sa.BigInteger(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("user_id", "subject_id", "target", name="uq_cupo_watches_target"),
    )
    op.create_index("ix_cupo_watches_user_id", "cupo_watches", ["user_id"])
    op.create_index("ix_cupo_watches_subject_id", "cupo_watches", ["subject_id"])
    op.create_index("ix_cupo_watches_expires_ts", "cupo_watches", ["expires_ts"])
    op.create_table(
        "cupo_prefs",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("centre", sa.String(4), nullable=False),
    )


def downgrade() -> None:
    for table in ("cupo_prefs", "cupo_watches", "cupo_subjects"):
        op.drop_table(table)
