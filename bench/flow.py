"""Flow benchmark: raw wkhtmltopdf vs our full flow vs the seed's Prefect flow.

Same demo student, same SIIAU simulator, measured side by side in one run:
each round runs every contender once, in rotating order, so machine noise hits
them alike. Prints medians and ratios. Run: `make bench` or
`.venv/bin/python bench/flow.py --rounds 15`. The seed contender needs
`.venv-bench` (created on first use with prefect, requests, bs4, pdfkit).

`--siiau-latency 0.3` compares the login paths where SIIAU is slow, then plays new students
through the real bot (the verdict on the NIP, registration's end, the first /horario, a
returning /horario's confirmation, with SIIAU request counts); `--first-only` runs only the
latter, `--code-root /work/main` runs that bot from another checkout (a before/after).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# Run as a script (`python bench/x.py`), Python puts bench/ on the path; the sibling modules
# are imported as `bench.*`, as the tests do, so the checkout's root goes on it too.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.chatbot import start_bot, stop_bot
from bot.bootstrap import build_workflow
from bot.config import Settings
from bot.core.credentials import Credentials
from bot.services.runtime.workflow import FlowResult, ScheduleWorkflow
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.sim.siiau.students import SimStudent, demo_students
from bot.store.crypto import CredentialCipher
from bot.telegram.texts import schedule as schedule_words

ROOT = Path(__file__).resolve().parent.parent
BENCH_TOKEN = "200000004:" + "D" * 35
BENCH_VENV = ROOT / ".venv-bench"
RAW_FLAGS = [
    "--quiet",
    "--encoding",
    "UTF-8",
    "--javascript-delay",
    "0",
    "--disable-javascript",
    "--orientation",
    "Landscape",
    "-",
    "-",
]


def ensure_bench_venv() -> Path:
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        print("creating .venv-bench with prefect (first run only)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "prefect>=3,<4",
                "requests",
                "beautifulsoup4",
                "pdfkit",
            ],
            check=True,
        )
    return python


class SeedRunner:
    """The seed flow in its own process (Prefect venv), one run per request."""

    def __init__(self, python: Path, base_url: str, workdir: str) -> None:
        env = {
            **os.environ,
            "SIIAU_BASE_URL": base_url,
            "PREFECT_LOGGING_LEVEL": "ERROR",
            "PREFECT_HOME": str(Path(workdir) / "prefect-home"),
            # Prefect's throwaway API server can take longer than its 20 s default on a busy machine.
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        }
        self.process = subprocess.Popen(  # its own process group: Prefect's API server goes with it
            [str(python), str(ROOT / "bench" / "seed_flow.py"), DEMO_CODE, DEMO_NIP],
            start_new_session=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=workdir,
            env=env,
        )

    def run_once(self) -> float:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith("RESULT "):
                return float(line.split()[1])
        raise RuntimeError("seed flow process ended")

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait()


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def main(
    rounds: int, with_seed: bool, latency: float, code_root: str, first_only: bool
) -> None:
    if latency:
        if not first_only:
            await slow_siiau(rounds, with_seed, latency)
        await asyncio.to_thread(first_answers, rounds, latency, code_root)
        return
    with SiiauSimulator() as siiau, tempfile.TemporaryDirectory() as workdir:
        os.environ["SIIAU_BASE_URL"] = os.environ["SIIAU_PORTAL_URL"] = siiau.url
        os.environ["SIIAU_MAX_LOGINS_PER_HOUR"] = (
            "100000"  # the bench logs in far more than a student
        )
        workflow = build_workflow(Settings())
        credentials = Credentials(DEMO_CODE, DEMO_NIP)
        first = await workflow.run(credentials, "INCO")  # also fills the PDF cache
        assert first.schedule is not None
        html = workflow.renderer.html(first.schedule)

        async def raw() -> None:
            process = await asyncio.create_subprocess_exec(
                "wkhtmltopdf",
                *RAW_FLAGS,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            pdf, _ = await process.communicate(html.encode())
            assert pdf.startswith(b"%PDF")

        uncached = build_workflow(Settings(), pdf_cache_size=0)  # always renders

        async def ours_cold() -> None:
            assert (await uncached.run(credentials, "INCO")).pdf

        async def ours_cached() -> None:
            assert (await workflow.run(credentials, "INCO")).pdf

        contenders: dict[str, Callable[[], Awaitable[float]]] = {
            "raw wkhtmltopdf": lambda: timed(raw),
            "our flow (render)": lambda: timed(ours_cold),
            "our flow (unchanged, cached)": lambda: timed(ours_cached),
        }
        seed: SeedRunner | None = None
        if with_seed:
            seed = SeedRunner(ensure_bench_venv(), siiau.url, workdir)
            seed.run_once()  # warm-up: Prefect starts its ephemeral API on the first flow
            contenders["seed Prefect flow"] = lambda: asyncio.to_thread(seed.run_once)
        for action in contenders.values():
            await action()  # warm-up round, not counted
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for index in range(rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            for name in order:
                samples[name].append(await contenders[name]())
        if seed:
            seed.close()
        await workflow.aclose()
        await uncached.aclose()
        _report(samples, rounds, siiau)


async def slow_siiau(rounds: int, with_seed: bool, latency: float) -> None:
    """/horario where SIIAU is slow: our flow on each login path beside the seed's flow.

    Every SIIAU request waits `latency` s. A render always happens (no PDF cache), so
    the goal is p50 ≤ critical-path requests × latency + 1.2 × a bare render, where the
    critical path is every request until the schedule page arrives (the logout overlaps
    reading and rendering).
    """
    with SiiauSimulator() as siiau, tempfile.TemporaryDirectory() as workdir:
        siiau.faults.login_paths = {"portal", "direct"}
        os.environ["SIIAU_BASE_URL"] = os.environ["SIIAU_PORTAL_URL"] = siiau.url
        os.environ["SIIAU_MAX_LOGINS_PER_HOUR"] = "100000"
        credentials = Credentials(DEMO_CODE, DEMO_NIP)
        flows: dict[str, ScheduleWorkflow] = {}
        for path in ("direct", "portal"):
            os.environ["SIIAU_LOGIN"] = path
            flows[path] = build_workflow(Settings(), pdf_cache_size=0)
        critical: dict[str, int] = {}
        for path, flow in flows.items():
            before, logouts = siiau.requests, siiau.logouts
            first = await flow.run(credentials, "INCO")
            critical[path] = siiau.requests - before - (siiau.logouts - logouts)
        assert first.schedule is not None
        html = flows["direct"].renderer.html(first.schedule)

        async def raw() -> None:
            process = await asyncio.create_subprocess_exec(
                "wkhtmltopdf",
                *RAW_FLAGS,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert (await process.communicate(html.encode()))[0].startswith(b"%PDF")

        after_logout: dict[str, list[float]] = {path: [] for path in flows}

        def ours(path: str) -> Callable[[], Awaitable[float]]:
            """Time until the PDF is handed up (what the student waits for); the whole run,
            logout included, is kept beside it."""

            async def once() -> float:
                handed: list[float] = []

                async def ready(result: FlowResult) -> None:
                    assert result.pdf
                    handed.append(time.perf_counter())

                started = time.perf_counter()
                await flows[path].run(credentials, "INCO", on_ready=ready)
                after_logout[path].append(time.perf_counter() - started)
                return handed[0] - started

            return once

        chat: InstantChat | None = None
        seed: SeedRunner | None = None
        try:
            chat = InstantChat(siiau, Path(workdir))
            contenders: dict[str, Callable[[], Awaitable[float]]] = {
                "raw wkhtmltopdf (no SIIAU)": lambda: timed(raw),
                "our flow, direct login": ours("direct"),
                "our flow, Portal login": ours("portal"),
                INSTANT: lambda: asyncio.to_thread(chat.first_pdf),
            }
            if with_seed:
                seed = SeedRunner(ensure_bench_venv(), siiau.url, workdir)
                seed.run_once()
                contenders["seed Prefect flow"] = lambda: asyncio.to_thread(seed.run_once)
            siiau.faults.latency = latency
            samples: dict[str, list[float]] = {name: [] for name in contenders}
            names = list(contenders)
            for index in range(rounds):
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    samples[name].append(await contenders[name]())
        finally:  # no bot process or Prefect server outlives the bench, whatever failed
            if chat is not None:
                chat.close()
            if seed is not None:
                seed.close()
            for flow in flows.values():
                await flow.aclose()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    render = medians["raw wkhtmltopdf (no SIIAU)"]
    print(
        f"\nSIIAU at {latency:.2f} s per request; medians over {rounds} interleaved rounds ({os.cpu_count()} CPUs)"
    )
    for name, median in medians.items():
        print(f"{name:<44}{median * 1000:>9.0f} ms")
    for path, label in (("direct", "our flow, direct login"), ("portal", "our flow, Portal login")):
        goal = critical[path] * latency + 1.2 * render
        print(
            f"{label}: {critical[path]} SIIAU requests on the critical path; PDF in hand "
            f"p50 {medians[label]:.2f} s vs goal {goal:.2f} s ({critical[path]} × {latency} + 1.2 × render); "
            f"run with its logout {statistics.median(after_logout[path]):.2f} s"
        )
    print(
        f"{INSTANT}: p50 {medians[INSTANT] * 1000:.0f} ms (goal ≤ 150 ms); SIIAU's word (unchanged) "
        f"p50 {statistics.median(chat.verified) * 1000:.0f} ms"
    )
    if "seed Prefect flow" in medians:
        seed_p50 = medians["seed Prefect flow"]
        print(
            f"seed / ours (direct): {seed_p50 / medians['our flow, direct login']:.1f}×; "
            f"seed / instant /horario: {seed_p50 / medians[INSTANT]:.0f}×"
        )


INSTANT = "instant /horario: first PDF in the chat"


class InstantChat:
    """A returning student's /horario through the real bot process and the Bot API stand-in:
    from the command reaching Telegram to the first document in the chat (the saved copy);
    then the wait until the bot says SIIAU confirmed it, before the next round."""

    USER = 5_000_001

    def __init__(self, siiau: SiiauSimulator, workdir: Path) -> None:
        self.botapi = BotApiStandIn(BENCH_TOKEN, sends_per_second=30).__enter__()
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),
            "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
            "TELEGRAM_API_URL": self.botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/instant.db",
            "SIIAU_BASE_URL": siiau.url,
            "SIIAU_PORTAL_URL": siiau.url,
            "SIIAU_LOGIN": "direct",
            "SIIAU_MAX_LOGINS_PER_HOUR": "100000",
            "HORARIO_PER_MINUTE": "1000",
            "LOG_LEVEL": "WARNING",
        }
        self.process = start_bot(workdir, env, self.botapi)
        self.verified: list[float] = []
        self._say_and_wait("/registrar", "código de estudiante")
        self._say_and_wait(DEMO_CODE, "NIP")
        self._say_and_wait(DEMO_NIP, "Listo")
        # The copy every later /horario starts from (registration's own, or this run's PDF).
        asked = self.botapi.user_says(self.USER, "/horario")
        self.botapi.wait_for(
            self.USER,
            lambda m: m.text in (schedule_words.DONE, schedule_words.VERIFIED_UNCHANGED),
            after=asked,
        )

    def _say_and_wait(self, text: str, expected: str) -> int:
        asked = self.botapi.user_says(self.USER, text)
        self.botapi.wait_for(self.USER, lambda m: expected in m.text, after=asked)
        return asked

    def first_pdf(self) -> float:
        asked = self.botapi.user_says(self.USER, "/horario")
        said_at = next(m.at for m in self.botapi.chat(self.USER) if m.message_id == asked)
        document = self.botapi.wait_for(self.USER, lambda m: m.file_id is not None, after=asked)
        # The progress message is edited into its last text: time it when that text shows.
        self.botapi.wait_for(
            self.USER, lambda m: m.text == schedule_words.VERIFIED_UNCHANGED, after=asked
        )
        self.verified.append(time.monotonic() - said_at)
        return document.at - said_at

    def close(self) -> None:
        stop_bot(self.process)
        self.botapi.__exit__(None, None, None)


STAGES = (
    "registration: NIP sent → verdict «✅»",
    "registration: NIP sent → «¡Listo!»",
    "first /horario: first PDF in the chat",
    "returning /horario: SIIAU's confirmation",
)


def first_answers(rounds: int, latency: float, code_root: str) -> None:
    """What a new student waits for, through the real bot process, on each login path: the
    verdict on their NIP, the end of registration, their first /horario's PDF, and a returning
    /horario's confirmation from SIIAU; each with the SIIAU requests made until it showed.
    A new student (and Telegram user) every round. `code_root`: run the bot from another
    checkout (e.g. main's, for a before/after) with this bench and simulator."""
    results: dict[str, dict[str, list[tuple[float, int]]]] = {}
    with SiiauSimulator() as siiau, tempfile.TemporaryDirectory() as workdir:
        siiau.faults.latency = latency
        for path in ("direct", "portal"):
            siiau.faults.login_paths = {path}
            chat = NewStudents(siiau, Path(workdir) / path, path, code_root)
            try:
                chat.student(0)  # warm-up (and, where the bot learns, the learning), not counted
                results[path] = {stage: [] for stage in STAGES}
                for index in range(1, rounds + 1):
                    for stage, sample in chat.student(index).items():
                        results[path][stage].append(sample)
            finally:
                chat.close()
    where = f"the bot from {code_root}" if code_root else "this checkout"
    print(
        f"\nA new student, SIIAU at {latency:.2f} s per request, {where}: medians over {rounds} students "
        f"({os.cpu_count()} CPUs); requests: SIIAU requests until the message showed"
    )
    print(f"{'stage':<46}{'direct':>20}{'Portal':>20}")
    for stage in STAGES:
        cells = []
        for path in ("direct", "portal"):
            samples = results[path][stage]
            seconds = statistics.median(t for t, _ in samples)
            requests = statistics.median(n for _, n in samples)
            cells.append(f"{seconds:.2f} s, {requests:g} req")
        print(f"{stage:<46}{cells[0]:>20}{cells[1]:>20}")
    for path in ("direct", "portal"):
        seconds = statistics.median(t for t, _ in results[path][STAGES[0]])
        needed = VERDICT_REQUESTS[path]
        print(
            f"verdict goal, {path}: p50 {seconds:.2f} s vs {needed} × {latency} + 0.3 = "
            f"{needed * latency + 0.3:.2f} s"
        )


# Requests until SIIAU's verdict: the Portal's login form and its POST; the direct path's three steps.
VERDICT_REQUESTS = {"portal": 2, "direct": 3}


class NewStudents:
    """New students registering through the real bot process, one after another."""

    USER = 6_000_000

    def __init__(self, siiau: SiiauSimulator, workdir: Path, path: str, code_root: str) -> None:
        workdir.mkdir(parents=True)
        self.siiau = siiau
        self.botapi = BotApiStandIn(BENCH_TOKEN, sends_per_second=30).__enter__()
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),
            "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
            "TELEGRAM_API_URL": self.botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/first.db",
            "SIIAU_BASE_URL": siiau.url,
            "SIIAU_PORTAL_URL": siiau.url,
            "SIIAU_LOGIN": path,
            "SIIAU_MAX_LOGINS_PER_HOUR": "100000",
            "HORARIO_PER_MINUTE": "1000",
            "LOG_LEVEL": "WARNING",
            **({"PYTHONPATH": code_root} if code_root else {}),
        }
        self.process = start_bot(workdir, env, self.botapi)
        self._demo = demo_students()[0]

    def student(self, index: int) -> dict[str, tuple[float, int]]:
        user, code, nip = self.USER + index, f"3{index:08d}", f"nip{index}"
        self.siiau.add_student(
            SimStudent(code, nip, f"{7_000_000 + index}", self._demo.name, self._demo.careers)
        )
        self._say(user, "/registrar", "código de estudiante")
        self._say(user, code, "NIP")
        samples: dict[str, tuple[float, int]] = {}
        said, before = self._said(user, nip)
        verdict = self._until(user, lambda m: m.text.startswith("✅"), after=said.message_id)
        samples[STAGES[0]] = (time.monotonic() - said.at, self.siiau.requests - before)
        self._until(
            user, lambda m: m.message_id == verdict.message_id and "Listo" in m.text, after=0
        )
        samples[STAGES[1]] = (time.monotonic() - said.at, self.siiau.requests - before)
        said, before = self._said(user, "/horario")
        document = self.botapi.wait_for(
            user, lambda m: m.file_id is not None, after=said.message_id
        )
        samples[STAGES[2]] = (document.at - said.at, self.siiau.requests - before)
        self.botapi.wait_for(
            user,
            lambda m: m.text in (schedule_words.DONE, schedule_words.VERIFIED_UNCHANGED),
            after=said.message_id,
        )
        said, before = self._said(user, "/horario")
        self._until(
            user, lambda m: m.text == schedule_words.VERIFIED_UNCHANGED, after=said.message_id
        )
        samples[STAGES[3]] = (time.monotonic() - said.at, self.siiau.requests - before)
        return samples

    def _until(
        self, user: int, predicate: Callable[[ChatMessage], bool], after: int
    ) -> ChatMessage:
        """Like `wait_for`, but sees an edit within milliseconds (the stand-in signals new
        messages, not edits), so an edited message is timed when its text shows."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for message in self.botapi.bot_messages(user):
                if message.message_id > after and predicate(message):
                    return message
            time.sleep(0.002)
        raise TimeoutError(f"chat {user}: no matching message")

    def _said(self, user: int, text: str) -> tuple[ChatMessage, int]:
        before = self.siiau.requests
        asked = self.botapi.user_says(user, text)
        return next(m for m in self.botapi.chat(user) if m.message_id == asked), before

    def _say(self, user: int, text: str, expected: str) -> None:
        asked = self.botapi.user_says(user, text)
        self.botapi.wait_for(user, lambda m: expected in m.text, after=asked)

    def close(self) -> None:
        stop_bot(self.process)
        self.botapi.__exit__(None, None, None)


def _report(samples: dict[str, list[float]], rounds: int, siiau: SiiauSimulator) -> None:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    raw = medians["raw wkhtmltopdf"]
    ours = medians["our flow (render)"]
    print(f"\nmedians over {rounds} interleaved rounds ({os.cpu_count()} CPUs)")
    print(f"{'contender':<32}{'median':>10}{'vs raw':>10}")
    for name, median in medians.items():
        print(f"{name:<32}{median * 1000:>8.1f}ms{median / raw:>9.2f}×")
    print(f"\nour flow / raw wkhtmltopdf: {ours / raw:.2f}× (goal ≤ 1.20×)")
    if "seed Prefect flow" in medians:
        print(
            f"seed Prefect flow / our flow: {medians['seed Prefect flow'] / ours:.1f}× (goal ≥ 5×)"
        )
    print(
        f"logins that found the student's previous session still open: {siiau.overlapping_logins} "
        "(the seed never logs out; ours always does)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-seed", action="store_true", help="skip the Prefect contender")
    parser.add_argument(
        "--siiau-latency",
        type=float,
        default=0.0,
        help="seconds per SIIAU request: compare login paths and the seed where SIIAU is slow",
    )
    parser.add_argument(
        "--code-root",
        default="",
        help="with --siiau-latency: run the new-student bot from this checkout (a before/after)",
    )
    parser.add_argument(
        "--first-only",
        action="store_true",
        help="with --siiau-latency: only the new student's answers (registration, first /horario)",
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.rounds, not args.no_seed, args.siiau_latency, args.code_root, args.first_only)
    )
