"""Two login paths to one Escolar session: the central Portal and the direct form.

`auto` tries the path that worked last (else the Portal) and moves to the other only
where that cannot cost a wrong NIP: before the credentials went out, or after the
Portal accepted them. A rejected NIP ends the login on either path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Literal, Protocol

import pytest

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau.client import LoginPathMemory, SiiauClient, SiiauClientFactory
from bot.siiau.errors import InvalidCredentials, LayoutChanged
from bot.siiau.schedule_page import SiiauSchedulePage, parse_schedule
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator

DEMO = Credentials(DEMO_CODE, DEMO_NIP)
Login = Literal["auto", "portal", "direct"]  # SiiauSettings.login


class Connect(Protocol):
    """The `connect` fixture: a client on the simulator, logged out and closed after the test."""

    def __call__(self, login: Login = "auto") -> SiiauClient: ...


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=4) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a login left a SIIAU session open"


@pytest.fixture
async def connect(siiau: SiiauSimulator) -> AsyncIterator[Connect]:
    clients: list[SiiauClient] = []
    memory = LoginPathMemory()

    def make(login: Login = "auto") -> SiiauClient:
        settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)
        clients.append(SiiauClientFactory(settings, memory)())
        return clients[-1]

    yield make
    for client in clients:
        await client.logout()
        await client.aclose()


async def test_the_portal_path_reaches_the_schedule(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.login_paths = {"portal"}
    client = connect()
    await client.login(DEMO)
    assert client.login_path == "portal" and siiau.open_sessions() == [DEMO_CODE]
    assert [c.code for c in await client.careers()] == ["INCO"]
    page = await client.schedule_page("INCO")
    assert isinstance(page, SiiauSchedulePage), "the schedule page, not the registration list"
    assert parse_schedule(page.html, career="INCO").student_name == "MARTINEZ VIRGEN, KEVIN ALAN"


async def test_two_careers_through_the_portal(siiau: SiiauSimulator, connect: Connect) -> None:
    siiau.faults.login_paths = {"portal"}
    siiau.faults.career_options = "code-cycle"
    student = siiau.student("220000001")
    client = connect()
    await client.login(Credentials(student.code, student.nip))
    assert [c.code for c in await client.careers()] == ["INCO", "LIFI"]


async def test_a_portal_that_is_not_there_falls_back_before_any_nip_is_sent(
    siiau: SiiauSimulator,
    connect: Connect,
) -> None:
    siiau.faults.login_paths = {"direct"}  # the Portal answers 404
    first = connect()
    await first.login(DEMO)
    assert first.login_path == "direct" and siiau.logins[DEMO_CODE] == 1
    await first.logout()
    siiau.reset_stats()
    second = connect()  # same memory: straight to the path that worked
    await second.login(DEMO)
    assert second.login_path == "direct" and siiau.requests == 3


@pytest.mark.parametrize("available", [{"portal"}, {"direct"}, {"portal", "direct"}])
async def test_a_rejected_nip_is_never_sent_down_the_other_path(
    siiau: SiiauSimulator,
    connect: Connect,
    available: set[str],
) -> None:
    siiau.faults.login_paths = available
    with pytest.raises(InvalidCredentials):
        await connect().login(Credentials(DEMO_CODE, "malnip9"))
    assert siiau.wrong_nips[DEMO_CODE] == 1 and siiau.logins[DEMO_CODE] == 1


async def test_an_unreadable_answer_to_the_credentials_ends_the_login(
    siiau: SiiauSimulator,
    connect: Connect,
) -> None:
    """The Portal may have counted a wrong NIP we cannot see: the direct path is not tried."""
    siiau.faults.login_paths = {"portal", "direct"}
    siiau.faults.portal_breaks_at = "answer"
    with pytest.raises(LayoutChanged) as caught:
        await connect().login(DEMO)
    assert caught.value.step == "portal 2/6" and siiau.logins[DEMO_CODE] == 1


async def test_after_the_portal_accepted_the_nip_the_direct_path_is_safe(
    siiau: SiiauSimulator,
    connect: Connect,
) -> None:
    siiau.faults.login_paths = {"portal", "direct"}
    siiau.faults.portal_breaks_at = "dashboard"
    client = connect()
    await client.login(DEMO)
    assert (
        client.login_path == "direct"
        and siiau.logins[DEMO_CODE] == 2
        and siiau.wrong_nips[DEMO_CODE] == 0
    )


async def test_explicit_paths_are_used_alone(siiau: SiiauSimulator, connect: Connect) -> None:
    siiau.faults.login_paths = {"direct"}
    with pytest.raises(LayoutChanged) as caught:
        await connect("portal").login(DEMO)
    assert caught.value.step == "portal 1/6" and siiau.logins[DEMO_CODE] == 0
