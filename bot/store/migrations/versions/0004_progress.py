"""Progress messages in flight, so a restart can finish those a dead process left.

Revision ID: 0004_progress
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_progress"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_messages",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("progress_messages")
