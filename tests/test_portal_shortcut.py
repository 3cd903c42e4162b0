"""Issue 19 at the client: the verdict heard at once, a shorter Portal walk learned (not
assumed) and rechecked daily, and a career's name that is never a link's text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.siiau import pages
from bot.siiau.client import LoginPathMemory, ShortcutMemory, SiiauClient, SiiauClientFactory
from bot.siiau.errors import InvalidCredentials, SessionExpired
from bot.siiau.schedule_page import SiiauSchedulePage, parse_schedule
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau import pages as sim_pages
from bot.store.db import create_engine, migrate
from bot.store.login_path import DatabaseShortcuts

DEMO = Credentials(DEMO_CODE, DEMO_NIP)
Connect = Callable[..., SiiauClient]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=19) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a login left a SIIAU session open"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def connect(siiau: SiiauSimulator, clock: Clock) -> AsyncIterator[Connect]:
    clients: list[SiiauClient] = []
    shortcut = ShortcutMemory(clock=clock)

    def make(login: str = "portal", memory: ShortcutMemory | None = None) -> SiiauClient:
        settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)  # type: ignore[arg-type]
        clients.append(SiiauClientFactory(settings, LoginPathMemory(), memory or shortcut)())
        return clients[-1]

    yield make
    for client in clients:
        await client.logout()
        await client.aclose()


async def returning_run(client: SiiauClient) -> int:
    """A returning student's login and schedule (the career is known); requests until the page."""
    await client.login(DEMO)
    page = await client.schedule_page("INCO")
    assert isinstance(page, SiiauSchedulePage), "the schedule page, not the registration list"
    assert parse_schedule(page.html, career="INCO").courses
    await client.logout()
    return 0


@pytest.mark.parametrize("login", ["portal", "direct"])
async def test_the_verdict_is_heard_once_the_moment_siiau_gives_it(
    siiau: SiiauSimulator, connect: Connect, login: str
) -> None:
    siiau.faults.login_paths = {login}
    client = connect(login)
    heard: list[int] = []

    async def accepted() -> None:
        heard.append(siiau.requests)

    await client.login(DEMO, accepted)
    # The Portal knows at its login POST (2nd request); the direct path at valida_inicio (3rd).
    assert heard == [2 if login == "portal" else 3]
    assert siiau.requests == (7 if login == "portal" else 3)  # the Portal's walk went on after it


async def test_a_rejected_nip_is_no_verdict_of_acceptance(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.login_paths = {"portal"}
    heard: list[bool] = []

    async def accepted() -> None:
        heard.append(True)

    with pytest.raises(InvalidCredentials):
        await connect().login(Credentials(DEMO_CODE, "equivocado"), accepted)
    assert heard == [] and siiau.wrong_nips[DEMO_CODE] == 1


async def test_the_portal_never_fetches_the_top_frame(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.login_paths = {"portal"}
    client = connect()
    await client.login(DEMO)
    assert [c.code for c in await client.careers()] == ["INCO"]
    assert siiau.requests_by_path["/wus/gupprincipal.encabezado"] == 0
    assert siiau.requests == 10  # 7 to the pidm, 3 through the menu frames


async def test_the_shortcut_is_learned_and_then_taken(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.login_paths = {"portal"}
    await returning_run(connect())  # tried, it works: learned
    assert siiau.requests_by_path["/wal/gupmenug.menu_sistema"] == 0
    siiau.reset_stats()
    await returning_run(connect())
    assert siiau.requests == 9, "7 to the pidm, the schedule (8 until the page), the logout"
    assert (
        siiau.logins[DEMO_CODE] == 1 and siiau.requests_by_path["/wus/gupprincipal.sistemas"] == 0
    )


async def test_a_refused_shortcut_falls_back_to_the_menu_walk_and_is_remembered(
    siiau: SiiauSimulator, connect: Connect, clock: Clock
) -> None:
    siiau.faults.login_paths = {"portal"}
    siiau.faults.menu_walk_required = True
    await returning_run(connect())  # tried, refused, walked: one login, the NIP sent once
    assert siiau.faults_served["menu_walk_required"] == 1
    assert siiau.logins[DEMO_CODE] == 1 and siiau.requests_by_path["/Portal/login.xhtml"] == 2
    siiau.reset_stats()
    await returning_run(connect())  # believed refused: straight to the walk, nothing refused
    assert siiau.faults_served["menu_walk_required"] == 0
    assert siiau.requests == 12, "7 to the pidm, 3 menu frames, the schedule, the logout"
    siiau.faults.menu_walk_required = False  # SIIAU changed its mind: learned only a day later
    clock.now += 23 * 3600
    siiau.reset_stats()
    await returning_run(connect())
    assert siiau.requests == 12
    clock.now += 2 * 3600
    siiau.reset_stats()
    await returning_run(connect())  # a day on: tried again, and it works now
    assert siiau.requests == 9


async def test_a_shortcut_that_stops_working_is_walked_the_same_run(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.login_paths = {"portal"}
    await returning_run(connect())  # learned: it works
    siiau.faults.menu_walk_required = True
    siiau.reset_stats()
    await returning_run(connect())  # believed, refused, walked: still the schedule, one login
    assert siiau.faults_served["menu_walk_required"] == 1 and siiau.logins[DEMO_CODE] == 1
    siiau.reset_stats()
    await returning_run(connect())
    assert siiau.faults_served["menu_walk_required"] == 0


async def test_the_direct_path_falls_back_to_the_menu_too(
    siiau: SiiauSimulator, connect: Connect
) -> None:
    siiau.faults.menu_walk_required = True
    await returning_run(connect("direct"))
    assert siiau.faults_served["menu_walk_required"] == 1 and siiau.logins[DEMO_CODE] == 1
    assert siiau.requests_by_path["/wal/gupmenug.menu"] == 1


async def test_replicas_share_the_finding_in_the_database(
    siiau: SiiauSimulator, connect: Connect, db_url: str, clock: Clock
) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        siiau.faults.login_paths = {"portal"}
        siiau.faults.menu_walk_required = True
        await returning_run(connect(memory=ShortcutMemory(DatabaseShortcuts(engine), clock=clock)))
        assert await DatabaseShortcuts(engine).load("portal") == (False, clock.now)
        siiau.reset_stats()
        await returning_run(connect(memory=ShortcutMemory(DatabaseShortcuts(engine), clock=clock)))
        assert siiau.faults_served["menu_walk_required"] == 0, "the other replica knew to walk"
    finally:
        await engine.dispose()


def test_a_career_is_never_a_links_text() -> None:
    with SiiauSimulator(seed=1) as siiau:
        student = siiau.student(DEMO_CODE)
    html = sim_pages.menu(student, links="actions")
    assert ">Oferta<" in html and ">Horario<" in html
    assert [(c.code, c.name) for c in pages.careers_from_menu(html)] == [("INCO", "INCO")]
    named = sim_pages.menu(student)  # a link that reads like a name is still a link's text
    assert [(c.code, c.name) for c in pages.careers_from_menu(named)] == [("INCO", "INCO")]


@pytest.mark.parametrize(
    "answer",
    ["skipped_step", "expired", "error_page", "login_form", "frameset", "redirect", "forbidden"],
)
@pytest.mark.parametrize("login", ["portal", "direct"])
async def test_any_refusal_of_the_shortcut_walks_the_menu_and_is_remembered(
    siiau: SiiauSimulator, connect: Connect, answer: str, login: str
) -> None:
    """SIIAU may refuse the unwalked schedule URL with any page: the student still gets the
    schedule in the same login (the NIP sent once), and the next run walks straight away."""
    siiau.faults.login_paths = {login}
    siiau.faults.menu_walk_required = True
    siiau.faults.menu_walk_answer = answer
    await returning_run(connect(login))
    assert siiau.faults_served["menu_walk_required"] == 1 and siiau.logins[DEMO_CODE] == 1
    siiau.reset_stats()
    await returning_run(connect(login))
    assert siiau.faults_served["menu_walk_required"] == 0, "the refusal was not remembered"


@pytest.mark.parametrize(
    ("option", "name"),
    [
        ('<option value="INNI-202210">INNI-202210</option>', "INNI"),
        ('<option value="INNI-202210">INNI - 202210</option>', "INNI"),
        ('<option value="INNI-202210">202210</option>', "INNI"),
        ('<option value="INCO">INCO</option>', "INCO"),
        (
            '<option value="INNI-202210">INNI-202210 - INGENIERIA EN INFORMATICA</option>',
            "INGENIERIA EN INFORMATICA",
        ),
        (
            '<option value="INCO">INGENIERIA EN COMPUTACION (INCO)</option>',
            "INGENIERIA EN COMPUTACION",
        ),
    ],
)
def test_a_career_option_names_the_career_or_gives_the_code_alone(option: str, name: str) -> None:
    """PROTOCOL: option values may be CODE-CYCLE; an option that shows only that (or the
    cycle) names no career, and its cycle is never taken for a name."""
    careers = pages.careers_from_menu(f'<select name="p_carrera">{option}</select>')
    assert [career.name for career in careers] == [name]


@pytest.mark.parametrize("login", ["portal", "direct"])
async def test_a_shortcut_refused_by_ending_the_session_is_not_tried_by_the_next_login(
    siiau: SiiauSimulator, connect: Connect, login: str
) -> None:
    """SESION INVALIDA can end the session (SIIAU redirects to salir): this run is lost, but the
    login the workflow tries next (and every run that day) walks the menu instead of losing
    its session the same way."""
    siiau.faults.login_paths = {login}
    siiau.faults.menu_walk_required = True
    siiau.faults.menu_walk_answer = "expired_logout"
    client = connect(login)
    await client.login(DEMO)
    with pytest.raises(SessionExpired):
        await client.schedule_page("INCO")
    await client.logout()
    siiau.reset_stats()
    await returning_run(connect(login))
    assert siiau.faults_served["menu_walk_required"] == 0 and siiau.logins[DEMO_CODE] == 1
