"""The planner's default centre per student (`/armar`).

Revision ID: 0012_planner
Revises: 0010_daily
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_planner"
down_revision = "0010_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planner_prefs",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("centre", sa.String(4), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("planner_prefs")
