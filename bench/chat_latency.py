"""Chat latency while SIIAU hangs: is anybody kept waiting by another student's SIIAU work?

The real bot process against the Bot API stand-in and the SIIAU simulator. SIIAU is
held (requests wait unanswered), `--hanging` students send their NIP so that their
verifications hang there, then `--users` other users send /start, `--rate` per second
(under Telegram's 30 messages/s, so the bot's own send pacing is not what is measured).
Time-to-answer runs from the stand-in receiving the /start to the reply appearing in it.
Prints figures; asserts nothing.

    .venv/bin/python bench/chat_latency.py
    .venv/bin/python bench/chat_latency.py --users 50 --hanging 10 --rate 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run as a script (`python bench/x.py`), Python puts bench/ on the path; the sibling modules
# are imported as `bench.*`, as the tests do, so the checkout's root goes on it too.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.chatbot import start_bot, stop_bot, wait
from bot.sim.botapi import BotApiStandIn, ChatMessage
from bot.sim.siiau import SiiauSimulator
from bot.sim.siiau.students import generated_student
from bot.store.crypto import CredentialCipher

TOKEN = "200000003:" + "C" * 35
FIRST_HANGING, FIRST_ASKING = 3_000_000, 4_000_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50, help="users who send /start")
    parser.add_argument("--hanging", type=int, default=10, help="registrations hanging at SIIAU")
    parser.add_argument("--rate", type=float, default=10.0, help="/start messages per second")
    args = parser.parse_args()
    students = [generated_student(i) for i in range(args.hanging)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        SiiauSimulator(students) as siiau,
        BotApiStandIn(TOKEN, sends_per_second=30) as botapi,
    ):
        env = {
            "PATH": os.environ["PATH"],
            "HOME": tmp,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": botapi.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "ENCRYPTION_KEYS": CredentialCipher.generate_key(),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/horario.db",
            "SIIAU_BASE_URL": siiau.url,
            "SIIAU_READ_TIMEOUT": "300",
            "SIIAU_MAX_CONCURRENCY": str(max(4, args.hanging)),
            "LOG_LEVEL": "WARNING",
        }
        process = start_bot(Path(tmp), env, botapi)
        try:
            hanging = {FIRST_HANGING + i: s for i, s in enumerate(students)}
            for user, student in hanging.items():
                botapi.user_says(user, "/registrar")
                botapi.wait_for_text(user, "código de estudiante")
                botapi.user_says(user, student.code)
                botapi.wait_for_text(user, "NIP")
            siiau.hold()
            for user, student in hanging.items():
                botapi.user_says(user, student.nip)
            wait(
                lambda: siiau.held() >= args.hanging, f"{args.hanging} verifications held at SIIAU"
            )

            answers: dict[int, float] = {}
            sent_at: dict[int, float] = {}

            def ask(user: int) -> None:
                message_id = botapi.user_says(user, "/start")
                sent_at[user] = next(m.at for m in botapi.chat(user) if m.message_id == message_id)
                reply: ChatMessage = botapi.wait_for_text(
                    user, "Hola", timeout=120, after=message_id
                )
                answers[user] = reply.at - sent_at[user]

            threads = []
            for i in range(args.users):
                thread = threading.Thread(target=ask, args=(FIRST_ASKING + i,))
                thread.start()
                threads.append(thread)
                time.sleep(1 / args.rate)  # arrivals spread out, as people type
            for thread in threads:
                thread.join()
            still_held = siiau.held()
            siiau.release()
            for user in hanging:
                botapi.wait_for(
                    user, lambda m: "Listo" in m.text or "carrera" in m.text, timeout=120
                )
        finally:
            stop_bot(process)
        times = list(answers.values())
        print(
            f"/start from {args.users} users at {args.rate:g}/s while {args.hanging} registrations hang "
            f"at SIIAU (still held when the last answer came: {still_held}); CPUs: {os.cpu_count()}"
        )
        print(
            f"time to answer: median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"(answered {len(times)}/{args.users})"
        )


if __name__ == "__main__":
    main()
