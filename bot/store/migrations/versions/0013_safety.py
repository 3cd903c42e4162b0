"""Safety: erase markers (nothing reaches a student after /olvidar) and the refresh budget
of triggers the student did not type (the calendar feed).

Revision ID: 0013_safety
Revises: 0012_friends
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_safety"
down_revision = "0012_friends"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("erased_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_erasures_erased_ms", "erasures", ["erased_ms"])
    op.create_table(
        "refresh_budget",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tried_ts", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("refresh_budget")
    op.drop_table("erasures")
