"""Who may import whom in `bot/`, read from the source with `ast` (docs/architecture.md, "Layers").

Every import counts: at the top of a module, inside a function, under `TYPE_CHECKING`, relative
or absolute, `import bot.x` or `from bot import x`. A rule broken anywhere names the file and the
line, so a new shortcut across layers fails here instead of in review.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

# The packages (or top-level modules) of `bot` each layer must never import. Imports point down
# only: core knows nothing of the rest; the store knows core; the adapters never reach the
# services or the chat layer; the services never reach the chat layer; and the chat layer knows
# errors and data through the services only (issue 17.4), never an adapter or the store.
UPPER = {"services", "telegram", "feed", "ops", "bootstrap", "cli", "__main__"}
FORBIDDEN: dict[str, set[str]] = {
    "core": {"store", "schedule", "siiau", "pdf", *UPPER},
    "store": {"schedule", "siiau", "pdf", *UPPER},
    "schedule": {"siiau", "pdf", *UPPER},
    "siiau": UPPER,
    "pdf": UPPER,
    "services": UPPER - {"services"},
    "telegram": {"siiau", "pdf", "store"},
}


def _module_of(path: Path) -> tuple[str, ...]:
    """bot/telegram/handlers/cupos.py → ("bot", "telegram", "handlers", "cupos")."""
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(
    source: str, module: tuple[str, ...], is_package: bool
) -> list[tuple[str, int]]:
    """Every module `source` imports, dotted and absolute, with its line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module if is_package else module[:-1]
                base = package[: len(package) - (node.level - 1)]
                target = ".".join((*base, *([node.module] if node.module else [])))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # `from bot import siiau` imports the package `bot.siiau`.
            found.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names)
    return found


def _violations(folder: Path, refused: Callable[[str], bool]) -> list[str]:
    """Each import statement under `folder` of a module `refused` names, once."""
    broken: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        module = _module_of(path)
        for target, line in imported_modules(path.read_text(), module, path.name == "__init__.py"):
            if target.startswith("bot.") and refused(target):
                where = f"{path.relative_to(BOT.parent)}:{line}"
                broken.setdefault(where, f"{where} imports {target}")
    return list(broken.values())


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_lies_below_it(layer: str) -> None:
    assert (BOT / layer).is_dir(), f"bot/{layer} is gone: update FORBIDDEN"
    broken = _violations(BOT / layer, lambda target: target.split(".")[1] in FORBIDDEN[layer])
    assert not broken, "\n".join(broken)


def test_texts_know_only_models_plain_data_and_service_types() -> None:
    """Wording depends on what it words, never on how the chat layer sends it (issue 17.3)."""
    allowed = ("bot.schedule", "bot.core", "bot.services", "bot.telegram.texts")

    def refused(target: str) -> bool:
        return not any(target == name or target.startswith(f"{name}.") for name in allowed)

    broken = _violations(BOT / "telegram" / "texts", refused)
    assert not broken, "\n".join(broken)


def test_the_walker_sees_every_form_of_import() -> None:
    """The rule is only as good as the walker: each way of writing an import is caught."""
    source = (
        "from __future__ import annotations\n"
        "import bot.siiau.errors\n"
        "from bot import store\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.pdf.renderer import PdfRenderer\n"
        "def later() -> None:\n"
        "    from ...siiau.offer import OfferSection\n"
    )
    found = {
        target
        for target, _ in imported_modules(source, ("bot", "telegram", "handlers", "x"), False)
    }
    assert {"bot.siiau.errors", "bot.store", "bot.pdf.renderer", "bot.siiau.offer"} <= found
    package = {
        target for target, _ in imported_modules("from . import texts\n", ("bot", "telegram"), True)
    }
    assert "bot.telegram.texts" in package


def _feature_edges() -> dict[str, set[str]]:
    """Which sub-package of `services/` imports which other one (top-level modules excluded)."""
    services = BOT / "services"
    edges: dict[str, set[str]] = {}
    for path in sorted(services.rglob("*.py")):
        module = _module_of(path)
        if len(module) < 4:  # services/errors.py, bundle.py, __init__.py
            continue
        imported = imported_modules(path.read_text(), module, path.name == "__init__.py")
        for target, _ in imported:
            parts = target.split(".")
            is_sub_package = (services / parts[2]).is_dir() if len(parts) > 2 else False
            if parts[:2] == ["bot", "services"] and is_sub_package and parts[2] != module[2]:
                edges.setdefault(module[2], set()).add(parts[2])
    return edges


def test_the_services_runtime_imports_no_feature() -> None:
    """What every feature shares (issue 17.8) must not depend on any one feature."""
    assert (BOT / "services" / "runtime").is_dir()
    assert _feature_edges().get("runtime", set()) == set()


def test_service_features_import_each_other_without_a_circle() -> None:
    edges = _feature_edges()
    assert edges, "the walker found no import between service packages: is it still looking?"

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in edges.get(start, set())
        )

    circles = sorted(package for package in edges if reaches(package, package))
    assert not circles, f"service packages in a circle: {circles} ({edges})"
