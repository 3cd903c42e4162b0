"""The SIIAU login path that worked, shared by replicas and rechecked daily.

Revision ID: 0007_login_path
Revises: 0006_cupos
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_login_path"
down_revision = "0006_cupos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_paths",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("path", sa.String(16), nullable=False),
        sa.Column("since_ts", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_paths")
