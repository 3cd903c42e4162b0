"""Issue 19: the schedule shortcut SIIAU answers (per login path, shared by replicas and
rechecked daily), and the PDF registration rendered until the first /horario uploads it.

Revision ID: 0014_portal_shortcut
Revises: 0013_safety
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_portal_shortcut"
down_revision = "0013_safety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_shortcuts",
        sa.Column("path", sa.String(16), primary_key=True),
        sa.Column("works", sa.Boolean(), nullable=False),
        sa.Column("since_ts", sa.Float(), nullable=False),
    )
    op.create_table(
        "first_copies",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("pdf_token", sa.Text(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("first_copies")
    op.drop_table("portal_shortcuts")
