"""The import contracts of pyproject.toml ([tool.importlinter]) hold: the layers (web and API above
the services, the services above the database), the engine below the HTTP surface, and plugins
that import the core only through its front door (`semaphore`, `semaphore.plugin_api`).

`lint-imports` reads the installed packages: the core and every plugin are installed editable
(`make install`), so it sees the working tree.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import semaphore

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}
FRONT_DOOR = CONTRACTS["plugins-through-the-front-door"]
#: What a plugin's own code may import from the core besides the package root.
FRONT_DOOR_MODULES = {"plugin_api"}


def lint_imports(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = str(Path(sys.executable).with_name("lint-imports"))
    return subprocess.run([command, "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env, check=False)


def test_the_import_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_plugin_package_is_held_to_the_contracts():
    packages = {path.parent.name for path in ROOT.glob("*/*/semaphore_*/__init__.py")
                if path.parts[-4] in ("plugins", "examples")}
    assert packages, "no plugin packages found"
    assert packages <= set(CONFIG["root_packages"])
    assert set(FRONT_DOOR["source_modules"]) == packages
    assert set(CONTRACTS["plugins-independent"]["modules"]) == packages


def test_every_core_module_but_the_front_door_is_forbidden_to_plugins():
    internal = {f"semaphore.{module.name}" for module in pkgutil.iter_modules(semaphore.__path__)
                if module.name not in FRONT_DOOR_MODULES}
    missing = internal - set(FRONT_DOOR["forbidden_modules"])
    assert not missing, f"add to forbidden_modules of plugins-through-the-front-door: {sorted(missing)}"


def front_door_contract_for(package: str) -> str:
    """The front-door contract of pyproject.toml, applied to ``package`` only (in INI form)."""
    def listed(values: list[str]) -> str:
        return "".join(f"\n    {value}" for value in values)

    return (f"[importlinter]\nroot_packages ={listed(['semaphore', package])}\n\n"
            f"[importlinter:contract:front-door]\nname = {FRONT_DOOR['name']}\ntype = forbidden\n"
            f"allow_indirect_imports = {FRONT_DOOR['allow_indirect_imports']}\n"
            f"source_modules ={listed([package])}\nforbidden_modules ={listed(FRONT_DOOR['forbidden_modules'])}\n")


def lint_plugin(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Runs the front-door contract over a plugin package whose ``__init__.py`` is ``source``."""
    package = tmp_path / "semaphore_contract_probe"
    package.mkdir()
    (package / "__init__.py").write_text(source)
    config = tmp_path / "contracts.ini"
    config.write_text(front_door_contract_for(package.name))
    return lint_imports("--config", str(config), env={**os.environ, "PYTHONPATH": str(tmp_path)})


def test_a_plugin_that_imports_through_the_front_door_keeps_the_contract(tmp_path):
    result = lint_plugin(tmp_path, "from semaphore import Executor, hookimpl\n"
                                   "from semaphore.plugin_api.identity import user_for_identity\n")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_plugin_that_imports_a_service_breaks_the_contract(tmp_path):
    result = lint_plugin(tmp_path, "def log_in():\n    from semaphore.services.login import user_for_identity\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "semaphore_contract_probe is not allowed to import semaphore.services" in result.stdout


def test_plugins_reach_the_application_state_only_through_the_front_door():
    # An attribute path is no import, so the contracts cannot see it: server_config(app) is the way.
    reaching_in = [path.relative_to(ROOT) for package in FRONT_DOOR["source_modules"]
                   for path in plugin_sources(package) if 'extensions["semaphore"]' in path.read_text()]
    assert reaching_in == []


def plugin_sources(package: str) -> list[Path]:
    (directory,) = [*ROOT.glob(f"plugins/*/{package}"), *ROOT.glob(f"examples/*/{package}")]
    return sorted(directory.rglob("*.py"))
