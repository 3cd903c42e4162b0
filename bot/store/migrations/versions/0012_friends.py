"""Friends and group shares: invite token hashes, sealed first names, friendships,
invitations waiting for an answer, and group shares.

Revision ID: 0012_friends
Revises: 0011_planner
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_friends"
down_revision = "0011_planner"
branch_labels = None
depends_on = None


def _user() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "friend_invites",
        sa.Column("user_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_friend_invites_token_hash"),
    )
    op.create_table(
        "friend_names",
        sa.Column("user_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("name_token", sa.Text(), nullable=False),
        sa.Column("updated_ts", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "friendships",
        sa.Column("user_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("friend_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_friendships_friend_id", "friendships", ["friend_id"])
    op.create_table(
        "friend_pending",
        sa.Column("invitee_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("inviter_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_friend_pending_inviter_id", "friend_pending", ["inviter_id"])
    op.create_table(
        "group_shares",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), _user(), primary_key=True),
        sa.Column("consented", sa.Boolean(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("checked_ts", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_group_shares_user_id", "group_shares", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_group_shares_user_id", "group_shares")
    op.drop_table("group_shares")
    op.drop_index("ix_friend_pending_inviter_id", "friend_pending")
    op.drop_table("friend_pending")
    op.drop_index("ix_friendships_friend_id", "friendships")
    op.drop_table("friendships")
    op.drop_table("friend_names")
    op.drop_table("friend_invites")
