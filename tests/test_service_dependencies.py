"""Services, the task engine and the scheduler take what they use as arguments (an AppState, or
narrower: the SecretBox, the Config, the events channel, the session). None of them reaches for
the Flask application: its threads have no app context, and a remote runner will have no app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import semaphore

PACKAGE = Path(semaphore.__file__).parent
LAYERS = ("services", "engine", "scheduler")
# app_state() and current_app find the state through an app context; flask is the web layer's.
FORBIDDEN_NAMES = frozenset({"app_state", "current_app", "app_context", "has_app_context"})


def modules() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (PACKAGE / layer).rglob("*.py"))


def hidden_dependencies(path: Path) -> list[str]:
    """Each use of the app context or of flask in the module, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [alias.name for alias in node.names]
            if (module or "").split(".")[0] == "flask" or any(name.split(".")[0] == "flask" for name in names):
                found.append(f"{node.lineno}: imports flask")
            found.extend(f"{node.lineno}: imports {name}" for name in names if name in FORBIDDEN_NAMES)
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{node.lineno}: uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"{node.lineno}: uses .{node.attr}")
    return found


def test_every_layer_has_modules():
    assert {path.relative_to(PACKAGE).parts[0] for path in modules()} == set(LAYERS)


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_service_engine_or_scheduler_module_reaches_for_the_flask_app(path):
    assert hidden_dependencies(path) == []


def test_the_check_sees_each_way_of_reaching_the_app(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("from flask import current_app\nimport flask\nfrom semaphore.state import app_state\n"
                      "state = app_state()\nwith flask.current_app.app_context():\n    pass\n")
    assert sorted(hidden_dependencies(module)) == [
        "1: imports current_app", "1: imports flask", "2: imports flask", "3: imports app_state",
        "4: uses app_state", "5: uses .app_context", "5: uses .current_app"]
