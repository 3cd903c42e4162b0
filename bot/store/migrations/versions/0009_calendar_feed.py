"""Live calendar links: the SHA-256 of each student's feed token.

Revision ID: 0009_calendar_feed
Revises: 0008_stored_schedule
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_calendar_feed"
down_revision = "0008_stored_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_links",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_calendar_links_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_links")
