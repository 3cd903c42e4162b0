"""What the student-facing CLI commands (`fetch`, `diagnose`) share: whose credentials,
and, with `--simulate`, the built-in SIIAU simulator standing in for SIIAU."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import Namespace
from contextlib import ExitStack

from bot.core.credentials import Credentials


def credentials(args: Namespace, stack: ExitStack) -> Credentials | None:
    """The code from `--code` and the NIP from `SIIAU_NIP` or a prompt (never an argument).

    With `--simulate`, starts the simulator for the length of `stack` and points the
    settings at it; the demo student is the default. None (after saying why) when no code.
    """
    if args.simulate:
        from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator

        simulator = stack.enter_context(SiiauSimulator())
        os.environ["SIIAU_BASE_URL"] = os.environ["SIIAU_PORTAL_URL"] = simulator.url
        return Credentials(args.code or DEMO_CODE, os.environ.get("SIIAU_NIP") or DEMO_NIP)
    if not args.code:
        print("--code is required (or use --simulate)", file=sys.stderr)
        return None
    return Credentials(args.code, os.environ.get("SIIAU_NIP") or getpass.getpass("NIP: "))
