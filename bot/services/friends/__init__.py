"""Friends and groups: free time shared by mutual consent, never the schedule itself."""

from bot.services.friends.answers import (
    Answered,
    AnsweredInvite,
    FreeRefusal,
    FreeRefused,
    FreeTime,
    Friend,
    InviteLink,
    Opened,
    OpenedInvite,
    Together,
)
from bot.services.friends.service import (
    FriendsPolicy,
    FriendsService,
    PngRenderer,
    fold,
    token_hash,
)

__all__ = [
    "Answered",
    "AnsweredInvite",
    "Friend",
    "FreeRefusal",
    "FreeRefused",
    "FreeTime",
    "FriendsPolicy",
    "FriendsService",
    "InviteLink",
    "Opened",
    "OpenedInvite",
    "PngRenderer",
    "Together",
    "fold",
    "token_hash",
]
