"""A login SIIAU serves after we stopped waiting opens a session we never see."""

from __future__ import annotations

import pytest

from bot.core.credentials import Credentials
from bot.services.errors import InvalidCredentials, LoginLimitReached
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from tests.helpers import until
from tests.workflow_kit import flow_fails, make_workflow

pytestmark = pytest.mark.render

DEMO = Credentials(DEMO_CODE, DEMO_NIP)


# The client waits this long for an answer. SIIAU serves a "slow" request only once the
# client has given up, so this is how long each unanswered login costs a test; long enough
# that a normal answer on a loaded machine never takes it.
READ_TIMEOUT = 1.5
SWEEP_AFTER = 3.0  # the late login is served 1 s after the hang-up (the simulator's default)


def slow_login(siiau: SiiauSimulator) -> None:
    """SIIAU serves the next login only after the client stopped waiting for it."""
    siiau.inject("slow", path_contains="valida_inicio")


def idle(siiau: SiiauSimulator) -> bool:
    """SIIAU has served everything it was sent (late logins included)."""
    return siiau.in_flight == 0


async def test_the_session_of_an_unanswered_login_is_closed_later(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=READ_TIMEOUT, orphan_sweep_seconds=SWEEP_AFTER)
    slow_login(siiau)
    result = await workflow.run(DEMO, "INCO")
    assert result.pdf is not None
    assert workflow.orphan_sweeps_pending == 1
    await until(lambda: siiau.open_sessions() == [DEMO_CODE], "the late login opened no session")
    await until(
        lambda: siiau.open_sessions() == [] and not workflow.orphan_sweeps_pending, "no sweep"
    )
    assert siiau.logins[DEMO_CODE] == 3  # the unanswered one, its retry, the sweep
    assert siiau.overlapping_logins == 1  # the sweep replaced the orphan, then logged out


async def test_with_sweeping_off_the_orphan_stays_open(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=READ_TIMEOUT, orphan_sweep_seconds=0)
    slow_login(siiau)
    await workflow.run(DEMO, "INCO")
    assert workflow.orphan_sweeps_pending == 0
    await until(lambda: idle(siiau), "SIIAU never went idle")
    assert siiau.open_sessions() == [DEMO_CODE], "nothing closes the orphan without the sweep"


async def test_no_sweep_unless_siiau_accepted_the_nip(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=READ_TIMEOUT, orphan_sweep_seconds=SWEEP_AFTER)
    slow_login(siiau)
    with flow_fails(InvalidCredentials):
        await workflow.run(Credentials(DEMO_CODE, "malnip9"), "INCO")
    assert workflow.orphan_sweeps_pending == 0


async def test_shutdown_drops_sweeps_not_yet_due(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=READ_TIMEOUT, orphan_sweep_seconds=30)
    slow_login(siiau)
    await workflow.run(DEMO, "INCO")
    assert workflow.orphan_sweeps_pending == 1
    await workflow.aclose()
    assert workflow.orphan_sweeps_pending == 0


async def test_unanswered_logins_count_as_possible_rejections(siiau: SiiauSimulator) -> None:
    """A wrong NIP SIIAU serves too late for us to see: it must not be sent until the account locks."""
    workflow = make_workflow(
        siiau.url, read_timeout=READ_TIMEOUT, retries=5, orphan_sweep_seconds=0
    )
    siiau.inject("slow", times=10, path_contains="valida_inicio")
    with flow_fails(LoginLimitReached):
        await workflow.run(Credentials(DEMO_CODE, "malnip9"), "INCO")
    await until(lambda: idle(siiau), "SIIAU never went idle")
    assert siiau.wrong_nips[DEMO_CODE] == 3
    with flow_fails(LoginLimitReached):
        await workflow.verify(Credentials(DEMO_CODE, "otronip1"))
    await until(lambda: idle(siiau), "SIIAU never went idle")
    assert siiau.wrong_nips[DEMO_CODE] == 3 and not siiau.is_locked(DEMO_CODE)


async def test_a_login_that_succeeds_clears_the_unanswered_ones(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url, read_timeout=READ_TIMEOUT, orphan_sweep_seconds=0)
    for _ in range(2):
        siiau.inject("slow", path_contains="valida_inicio")
        assert (await workflow.run(DEMO, "INCO")).pdf is not None  # one unanswered, then accepted
    siiau.inject("slow", times=2, path_contains="valida_inicio")
    assert (
        await workflow.run(DEMO, "INCO")
    ).pdf is not None  # two more unanswered: 2 < 3 after clearing
