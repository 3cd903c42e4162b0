"""Command line: run (default), fetch, gen-key, rotate-keys, migrate, release-code, demo."""

from __future__ import annotations

import argparse
import sys

from bot.cli import diagnose, fetch, keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="horario-bot")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the Telegram bot (default)")
    run.set_defaults(handler=_run_bot)
    fetch.add_parser(commands)
    diagnose.add_parser(commands)
    keys.add_parsers(commands)
    demo = commands.add_parser("demo", help="scripted conversation against the simulators")
    demo.add_argument("--out", default="demo-out")
    demo.set_defaults(handler=_demo)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", _run_bot)
    return int(handler(args) or 0)


def _run_bot(_: argparse.Namespace) -> int:
    from bot.telegram.app import run

    return run()


def _demo(args: argparse.Namespace) -> int:
    from bot.cli.demo import run_demo

    return run_demo(args.out)


if __name__ == "__main__":
    sys.exit(main())
