"""Loading the configuration: defaults, then config.json, then the environment -- for the core and
for every installed plugin that declares settings.

A key of config.json that neither the core nor a loaded plugin declares (a typo, or the key of a
plugin that is not installed or not enabled) is logged as a warning and ignored, never an error.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from semaphore.config.core import Config
from semaphore.config.fields import setting_env_names, top_level_keys
from semaphore.config.plugin_sections import PluginSections, installed_settings
from semaphore.config.sections import apply_environment, apply_mapping, fill_empty_defaults
from semaphore.config.validation import validate
from semaphore.errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_SEARCH_PATHS = ("./config.json", "/usr/local/etc/semaphore/config.json", "/etc/semaphore/config.json")
ENV_PREFIX = "SEMAPHORE_"


def load_config(path: str | None = None, *, no_config: bool = False,
                environ: Mapping[str, str] | None = None) -> Config:
    """Build the Config: defaults, then the file (unless ``no_config``), then the environment;
    the settings of the installed plugins (as SEMAPHORE_PLUGINS and SEMAPHORE_DISABLE_PLUGINS
    choose them) are loaded and checked too."""
    env = {name: value for name, value in (os.environ if environ is None else environ).items()
           if name.startswith(ENV_PREFIX)}
    data: dict[str, Any] = {}
    if not no_config:
        config_file = find_config_file(path, env)
        if config_file:
            data = read_json_object(config_file)
    core_keys = top_level_keys(Config)
    config = Config(plugin_sections=PluginSections(
        {key: value for key, value in data.items() if key not in core_keys}, env))
    apply_mapping(config, {key: value for key, value in data.items() if key in core_keys}, prefix="")
    if not data.get("dialect"):
        config.dialect = _dialect_of_blocks(data) or config.dialect
    apply_environment(config, env)
    fill_empty_defaults(config)
    validate(config)
    config.plugin_sections.load(installed_settings(allow=config.plugins, deny=config.disable_plugins))
    for key in config.plugin_sections.unclaimed_keys():
        log.warning("config: unknown key %s ignored (no setting of the core or of a loaded plugin)", key)
    return config


def default_config() -> Config:
    """The defaults of the core and of every installed plugin, as `semaphore setup` starts from them."""
    return load_config(no_config=True, environ={})


def find_config_file(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    candidate = explicit or environ.get("SEMAPHORE_CONFIG_PATH")
    if candidate:
        path = Path(candidate)
        if path.is_dir():
            path = path / "config.json"
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    for name in CONFIG_SEARCH_PATHS:
        if Path(name).is_file():
            return Path(name)
    return None


def read_json_object(path: Path, what: str = "config file") -> dict[str, Any]:
    """A JSON file whose top level must be an object; any problem is a ConfigError naming it."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path}: top level must be a JSON object")
    return data


def resolve_file_variables(env: dict[str, str]) -> dict[str, str]:
    """SEMAPHORE_X_FILE=path gives SEMAPHORE_X the file's content; setting both is an error. For
    variables that are no settings (SEMAPHORE_ADMIN_PASSWORD, ...); settings read their ``_FILE``
    forms as they are loaded.

    Variables that are themselves settings (SEMAPHORE_RUNNER_TOKEN_FILE, ...) keep their meaning.
    """
    own = setting_env_names(Config)
    for name in [n for n in env if n.startswith(ENV_PREFIX) and n.endswith("_FILE") and n not in own]:
        target = name[: -len("_FILE")]
        if env.get(target):
            raise ConfigError(f"both {target} and {name} are set; use one of them")
        try:
            env[target] = Path(env[name]).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {env[name]}: {exc.strerror}") from exc
        del env[name]
    return env


def _dialect_of_blocks(data: Mapping[str, Any]) -> str | None:
    """As the original: without a dialect, the first database block with a host decides."""
    for name in ("mysql", "bolt", "postgres"):
        block = data.get(name)
        if isinstance(block, dict) and block.get("host"):
            return name
    return None
