"""A login SIIAU serves after we stopped waiting opens a session we never see."""

from __future__ import annotations

import asyncio
import time

from bot.core.credentials import Credentials
from bot.siiau.errors import InvalidCredentials, LoginLimitReached
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.workflow_kit import flow_fails, make_workflow

DEMO = Credentials(DEMO_CODE, DEMO_NIP)


async def eventually(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def slow_login(siiau: SiiauSimulator) -> None:
    """The next login is served 1.5 s late, after the client (0.5 s timeout) gave up."""
    siiau.faults.slow_seconds = 1.5
    siiau.inject("slow", path_contains="valida_inicio")


async def test_the_session_of_an_unanswered_login_is_closed_later(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=0.5, orphan_sweep_seconds=2.5)
    slow_login(siiau)
    result = await workflow.run(DEMO, "INCO")
    assert result.pdf is not None
    assert workflow.orphan_sweeps_pending == 1
    assert await eventually(lambda: siiau.open_sessions() == [DEMO_CODE], 3), "the late login opened a session"
    assert await eventually(lambda: siiau.open_sessions() == [] and not workflow.orphan_sweeps_pending, 5)
    assert siiau.logins[DEMO_CODE] == 3  # the unanswered one, its retry, the sweep
    assert siiau.overlapping_logins == 1  # the sweep replaced the orphan, then logged out


async def test_with_sweeping_off_the_orphan_stays_open(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=0.5, orphan_sweep_seconds=0)
    slow_login(siiau)
    await workflow.run(DEMO, "INCO")
    assert workflow.orphan_sweeps_pending == 0
    assert await eventually(lambda: siiau.open_sessions() == [DEMO_CODE], 3)
    await asyncio.sleep(1)
    assert siiau.open_sessions() == [DEMO_CODE]


async def test_no_sweep_unless_siiau_accepted_the_nip(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=0.5, orphan_sweep_seconds=1)
    slow_login(siiau)
    with flow_fails(InvalidCredentials):
        await workflow.run(Credentials(DEMO_CODE, "malnip9"), "INCO")
    assert workflow.orphan_sweeps_pending == 0


async def test_shutdown_drops_sweeps_not_yet_due(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=0.5, orphan_sweep_seconds=30)
    slow_login(siiau)
    await workflow.run(DEMO, "INCO")
    assert workflow.orphan_sweeps_pending == 1
    await workflow.aclose()
    assert workflow.orphan_sweeps_pending == 0


async def test_unanswered_logins_count_as_possible_rejections(siiau: SiiauSimulator) -> None:
    """A wrong NIP SIIAU serves too late for us to see: it must not be sent until the account locks."""
    workflow = make_workflow(siiau.url, read_timeout=0.3, retries=5, orphan_sweep_seconds=0)
    siiau.faults.slow_seconds = 0.6
    siiau.inject("slow", times=10, path_contains="valida_inicio")
    with flow_fails(LoginLimitReached):
        await workflow.run(Credentials(DEMO_CODE, "malnip9"), "INCO")
    assert await eventually(lambda: siiau.wrong_nips[DEMO_CODE] == 3, 3)
    with flow_fails(LoginLimitReached):
        await workflow.verify(Credentials(DEMO_CODE, "otronip1"))
    await asyncio.sleep(1)
    assert siiau.wrong_nips[DEMO_CODE] == 3 and not siiau.is_locked(DEMO_CODE)


async def test_a_login_that_succeeds_clears_the_unanswered_ones(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=0.3, orphan_sweep_seconds=0)
    siiau.faults.slow_seconds = 0.6
    for _ in range(2):
        siiau.inject("slow", path_contains="valida_inicio")
        assert (await workflow.run(DEMO, "INCO")).pdf is not None  # one unanswered, then accepted
    siiau.inject("slow", times=2, path_contains="valida_inicio")
    assert (await workflow.run(DEMO, "INCO")).pdf is not None  # two more unanswered: 2 < 3 after clearing
