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


async def test_plans_are_kept_pruned_and_forgotten(db_url: str) -> None:
    store = await open_store(db_url, [CredentialCipher.generate_key()])
    planner = PlannerStore(store.engine)
    await planner.save_plan("0a0a0a0a", 1, '{"claves": ["I5886"]}', 1000, older_than=0)
    await planner.save_plan("0b0b0b0b", 2, "{}", 1500, older_than=0)
    assert await planner.load_plan("0a0a0a0a") == (1, '{"claves": ["I5886"]}', 1000)
    await planner.save_plan("0c0c0c0c", 1, "{}", 2000, older_than=1200)  # the one from 1000 goes
    assert (
        await planner.load_plan("0a0a0a0a") is None
        and await planner.load_plan("0b0b0b0b") is not None
    )
    await store.forget(1)
    assert (
        await planner.load_plan("0c0c0c0c") is None
        and await planner.load_plan("0b0b0b0b") is not None
    )
    await store.engine.dispose()
