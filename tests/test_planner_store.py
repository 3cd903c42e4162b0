"""The planner's remembered centre: kept per student, replaced, erased by /olvidar."""

from __future__ import annotations

from bot.core.credentials import Credentials
from bot.store.crypto import CredentialCipher
from bot.store.planner import PlannerStore
from tests.test_store import open_store


async def test_centre_is_remembered_and_forgotten(db_url: str) -> None:
    store = await open_store(db_url, [CredentialCipher.generate_key()])
    planner = PlannerStore(store.engine)
    assert await planner.centre(1) is None
    await planner.remember_centre(1, "D")
    await planner.remember_centre(1, "C")
    await planner.remember_centre(2, "D")  # no registration needed
    assert await planner.centre(1) == "C" and await planner.centre(2) == "D"
    await store.save_credentials(1, 10, Credentials("219294382", "secreto1"), "INCO", "X")
    await store.forget(1)
    await store.forget(2)  # never registered: its centre goes too
    assert await planner.centre(1) is None and await planner.centre(2) is None
    await store.engine.dispose()
