"""The plugin documentation cannot drift from the code: docs/plugins.md is generated from the
hookspecs and interfaces, every hook is documented and tested, and the code shown in
docs/writing-plugins.md is the real code of the files it names and lists every name of the front door."""

from __future__ import annotations

import importlib
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


FRONT_DOOR = ["semaphore", "semaphore.plugin_api.errors", "semaphore.plugin_api.executors",
              "semaphore.plugin_api.alerts", "semaphore.plugin_api.claims", "semaphore.plugin_api.identity",
              "semaphore.plugin_api.settings", "semaphore.plugin_api.web", "semaphore.plugin_testing"]


def test_front_door_lists_every_module_of_the_plugin_api():
    package = ROOT / "core" / "semaphore" / "plugin_api"
    modules = {f"semaphore.plugin_api.{path.stem}" for path in package.glob("*.py") if path.stem != "__init__"}
    assert modules == {name for name in FRONT_DOOR if name.startswith("semaphore.plugin_api.")}


def listing_of(module_name: str) -> str:
    """The part of docs/writing-plugins.md that lists a front-door module's names: its paragraph in
    section 2, or for the testing helpers the table of section 9."""
    text = (ROOT / "docs" / "writing-plugins.md").read_text()
    start = "## 9. Testing" if module_name == "semaphore.plugin_testing" else f"**`{module_name}`**"
    section = text[text.index(start):]
    ends = [section.find(end, 1) for end in ("\n**`", "\n## ")]
    return section[:min(end for end in ends if end > 0)]


@pytest.mark.parametrize("module_name", FRONT_DOOR)
def test_writing_plugins_lists_every_name_of_the_front_door(module_name):
    listed = set(re.findall(r"`(\w+)[`(]", listing_of(module_name)))
    missing = set(importlib.import_module(module_name).__all__) - listed
    assert not missing, f"list {sorted(missing)} of {module_name} in docs/writing-plugins.md"
