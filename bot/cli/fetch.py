"""`python -m bot fetch`: the workflow from a terminal, printing its flow-run log."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import ExitStack
from pathlib import Path

from bot.bootstrap import build_workflow
from bot.cli import student as student_args
from bot.config import Settings
from bot.core.credentials import Credentials
from bot.core.records import FlowRun
from bot.services.errors import FlowFailed
from bot.services.runtime.workflow import ScheduleWorkflow
from bot.siiau.errors import NoSchedule, SiiauError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("fetch", help="fetch one schedule and write it as PDF")
    parser.add_argument("--code", help="student code (the demo student with --simulate)")
    parser.add_argument("--career", help="career code, e.g. INCO (asked SIIAU when omitted)")
    parser.add_argument("--cycle", help="another cycle, e.g. 202510")
    parser.add_argument("-o", "--output", default="horario.pdf", type=Path)
    parser.add_argument("--simulate", action="store_true", help="use the built-in SIIAU simulator")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_fetch(args))


async def _fetch(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        credentials = student_args.credentials(args, stack)
        if credentials is None:
            return 2
        workflow = build_workflow(Settings())
        try:
            return await _run(args, workflow, credentials)
        finally:
            await workflow.aclose()


async def _run(
    args: argparse.Namespace, workflow: ScheduleWorkflow, credentials: Credentials
) -> int:
    try:
        career = args.career
        if not career:
            verified = await workflow.verify(credentials)
            _print_run(verified.run)
            career = verified.careers[0].code
            if len(verified.careers) > 1:
                names = ", ".join(c.code for c in verified.careers)
                print(f"careers: {names}; using {career} (choose with --career)")
        result = await workflow.run(credentials, career, cycle=args.cycle, kind="cli")
    except FlowFailed as failure:
        return _failed(failure)
    _print_run(result.run)
    assert result.pdf is not None and result.schedule is not None
    args.output.write_bytes(result.pdf)
    print(f"wrote {args.output} ({len(result.pdf)} bytes, {len(result.schedule.courses)} courses)")
    return 0


def _failed(failure: FlowFailed) -> int:
    """Print the failed run and why; an error that is not SIIAU's is a bug and propagates."""
    _print_run(failure.run)
    error = failure.cause
    if isinstance(error, NoSchedule):
        print(f"no schedule: {error}")
        return 0
    if isinstance(error, SiiauError):
        print(f"failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    raise error


def _print_run(run: FlowRun) -> None:
    print(f"flow run {run.id[:8]} '{run.name}': {run.state.value} in {run.duration_ms} ms")
    for task in run.tasks:
        error = f"  {task.error_class}" if task.error_class else ""
        print(
            f"  {task.name:<8} {task.state.value:<10} {task.duration_ms:>6} ms  ×{task.attempts}{error}"
        )
