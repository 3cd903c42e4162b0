"""The client reads the kárdex, the promedio and the boleta on both login paths, through the
simulator's grade pages and their switches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from bot.config import SiiauSettings
from bot.core.credentials import Credentials
from bot.schedule.grades import Grade, GradeKind, GradesReport, SurveyPending
from bot.siiau.client import LoginPathMemory, SiiauClient, SiiauClientFactory
from bot.siiau.errors import LayoutChanged
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator

DEMO = Credentials(DEMO_CODE, DEMO_NIP)


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    with SiiauSimulator(seed=5) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a login left a SIIAU session open"


@pytest.fixture
async def connect(siiau: SiiauSimulator) -> AsyncIterator[Callable[[str], SiiauClient]]:
    clients: list[SiiauClient] = []

    def make(login: str) -> SiiauClient:
        settings = SiiauSettings(base_url=siiau.url, portal_url=siiau.url, login=login)  # type: ignore[arg-type]
        clients.append(SiiauClientFactory(settings, LoginPathMemory())())
        return clients[-1]

    yield make
    for client in clients:
        await client.logout()
        await client.aclose()


@pytest.mark.parametrize(
    ("path", "submenu"), [("portal", False), ("direct", False), ("portal", True), ("direct", True)]
)
async def test_both_login_paths_read_the_grades(
    siiau: SiiauSimulator, connect: Callable[[str], SiiauClient], path: str, submenu: bool
) -> None:
    siiau.faults.login_paths = {path}
    siiau.grades.academic_submenu = submenu  # ALUMNOS → ACADÉMICA → Kárdex / Boleta
    siiau.grades.post(DEMO_CODE, "179961", "95")
    siiau.grades.extraordinario.add(DEMO_CODE)
    client = connect(path)
    await client.login(DEMO)
    report = await client.grades("INCO")
    assert isinstance(report, GradesReport)
    assert [c.label for c in report.kardex.cycles] == ["Calendario 24 A", "Calendario 24 B"]
    extra = report.kardex.cycles[1].rows[-1]
    assert (extra.name, extra.kind, extra.grade.value) == (
        "ALGEBRA LINEAL",
        GradeKind.EXTRAORDINARIO,
        "75",
    )
    assert report.kardex.cycles[1].rows[1].grade == Grade("SD", "SIN DERECHO", True)
    assert report.promedio is not None and report.promedio.promedio == "88.40"
    assert report.boleta is not None and len(report.boleta.rows) == 4
    assert (
        report.boleta.rows[0].ordinaria == Grade("95") and report.boleta.rows[1].ordinaria is None
    )


async def test_no_boleta_link_and_a_survey(
    siiau: SiiauSimulator, connect: Callable[[str], SiiauClient]
) -> None:
    siiau.grades.no_boleta.add(DEMO_CODE)
    client = connect("direct")
    await client.login(DEMO)
    report = await client.grades("INCO")
    assert isinstance(report, GradesReport) and report.boleta is None
    assert await client.boleta("INCO") is None
    siiau.grades.survey.add(DEMO_CODE)
    assert await client.grades("INCO") == SurveyPending(f"{siiau.url}/Portal/login.xhtml")
    siiau.grades.no_boleta.clear()
    assert await client.boleta("INCO") == SurveyPending(f"{siiau.url}/Portal/login.xhtml")


async def test_a_grade_posted_officially_reaches_the_kardex_and_a_changed_boleta_is_refused(
    siiau: SiiauSimulator, connect: Callable[[str], SiiauClient]
) -> None:
    siiau.grades.post(DEMO_CODE, "181002", "40", in_kardex=True)
    client = connect("direct")
    await client.login(DEMO)
    report = await client.grades("INCO")
    assert isinstance(report, GradesReport) and report.boleta is not None
    assert report.kardex.cycles[-1].label == "Calendario 25 B"
    assert report.kardex.cycles[-1].rows[0].grade.failing
    assert report.boleta.rows[2].ordinaria_in_kardex
    before = siiau.requests
    assert await client.boleta("INCO") == report.boleta
    assert (
        siiau.requests - before == 2
    )  # the menu and the boleta: what an alert check costs after login
    siiau.grades.changed_layout = True
    with pytest.raises(LayoutChanged) as caught:
        await client.grades("INCO")
    assert caught.value.step == "boleta page" and "boleta" in caught.value.path
    page = caught.value.page  # for the operator's capture, redacted
    assert page is not None and b"FOLIO" in page.body and b"MARTINEZ" not in page.body
