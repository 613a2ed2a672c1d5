"""The plugin documentation cannot drift from the code: docs/plugins.md is generated from the
hookspecs and interfaces, every hook is documented and tested, and the code shown in
docs/writing-plugins.md is the real code of the files it names."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from semaphore.docgen.plugins import hook_functions, parse_docstring, render

ROOT = Path(__file__).resolve().parents[1]
HOOK_NAMES = [fn.__name__ for fn in hook_functions()]
# A fenced block right after "<!-- file: PATH -->" is that whole file; after "<!-- from: PATH -->"
# it is a run of consecutive lines of that file.
SOURCED_BLOCK = re.compile(r"<!-- (?P<kind>file|from): (?P<path>\S+) -->\n```[\w-]*\n(?P<code>.*?)```", re.S)


def test_committed_plugin_docs_are_generated():
    committed = (ROOT / "docs" / "plugins.md").read_text()
    assert committed == render(), "run: python -m semaphore.docgen.plugins > docs/plugins.md"


@pytest.mark.parametrize("hook", hook_functions(), ids=HOOK_NAMES)
def test_every_hook_has_a_docstring_with_every_argument(hook):
    doc = parse_docstring(hook.__doc__)
    assert any(line.strip() for line in doc.text), f"{hook.__name__} has no description"
    assert list(doc.params) == list(inspect.signature(hook).parameters), f"{hook.__name__}: :param: per argument"
    assert all(text.strip() for text in doc.params.values())


def test_every_hook_has_a_test():
    sources = "\n".join(path.read_text() for path in ROOT.glob("tests/**/*.py"))
    untested = [name for name in HOOK_NAMES if not re.search(rf"^def test_hook_{name}\(", sources, re.M)]
    assert untested == [], "write a test function named test_hook_<hook name> under tests/"


def test_every_hook_and_component_is_in_the_docs():
    page = render()
    for name in HOOK_NAMES:
        assert f"### {name}\n" in page
    for name in ("Executor", "Notifier", "AuthBackend", "IntegrationMatcher", "IntegrationExtractor",
                 "IntegrationAuth", "Alert", "Identity", "AuthContext", "WebhookRequest"):
        assert f"### {name}\n" in page


def sourced_blocks() -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / "writing-plugins.md").read_text()
    return [(m["kind"], m["path"], m["code"]) for m in SOURCED_BLOCK.finditer(text)]


def test_writing_plugins_shows_the_example_plugin():
    paths = {path for _, path, _ in BLOCKS}
    assert {"examples/hello/pyproject.toml", "examples/hello/semaphore_hello/__init__.py",
            "tests/test_example_plugin.py"} <= paths


BLOCKS = sourced_blocks()


@pytest.mark.parametrize(("kind", "path", "code"), BLOCKS, ids=[f"{path}#{i}" for i, (_, path, _) in enumerate(BLOCKS)])
def test_code_in_writing_plugins_is_the_real_file_content(kind, path, code):
    content = (ROOT / path).read_text()
    if kind == "file":
        assert code == content, f"the block marked as {path} differs from the file"
    else:
        assert f"\n{code}" in f"\n{content}", f"the block marked as from {path} is not a run of its lines"
