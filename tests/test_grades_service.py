"""Grade alerts at the service level, on an injected clock, the SIIAU simulator and a real store
(SQLite and PostgreSQL): at least once across a crash, once per posting across two replicas, the
polite window, a changed layout told once, a rejected NIP stopping checks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.bootstrap import Stores, build_delivery, build_stores
from bot.config import GradesSettings
from bot.core.credentials import Credentials
from bot.schedule import codec
from bot.schedule.grades import Boleta, BoletaRow, Grade, Posting
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.errors import CredentialsRejected, RecipientGone
from bot.services.grades import window
from bot.services.grades.service import GradesService
from bot.services.runtime.breaker import BreakerState
from bot.services.runtime.gate import UserGate
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.services.timetable.delivery import DeliveryService
from bot.siiau.errors import LayoutChanged
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.store.crypto import CredentialCipher
from bot.store.db import create_engine, migrate
from bot.store.repository import Store
from bot.telegram.handlers.grades import GradesButton, button_data, parse_button
from tests.weekly_kit import Clock
from tests.workflow_kit import make_workflow

KEY = CredentialCipher.generate_key()
USER = 5100
NOW = datetime(2025, 12, 1, 12, tzinfo=UTC)  # 12 days before the simulator's FECHA FIN (13-12-2025)


@dataclass
class Recorder:
    grades: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    operator: list[str] = field(default_factory=list)
    fail_next: int = 0

    async def send_grade(self, chat_id: int, posting: Posting) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("Telegram did not answer")
        self.grades.append(f"{posting.name}: {posting.value} ({posting.kind.value})")

    async def send_notice(self, chat_id: int, notice: str, survey_link: str = "") -> None:
        self.notices.append(notice)

    async def send_operator_notice(self, error: LayoutChanged) -> None:
        self.operator.append(error.where)


@pytest.fixture
def siiau() -> object:
    with SiiauSimulator(seed=7) as simulator:
        yield simulator
        assert simulator.open_sessions() == []


class Replica:
    def __init__(
        self,
        store: Stores,
        service: GradesService,
        workflow: ScheduleWorkflow,
        delivery: DeliveryService,
    ) -> None:
        self.store, self.service, self.workflow, self.delivery = store, service, workflow, delivery


async def replica(
    db_url: str,
    siiau: SiiauSimulator,
    clock: Clock,
    notifier: Recorder,
    keys: list[str] | None = None,
    **options: Any,  # GradesSettings fields, of mixed types: pydantic checks them
) -> Replica:
    engine = create_engine(db_url)
    await migrate(engine)
    store = build_stores(engine, CredentialCipher(keys or [KEY]))
    workflow = make_workflow(siiau.url, login="direct")
    gate = UserGate(100)
    delivery = build_delivery(store, workflow, gate, clock=clock)
    settings = GradesSettings(
        **{"poll_seconds": 3600, "jitter_seconds": 0, "lease_seconds": 60, **options}
    )
    service = GradesService(
        store.users,
        store.grades,
        workflow,
        gate,
        delivery,
        settings,
        survey_link="https://x/Portal/login.xhtml",
        notifier=notifier,
        clock=clock,
        rng=random.Random(1),
    )
    return Replica(store, service, workflow, delivery)


def schedule_ending(end: date) -> Schedule:
    session = Session(
        (Day.MONDAY,), time(7), time(8, 55), "DEDX", "A1", "P", end - timedelta(days=100), end
    )
    return Schedule(
        "202520",
        "2025-B",
        "A",
        DEMO_CODE,
        "INCO",
        "ING",
        (Course("1", "I1", "X", "D1", 8, (session,)),),
    )


async def enrol(r: Replica, clock: Clock) -> None:
    await r.store.users.save_credentials(
        USER, USER, Credentials(DEMO_CODE, DEMO_NIP), "INCO", "INGENIERIA"
    )
    schedule = schedule_ending(date(2025, 12, 13))
    await r.store.schedules.save(
        USER, codec.dumps(schedule), schedule.content_hash, int(clock().timestamp())
    )
    await r.service.set_alerts(USER, True)


async def due_check(r: Replica, clock: Clock) -> str:
    """Move the clock to the student's next check and run it as the job does."""
    watch = await r.store.grades.watch(USER)
    assert watch is not None and watch.due_ts is not None
    clock.now = max(clock.now, datetime.fromtimestamp(watch.due_ts, UTC))
    claims = await r.service.claim(int(clock.now.timestamp()), 4)
    assert [c.user_id for c in claims] == [USER]
    return await r.service.process(claims[0])


async def close(*replicas: Replica) -> None:
    for r in replicas:
        await r.service.aclose()
        await r.store.engine.dispose()


async def test_a_grade_is_sent_after_a_crash_between_recording_and_sending(
    db_url: str, siiau: SiiauSimulator
) -> None:
    clock, sent = Clock(NOW), Recorder(fail_next=1)
    a = await replica(db_url, siiau, clock, sent)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        assert await due_check(a, clock) == "ok"
        assert sent.grades == [] and await a.store.grades.counts(USER) == {"pending": 1}
        b = await replica(db_url, siiau, clock, sent)  # the process after the restart
        clock.advance(seconds=61)  # the dead sender's lease on the alert ran out
        assert await b.service.send_pending() == 1
        assert await a.service.send_pending() == 0 and await b.service.send_pending() == 0
        assert sent.grades == ["COMPUTACION TOLERANTE A FALLAS: 95 (ordinario)"]
        assert await due_check(b, clock) == "ok" and len(sent.grades) == 1
        await close(b)
    finally:
        await close(a)


async def test_two_replicas_announce_each_posting_once_and_a_seen_grade_never(
    db_url: str, siiau: SiiauSimulator
) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent)
    b = await replica(db_url, siiau, clock, sent)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        answer = await a.service.check(USER)  # the student saw it first
        assert answer.report is not None and answer.new == ()
        siiau.grades.post(DEMO_CODE, "181002", "88")
        for r in (a, b, a, b):
            clock.advance(seconds=3601)
            await due_check(r, clock)
        assert sent.grades == ["SISTEMAS OPERATIVOS: 88 (ordinario)"]
        siiau.grades.post(DEMO_CODE, "181002", "90")  # corrected
        siiau.grades.post(DEMO_CODE, "179961", "60", extraordinaria=True)
        clock.advance(seconds=3601)
        await due_check(b, clock)
        assert sent.grades[1:] == [
            "COMPUTACION TOLERANTE A FALLAS: 60 (extraordinario)",
            "SISTEMAS OPERATIVOS: 90 (ordinario)",
        ]
    finally:
        await close(a, b)


async def test_layout_change_told_once_survey_not_a_failure_and_rejected_nip_stops(
    db_url: str, siiau: SiiauSimulator
) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent)
    try:
        await enrol(a, clock)
        siiau.grades.changed_layout = True
        assert [await due_check(a, clock) for _ in range(3)] == ["layout_changed"] * 3
        assert sent.notices == ["layout"] and len(sent.operator) == 3
        siiau.grades.changed_layout = False
        siiau.grades.survey.add(DEMO_CODE)
        assert [await due_check(a, clock) for _ in range(6)] == [
            "survey"
        ] * 6  # past the breaker's threshold
        assert sent.notices == ["layout", "survey"]
        assert (
            await a.workflow.breaker.state() is BreakerState.CLOSED
        )  # a survey is no SIIAU failure
        siiau.grades.survey.clear()
        siiau.student(DEMO_CODE).nip = "otro"
        assert await due_check(a, clock) == "rejected"
        assert sent.notices[-1] == "rejected" and siiau.wrong_nips[DEMO_CODE] == 1
        watch = await a.store.grades.watch(USER)
        assert watch is not None and not watch.enabled and watch.due_ts is None
        clock.advance(days=30)
        assert await a.service.claim(int(clock.now.timestamp()), 4) == []
        with pytest.raises(
            CredentialsRejected
        ):  # turning them on again first needs a NIP that works
            await a.service.set_alerts(USER, True)
    finally:
        await close(a)


async def test_a_gone_chat_turns_alerts_off(db_url: str, siiau: SiiauSimulator) -> None:
    clock = Clock(NOW)

    class Gone(Recorder):
        async def send_grade(self, chat_id: int, posting: Posting) -> None:
            raise RecipientGone("blocked")

    a = await replica(db_url, siiau, clock, Gone())
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        await due_check(a, clock)
        watch = await a.store.grades.watch(USER)
        assert watch is not None and not watch.enabled
        assert await a.store.grades.counts(USER) == {"sent": 1}
    finally:
        await close(a)


SETTINGS = GradesSettings(
    window_days=21, after_days=60, poll_seconds=10800, jitter_seconds=30, idle_seconds=604800
)
END = date(2025, 12, 13)
OPEN = Boleta(
    (
        BoletaRow("1", "I1", "X", Grade("90"), False, None, False),
        BoletaRow("2", "I2", "Y", None, False, None, False),
    )
)
DONE = Boleta((BoletaRow("1", "I1", "X", Grade("90"), False, None, False),))


@pytest.mark.parametrize(
    ("now", "boleta", "low", "high"),
    [
        (
            datetime(2025, 11, 1, tzinfo=UTC),
            OPEN,
            datetime(2025, 11, 22, tzinfo=UTC),
            datetime(2025, 11, 22, 3, tzinfo=UTC),
        ),
        (
            datetime(2025, 12, 1, tzinfo=UTC),
            OPEN,
            datetime(2025, 12, 1, 3, tzinfo=UTC),
            datetime(2025, 12, 1, 3, 0, 30, tzinfo=UTC),
        ),
        (
            datetime(2025, 12, 1, tzinfo=UTC),
            DONE,
            datetime(2025, 12, 8, tzinfo=UTC),
            datetime(2025, 12, 8, tzinfo=UTC),
        ),
        (
            datetime(2026, 2, 20, tzinfo=UTC),
            OPEN,
            datetime(2026, 2, 27, tzinfo=UTC),
            datetime(2026, 2, 27, tzinfo=UTC),
        ),
        (
            datetime(2025, 12, 1, tzinfo=UTC),
            None,
            datetime(2025, 12, 8, tzinfo=UTC),
            datetime(2025, 12, 8, tzinfo=UTC),
        ),
    ],
)
def test_polling_window(
    now: datetime, boleta: Boleta | None, low: datetime, high: datetime
) -> None:
    for seed in range(20):
        due = window.next_due(now, END, boleta, SETTINGS, random.Random(seed))
        assert low <= due <= high


def test_buttons_round_trip_and_forged_data_is_refused() -> None:
    for button in (
        GradesButton(kardex=True),
        GradesButton(alerts=True),
        GradesButton(alerts=False),
    ):
        assert parse_button(button_data(button)) == button
    for forged in ("cal:", "cal:a:2", "cal:k:1", "dly:h:7", "", None, "cal:a:1" * 10):
        assert parse_button(forged) is None


async def test_a_due_check_rides_a_schedule_run_login(db_url: str, siiau: SiiauSimulator) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent)
    a.workflow.add_rider(a.service.ride)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        watch = await a.store.grades.watch(USER)
        assert watch is not None and watch.due_ts is not None
        clock.now = datetime.fromtimestamp(watch.due_ts, UTC)  # the check is due now
        logins = siiau.logins[DEMO_CODE]
        await a.delivery.refresh(USER)  # a schedule run, as /hoy's refresh does
        assert siiau.logins[DEMO_CODE] == logins + 1  # one login for both reads
        assert sent.grades == ["COMPUTACION TOLERANTE A FALLAS: 95 (ordinario)"]
        watch = await a.store.grades.watch(USER)
        assert watch is not None and watch.last_outcome == "ok" and watch.due_ts is not None
        assert (
            watch.due_ts >= int(clock.now.timestamp()) + 3600
        )  # the next check moved a whole interval on
        assert await a.service.claim(int(clock.now.timestamp()), 4) == []
        await a.delivery.refresh(USER)  # not due now: the run does not ride
        assert siiau.logins[DEMO_CODE] == logins + 2 and len(sent.grades) == 1
    finally:
        await close(a)


async def test_an_outage_mid_check_loses_nothing(db_url: str, siiau: SiiauSimulator) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent, poll_seconds=10800)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        siiau.inject(
            "reset", times=4, path_contains="boleta"
        )  # every try of this check (3 retries)
        assert await due_check(a, clock) == "unavailable"
        watch = await a.store.grades.watch(USER)
        assert watch is not None and watch.due_ts is not None
        assert watch.due_ts - int(clock.now.timestamp()) == 15 * 60  # retried soon, not in 3 h
        assert sent.grades == [] and siiau.open_sessions() == []
        assert siiau.faults_served["reset"] == 4
        assert await due_check(a, clock) == "ok"
        assert sent.grades == ["COMPUTACION TOLERANTE A FALLAS: 95 (ordinario)"]
    finally:
        await close(a)


async def test_key_rotation_reseals_stored_grades_and_alerts(
    db_url: str, siiau: SiiauSimulator
) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        await a.service.check(USER)
        new = CredentialCipher.generate_key()
        rotated = await Store(a.store.engine, CredentialCipher([new, KEY])).rotate_everything()
        assert rotated["grades"] == (1, 0) and rotated["grade_alerts"] == (1, 0)
        only_new = build_stores(a.store.engine, CredentialCipher([new]))
        stored = await only_new.grades.load(USER)
        assert stored is not None and "COMPUTACION TOLERANTE A FALLAS" in stored.grades_json
    finally:
        await close(a)


async def test_alerts_turned_on_before_the_window_wait_for_it(
    db_url: str, siiau: SiiauSimulator
) -> None:
    """Turning alerts on weeks before FECHA FIN logs in to nobody until the window opens."""
    clock, sent = Clock(datetime(2025, 10, 1, tzinfo=UTC)), Recorder()
    a = await replica(db_url, siiau, clock, sent, window_days=21)
    try:
        await enrol(a, clock)  # the stored schedule ends 2025-12-13: the window opens 2025-11-22
        siiau.grades.post(DEMO_CODE, "179961", "95")
        assert await a.service.claim(int(clock.now.timestamp()) + 3600, 4) == []
        watch = await a.store.grades.watch(USER)
        assert watch is not None and watch.due_ts is not None
        assert datetime.fromtimestamp(watch.due_ts, UTC) >= datetime(2025, 11, 22, tzinfo=UTC)
        assert sent.grades == []
    finally:
        await close(a)


async def test_a_key_rotation_never_announces_a_grade_again(
    db_url: str, siiau: SiiauSimulator
) -> None:
    clock, sent = Clock(NOW), Recorder()
    a = await replica(db_url, siiau, clock, sent)
    try:
        await enrol(a, clock)
        siiau.grades.post(DEMO_CODE, "179961", "95")
        assert await due_check(a, clock) == "ok"
        await a.service.check(USER)  # seen
        siiau.grades.post(DEMO_CODE, "181002", "88")
        clock.advance(seconds=3601)
        assert await due_check(a, clock) == "ok"
        assert len(sent.grades) == 2
        new = CredentialCipher.generate_key()
        await Store(a.store.engine, CredentialCipher([new, KEY])).rotate_everything()
        b = await replica(db_url, siiau, clock, sent, keys=[new])  # the old key retired
        try:
            clock.advance(seconds=3601)
            assert await due_check(b, clock) == "ok"
            assert len(sent.grades) == 2, sent.grades
            assert await b.store.grades.counts(USER) == {"sent": 2}
        finally:
            await close(b)
    finally:
        await close(a)


def test_the_jitter_never_outgrows_a_short_poll_interval() -> None:
    """GRADES_POLL_SECONDS=2 means a check about every 2 s, not 2 s plus up to 30 s of jitter."""
    short = GradesSettings(poll_seconds=2, jitter_seconds=30)
    now = datetime(2025, 12, 1, tzinfo=UTC)
    for seed in range(20):
        due = window.next_due(now, END, OPEN, short, random.Random(seed))
        assert now + timedelta(seconds=2) <= due <= now + timedelta(seconds=2.2)
        first = window.first_due(now, END, short, random.Random(seed))
        assert now <= first <= now + timedelta(seconds=0.2)
    usual = window.next_due(now, END, OPEN, SETTINGS, random.Random(3))
    assert now + timedelta(seconds=10800) <= usual <= now + timedelta(seconds=10830)
