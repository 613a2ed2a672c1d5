"""What each inventory type's text must look like.

The checks refuse content the tool would certainly reject, and nothing more: Ansible tries several
parsers on a static inventory, so a static inventory that is not INI but is YAML or JSON is fine.
Messages give line numbers, never the content (inventories may hold passwords).
"""

from __future__ import annotations

import posixpath
import re
import shlex

import yaml

from semaphore.errors import ValidationError

INVENTORY_TYPES = ("static", "static-yaml", "file", "terraform-workspace", "tofu-workspace")

# Ansible's INI plugin: [group], [group:vars], [group:children], optionally followed by a comment.
SECTION = re.compile(r"\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?")
SECTION_KINDS = (None, "vars", "children")
# Terraform accepts a workspace name only if it needs no escaping in a URL path segment.
WORKSPACE = re.compile(r"[A-Za-z0-9\-._~$&+:=@]+")
# PyYAML's scanner slows down quadratically with flow nesting ([[[...): refuse absurd depths up front.
MAX_FLOW_DEPTH = 64


def _fail(message: str) -> ValidationError:
    return ValidationError(message, field="inventory")


def ini_problem(text: str) -> str | None:
    """The first reason Ansible's INI parser would refuse ``text``, or None."""
    kind: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            match = SECTION.fullmatch(line)
            if match is None:
                return f"line {number}: invalid section header"
            kind = match.group(2)
            if kind not in SECTION_KINDS:
                return f"line {number}: unknown section type (use :vars or :children)"
            continue
        if kind == "vars":
            if "=" not in line:
                return f"line {number}: expected key=value in a :vars section"
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            return f"line {number}: unbalanced quotes"
        if kind == "children":
            if len(tokens) > 1:
                return f"line {number}: expected one group name in a :children section"
        elif any("=" not in token for token in tokens[1:]):
            return f"line {number}: expected key=value host variables after the host name"
    return None


def _flow_depth(text: str) -> int:
    """The deepest nesting of [ and { (quotes ignored: an upper bound is all we need)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    return deepest


def _yaml_mapping(text: str) -> tuple[bool, str | None]:
    """(is a mapping, the parse error if any)."""
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        return False, "nested too deeply"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return False, f"line {mark.line + 1}: not valid YAML" if mark is not None else "not valid YAML"
    except RecursionError:  # the pure-Python parser recurses once per nesting level
        return False, "nested too deeply"
    return isinstance(data, dict), None


def check_static(text: str) -> None:
    problem = ini_problem(text)
    if problem is not None and not _yaml_mapping(text)[0]:
        raise _fail(f"is not an INI inventory ({problem}) nor a YAML/JSON one")


def check_static_yaml(text: str) -> None:
    is_mapping, error = _yaml_mapping(text)
    if error is not None:
        raise _fail(error)
    if not is_mapping:
        raise _fail("must be a YAML mapping of groups (e.g. all: {hosts: ...})")


def check_file_path(path: str) -> None:
    """A path relative to the repository's root that stays inside it."""
    if not path.strip():
        raise _fail("required: the inventory file's path in the repository")
    if re.search(r"[\x00-\x1f\x7f]", path):
        raise _fail("must not contain control characters")
    if path.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", path):
        raise _fail("must be a path relative to the repository root")
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal == ".." or normal.startswith("../"):
        raise _fail("must stay inside the repository (no escaping with ..)")


def check_workspace(name: str) -> None:
    if not WORKSPACE.fullmatch(name):
        raise _fail("must be a workspace name (letters, digits and -._~$&+:=@, no spaces or slashes)")


CHECKS = {
    "static": check_static,
    "static-yaml": check_static_yaml,
    "file": check_file_path,
    "terraform-workspace": check_workspace,
    "tofu-workspace": check_workspace,
}


def check_inventory(inventory_type: str, text: str) -> None:
    CHECKS[inventory_type](text)
