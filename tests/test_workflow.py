"""The workflow against the SIIAU simulator: every error class, every fault, manners."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from bot.core.credentials import Credentials
from bot.core.records import FlowRun, State
from bot.services.errors import CircuitOpen, FlowFailed, LoginLimitReached
from bot.services.runtime.workflow import FlowResult
from bot.siiau.errors import (
    AccountLocked,
    InvalidCredentials,
    LayoutChanged,
    NoSchedule,
    SessionAlreadyOpen,
    SessionExpired,
    SiiauUnavailable,
    SurveyPending,
)
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import generated_student, group_tag
from tests.helpers import DEMO_NIPS, pdf_text, until
from tests.workflow_kit import ManualClock, flow_fails, make_workflow

pytestmark = pytest.mark.render

DEMO = Credentials(DEMO_CODE, DEMO_NIP)


@pytest.fixture
def siiau() -> Iterator[SiiauSimulator]:
    """Like the shared fixture, and after every test: no session left open."""
    with SiiauSimulator(seed=11) as simulator:
        yield simulator
        assert simulator.open_sessions() == [], "a run left a SIIAU session open"


def tasks(run: FlowRun) -> dict[str, tuple[str, int]]:
    return {t.name: (t.state.value, t.attempts) for t in run.tasks}


async def test_happy_path_records_every_task(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    result = await workflow.run(DEMO, "INCO")
    assert result.pdf is not None and result.pdf.startswith(b"%PDF")
    assert [t.name for t in result.run.tasks] == ["login", "fetch", "logout", "clean", "pdf"]
    assert all(t.state is State.COMPLETED and t.attempts == 1 for t in result.run.tasks)
    assert result.run.outcome == "delivered" and result.run.state is State.COMPLETED
    assert siiau.logouts == 1


async def test_verify_lists_careers(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    single = await workflow.verify(DEMO)
    assert [c.code for c in single.careers] == ["INCO"]
    double = await workflow.verify(Credentials("220000001", "dos2carr"))
    assert [(c.code, c.name) for c in double.careers] == [
        ("INCO", "INGENIERIA EN COMPUTACION"),
        ("LIFI", "LICENCIATURA EN FISICA"),
    ]


async def test_another_cycle_on_request(siiau: SiiauSimulator) -> None:
    result = await make_workflow(siiau.url).run(DEMO, "INCO", cycle="202510")
    assert result.schedule is not None
    assert result.schedule.term == "202510"
    assert [c.name for c in result.schedule.courses] == ["ESTRUCTURAS DE DATOS II"]


async def test_wrong_nip_is_never_retried(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    with flow_fails(InvalidCredentials) as caught:
        await workflow.run(Credentials(DEMO_CODE, "wrong1"), "INCO")
    assert tasks(caught.run)["login"] == ("failed", 1)
    assert siiau.wrong_nips[DEMO_CODE] == 1


async def test_retries_cannot_lock_an_account(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    for _ in range(10):
        with flow_fails(InvalidCredentials):
            await workflow.run(Credentials(DEMO_CODE, "wrong1"), "INCO")
    assert siiau.wrong_nips[DEMO_CODE] == 1
    assert not siiau.is_locked(DEMO_CODE)
    assert (await workflow.run(DEMO, "INCO")).pdf is not None


async def test_different_wrong_nips_stop_well_before_siiau_locks(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    for attempt in range(3):
        with flow_fails(InvalidCredentials):
            await workflow.verify(Credentials(DEMO_CODE, f"wrong{attempt}"))
    with flow_fails(LoginLimitReached):
        await workflow.verify(Credentials(DEMO_CODE, "wrong3"))
    assert siiau.wrong_nips[DEMO_CODE] == 3 and not siiau.is_locked(DEMO_CODE)


async def test_locked_account(siiau: SiiauSimulator) -> None:
    siiau.wrong_nips[DEMO_CODE] = 5
    with flow_fails(AccountLocked) as caught:
        await make_workflow(siiau.url).run(DEMO, "INCO")
    assert tasks(caught.run)["login"] == ("failed", 1)


@pytest.mark.parametrize("fault", ["500", "reset", "hang"])
async def test_transient_faults_are_retried_and_recover(siiau: SiiauSimulator, fault: str) -> None:
    siiau.faults.hang_seconds = 5
    siiau.inject(fault, times=2, path_contains="forma_inicio")
    # Each hang costs the read timeout; long enough that no normal answer takes it on a busy machine.
    result = await make_workflow(siiau.url, read_timeout=1.5).run(DEMO, "INCO")
    assert tasks(result.run)["login"] == ("completed", 3)
    assert siiau.faults_served[fault] == 2


async def test_fetch_fault_is_retried_within_the_session(siiau: SiiauSimulator) -> None:
    siiau.inject("500", times=1, path_contains="sgpregi.horario")
    result = await make_workflow(siiau.url).run(DEMO, "INCO")
    assert tasks(result.run)["fetch"] == ("completed", 2)
    assert siiau.logins[DEMO_CODE] == 1


async def test_slow_siiau_within_timeouts_still_works(siiau: SiiauSimulator) -> None:
    siiau.faults.latency = 0.2
    result = await make_workflow(siiau.url).run(DEMO, "INCO")
    assert all(attempts == 1 for _, attempts in tasks(result.run).values())


async def test_maintenance_fails_after_the_retry_budget(siiau: SiiauSimulator) -> None:
    siiau.faults.maintenance = True
    with flow_fails(SiiauUnavailable) as caught:
        await make_workflow(siiau.url, retries=2).run(DEMO, "INCO")
    assert tasks(caught.run)["login"] == ("failed", 3)


async def test_expired_session_logs_in_again_once(siiau: SiiauSimulator) -> None:
    siiau.inject("expired", times=1, path_contains="sgpregi")
    result = await make_workflow(siiau.url).run(DEMO, "INCO")
    assert siiau.logins[DEMO_CODE] == 2
    assert result.schedule is not None and len(result.schedule.courses) == 4


async def test_session_expiring_twice_gives_up(siiau: SiiauSimulator) -> None:
    siiau.inject("expired", times=2, path_contains="sgpregi")
    with flow_fails(SessionExpired):
        await make_workflow(siiau.url).run(DEMO, "INCO")
    assert siiau.logins[DEMO_CODE] == 2


async def test_survey_pending(siiau: SiiauSimulator) -> None:
    siiau.faults.survey_codes.add(DEMO_CODE)
    with flow_fails(SurveyPending) as caught:
        await make_workflow(siiau.url).run(DEMO, "INCO")
    assert tasks(caught.run)["fetch"] == ("failed", 1)


async def test_session_already_open(siiau: SiiauSimulator) -> None:
    siiau.faults.session_open_codes.add(DEMO_CODE)
    with flow_fails(SessionAlreadyOpen):
        await make_workflow(siiau.url).run(DEMO, "INCO")


async def test_changed_layout_is_reported_without_student_data(siiau: SiiauSimulator) -> None:
    siiau.faults.layout_changed = True
    with flow_fails(LayoutChanged) as caught:
        await make_workflow(siiau.url).run(DEMO, "INCO")
    assert "MODALIDAD" in caught.error.fragment
    assert "MARTINEZ" not in caught.error.fragment and DEMO_CODE not in caught.error.fragment


async def test_enforced_captcha_is_a_layout_change(siiau: SiiauSimulator) -> None:
    siiau.faults.captcha_enforced = True
    with flow_fails(LayoutChanged, match="captcha"):
        await make_workflow(siiau.url).run(DEMO, "INCO")


async def test_no_courses_is_a_normal_answer(siiau: SiiauSimulator) -> None:
    with flow_fails(NoSchedule) as caught:
        await make_workflow(siiau.url).run(Credentials("220000002", "vacio1"), "ICOM")
    run = caught.run
    assert run.outcome == "no_schedule" and run.state is State.COMPLETED


async def test_breaker_opens_fails_fast_and_closes(siiau: SiiauSimulator) -> None:
    clock = ManualClock()
    workflow = make_workflow(
        siiau.url, retries=0, breaker_threshold=3, breaker_cooldown=30, breaker_clock=clock
    )
    siiau.faults.maintenance = True
    for _ in range(3):
        with flow_fails(SiiauUnavailable):
            await workflow.run(DEMO, "INCO")
    requests = siiau.requests
    with flow_fails(CircuitOpen):
        await workflow.run(DEMO, "INCO")
    assert siiau.requests - requests <= 1, "an open breaker must not send the login to SIIAU"
    siiau.faults.maintenance = False
    clock.advance(31)
    result = await workflow.run(DEMO, "INCO")
    assert result.pdf is not None
    assert (await workflow.breaker.state()).value == "closed"


async def test_unchanged_schedule_is_not_rendered_again(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    first = await workflow.run(DEMO, "INCO")
    second = await workflow.run(DEMO, "INCO")
    assert workflow.renderer.renders == 1
    assert tasks(second.run)["pdf"] == ("cached", 0)
    assert second.pdf == first.pdf


async def test_known_document_skips_rendering(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)

    async def known(content_hash: str) -> str | None:
        return "file-123"

    result = await workflow.run(DEMO, "INCO", find_document=known)
    assert result.reused_document == "file-123" and result.pdf is None
    assert workflow.renderer.renders == 0


@pytest.mark.slow
async def test_fifty_concurrent_students_never_mix(siiau: SiiauSimulator) -> None:
    students = [generated_student(i) for i in range(50)]
    for student in students:
        siiau.add_student(student)
    siiau.faults.latency = 0.01
    workflow = make_workflow(siiau.url)
    results = await asyncio.gather(
        *(workflow.run(Credentials(s.code, s.nip), "INCO") for s in students)
    )
    for student, result in zip(students, results, strict=True):
        text = pdf_text(result.pdf or b"")
        for course in student.careers[0].courses:
            assert course.name in text and course.nrc in text
        assert sum(group_tag(i) in text for i in range(len(students))) == 1
    assert siiau.peak_sessions <= 4
    assert siiau.overlapping_logins == 0


async def test_no_nip_in_logs_errors_or_records(
    siiau: SiiauSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    workflow = make_workflow(siiau.url, retries=1)
    outcomes: list[object] = [await workflow.run(DEMO, "INCO")]
    siiau.inject("500", times=1)
    outcomes.append(await workflow.run(DEMO, "INCO"))
    for nip, fault in (("malnip9", None), (DEMO_NIP, "maintenance"), (DEMO_NIP, "expired")):
        if fault == "maintenance":
            siiau.faults.maintenance = True
        if fault == "expired":
            siiau.faults.maintenance = False
            siiau.inject("expired", times=2, path_contains="sgpregi")
        try:
            await workflow.run(Credentials(DEMO_CODE, nip), "INCO")
        except FlowFailed as failure:
            outcomes += [failure, failure.cause, failure.run]
    everything = caplog.text + "".join(repr(o) + str(o) for o in outcomes)
    for secret in [*DEMO_NIPS, "malnip9"]:
        assert secret not in everything
    assert "malnip9" not in repr(Credentials(DEMO_CODE, "malnip9"))


async def test_a_failed_run_leaves_as_flow_failed_with_its_run_and_its_cause(
    siiau: SiiauSimulator,
) -> None:
    workflow = make_workflow(siiau.url)
    with pytest.raises(FlowFailed) as raised:
        await workflow.run(Credentials(DEMO_CODE, "wrong1"), "INCO")
    failure, cause = raised.value, raised.value.cause
    assert isinstance(cause, InvalidCredentials) and cause is failure.__cause__
    assert failure.run.state is State.FAILED and failure.run.outcome == "failed"
    assert failure.run.error_class == "InvalidCredentials"
    assert [t.name for t in failure.run.tasks] == ["login", "logout"]
    assert not hasattr(cause, "flow_run"), "the run travels on FlowFailed, not on the domain error"
    assert cause.transient is False  # the domain error keeps its own retry policy


async def test_cancelling_a_run_is_not_a_failure_and_leaves_unwrapped(
    siiau: SiiauSimulator,
) -> None:
    workflow = make_workflow(siiau.url)
    siiau.faults.latency = 0.3
    fetching = asyncio.Event()

    async def on_stage(stage: str) -> None:
        if stage == "fetch":
            fetching.set()

    running = asyncio.create_task(workflow.run(DEMO, "INCO", on_stage=on_stage))
    await fetching.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert siiau.logouts == 1, "the session is closed on the way out"


async def test_render_again_is_a_recorded_run_through_the_pdf_task_and_cache(
    siiau: SiiauSimulator,
) -> None:
    schedule = (await make_workflow(siiau.url).run(DEMO, "INCO")).schedule
    assert schedule is not None
    workflow = make_workflow(siiau.url)
    first = await workflow.render(schedule)
    assert (first.run.name, first.run.kind, first.run.outcome) == ("pdf", "rerender", "rendered")
    assert tasks(first.run) == {"pdf": ("completed", 1)}
    assert first.pdf is not None and "SISTEMAS OPERATIVOS" in pdf_text(first.pdf)
    second = await workflow.render(schedule)
    assert tasks(second.run) == {"pdf": ("cached", 0)} and second.pdf == first.pdf
    assert workflow.renderer.renders == 1


async def test_logout_runs_beside_reading_and_rendering_and_the_run_waits_for_it(
    siiau: SiiauSimulator,
) -> None:
    """Logging out is off the critical path, not off the record: the PDF is made while
    SIIAU still holds the logout, and the run ends only once the logout is done."""
    workflow = make_workflow(siiau.url)
    siiau.hold(path_contains="salir")
    run = asyncio.create_task(workflow.run(DEMO, "INCO"))
    await until(
        lambda: siiau.held() == 1 and workflow.renderer.renders == 1, "render waited for the logout"
    )
    assert not run.done() and siiau.open_sessions() == [DEMO_CODE]
    siiau.release()
    result = await run
    assert result.pdf is not None and siiau.open_sessions() == [] and siiau.logouts == 1
    assert [t.name for t in result.run.tasks] == ["login", "fetch", "logout", "clean", "pdf"]
    assert all(t.state is State.COMPLETED for t in result.run.tasks)


async def test_the_pdf_is_handed_up_before_the_logout_ends(siiau: SiiauSimulator) -> None:
    """The student gets the PDF as soon as it exists; the run still waits for the logout."""
    workflow = make_workflow(siiau.url)
    siiau.hold(path_contains="salir")
    handed = asyncio.Event()
    seen_tasks: list[str] = []

    async def ready(result: FlowResult) -> None:
        assert result.pdf is not None and result.pdf.startswith(b"%PDF")
        seen_tasks.extend(f"{t.name}:{t.state.value}" for t in result.run.tasks)
        handed.set()

    run = asyncio.create_task(workflow.run(DEMO, "INCO", on_ready=ready))
    await handed.wait()
    assert siiau.open_sessions() == [DEMO_CODE] and not run.done(), (
        "handed up while SIIAU still logs out"
    )
    assert "pdf:completed" in seen_tasks and "logout:completed" not in seen_tasks
    siiau.release()
    result = await run
    assert result.run.outcome == "delivered" and siiau.open_sessions() == []
    assert {t.name: t.state for t in result.run.tasks}["logout"] is State.COMPLETED


async def test_a_read_without_render_skips_the_pdf(siiau: SiiauSimulator) -> None:
    workflow = make_workflow(siiau.url)
    result = await workflow.run(DEMO, "INCO", render=False, kind="refresh")
    assert result.schedule is not None and result.pdf is None and workflow.renderer.renders == 0
    assert tasks(result.run)["pdf"] == ("skipped", 0) and result.run.outcome == "read"
