"""Bad input from SIIAU (issue 9): a page from neither path, an HTML error page, a login form
back with no alert, a frameset with no frames, an offer with zero rows. Each ends in a typed
error with its Spanish text: never a crash, never a NIP sent twice, never a session left open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.services.runtime.login_guard import memory_login_guard
from bot.siiau.errors import CourseNotInOffer, LayoutChanged, LoginUnconfirmed, SiiauUnavailable
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import common
from tests.workflow_kit import flow_fails, make_workflow

pytestmark = pytest.mark.render

DEMO = Credentials(DEMO_CODE, DEMO_NIP)


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=13) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a run left a SIIAU session open"
        assert simulator.wrong_nips[DEMO_CODE] == 0


def tasks(run: FlowRun) -> dict[str, tuple[str, int]]:
    return {t.name: (t.state.value, t.attempts) for t in run.tasks}


async def test_a_page_from_neither_path_ends_before_the_nip_is_sent(siiau: SiiauSimulator) -> None:
    siiau.faults.login_paths = {"portal", "direct"}
    siiau.faults.foreign_pages = True  # a captive portal answers everything with 200
    with flow_fails(LayoutChanged) as caught:
        await make_workflow(siiau.url, portal_url=siiau.url, login="auto").run(DEMO, "INCO")
    assert tasks(caught.run)["login"] == ("failed", 1) and siiau.logins[DEMO_CODE] == 0
    assert caught.error.step == "login 1/3"  # the Portal's page was not its login form either
    assert common.error_text(caught.error) == common.ERRORS[LayoutChanged]


async def test_an_error_page_at_the_fetch_is_retried_without_a_new_login(
    siiau: SiiauSimulator,
) -> None:
    # ORA-06550 with HTTP 200, twice: the first answers the schedule URL tried before the menu
    # walk (a refusal of that shortcut: the client walks the menu in the same login), the
    # second the walked fetch itself, which the task retries in the same session.
    siiau.inject("error_page", times=2, path_contains="sgpregi.horario")
    result = await make_workflow(siiau.url, login="direct").run(DEMO, "INCO")
    assert tasks(result.run)["fetch"] == ("completed", 2) and tasks(result.run)["login"] == (
        "completed",
        1,
    )
    assert siiau.logins[DEMO_CODE] == 1 and siiau.faults_served["error_page"] == 2


async def test_an_error_page_in_answer_to_the_nip_is_not_retried_and_stays_a_possible_rejection(
    siiau: SiiauSimulator,
) -> None:
    guard = memory_login_guard(50)
    siiau.inject("error_page", path_contains="valida_inicio")
    with flow_fails(LoginUnconfirmed) as caught:
        await make_workflow(siiau.url, login="direct", guard=guard).run(DEMO, "INCO")
    assert tasks(caught.run)["login"] == ("failed", 1) and siiau.faults_served["error_page"] == 1
    assert isinstance(caught.error.__cause__, SiiauUnavailable)
    assert await guard.in_a_row(DEMO_CODE) == 1, "SIIAU may have counted it: the guard keeps it"
    assert "no sé si lo aceptó" in common.error_text(caught.error)
    assert siiau.logouts == 1


async def test_a_login_form_back_with_no_alert_is_not_retried_and_stays_a_possible_rejection(
    siiau: SiiauSimulator,
) -> None:
    guard = memory_login_guard(50)
    siiau.faults.login_form_back = True
    with flow_fails(LoginUnconfirmed) as caught:
        await make_workflow(siiau.url, login="direct", guard=guard).run(DEMO, "INCO")
    assert tasks(caught.run)["login"] == ("failed", 1) and siiau.logins[DEMO_CODE] == 1
    assert caught.error.step == "login 3/3" and DEMO_NIP not in caught.error.fragment
    assert await guard.in_a_row(DEMO_CODE) == 1
    assert common.error_text(caught.error) == common.ERRORS[LoginUnconfirmed]


async def test_a_portal_answer_to_the_nip_we_cannot_read_is_not_retried(
    siiau: SiiauSimulator,
) -> None:
    guard = memory_login_guard(50)
    siiau.faults.login_paths = {"portal", "direct"}
    siiau.faults.portal_breaks_at = "answer"
    with flow_fails(LoginUnconfirmed) as caught:
        await make_workflow(siiau.url, portal_url=siiau.url, login="auto", guard=guard).run(
            DEMO, "INCO"
        )
    assert tasks(caught.run)["login"] == ("failed", 1) and siiau.logins[DEMO_CODE] == 1
    assert caught.error.step == "portal 2/6" and await guard.in_a_row(DEMO_CODE) == 1


async def test_a_frameset_with_no_frames_is_a_layout_change_and_the_other_path_is_safe(
    siiau: SiiauSimulator,
) -> None:
    siiau.faults.empty_frameset = True
    siiau.faults.login_paths = {"portal"}
    guard = memory_login_guard(50)
    with flow_fails(LayoutChanged) as caught:
        await make_workflow(siiau.url, portal_url=siiau.url, login="portal", guard=guard).run(
            DEMO, "INCO"
        )
    assert not isinstance(caught.error, LoginUnconfirmed)  # the Portal had accepted the NIP
    assert (
        caught.error.where == "portal 4/6 · /wus/gupprincipal.emicore · falta frame[name=mainFrame]"
    )
    assert tasks(caught.run)["login"] == ("failed", 1) and siiau.logins[DEMO_CODE] == 1
    assert await guard.in_a_row(DEMO_CODE) == 0
    siiau.faults.login_paths = {
        "portal",
        "direct",
    }  # auto: accepted, so the direct path may be tried
    result = await make_workflow(siiau.url, portal_url=siiau.url, login="auto").run(DEMO, "INCO")
    assert result.pdf is not None and siiau.logins_by_path == {"portal": 2, "direct": 1}


async def test_an_offer_with_zero_rows_for_a_listed_course_is_a_typed_error(
    siiau: SiiauSimulator,
) -> None:
    siiau.faults.no_schedule_page = True
    siiau.faults.offer_missing = {"181002"}  # the offer answers "Total de registros: 0" for I7038
    with flow_fails(CourseNotInOffer) as caught:
        await make_workflow(siiau.url, login="direct").run(DEMO, "INCO")
    assert tasks(caught.run)["clean"] == ("failed", 1) and tasks(caught.run)["login"] == (
        "completed",
        1,
    )
    assert "181002" in str(caught.error) and siiau.logouts == 1
    assert "no aparece en la oferta" in common.error_text(caught.error)
