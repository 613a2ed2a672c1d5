"""One typed configuration from config.json, SEMAPHORE_* environment variables and defaults.

Order of precedence (lowest first): defaults, config.json, environment. Every setting is a
dataclass field whose metadata names its environment variable and explains it; the loader, the
validation and docs/configuration.md are all driven by those fields, so they cannot drift apart.
Names of keys and variables are the original Semaphore's.

- :mod:`~semaphore.config.fields`: declaring a setting (:func:`setting`) and walking the fields;
- :mod:`~semaphore.config.values`: typed values from JSON and from variables' text;
- :mod:`~semaphore.config.core`: the core's settings (:class:`Config` and its blocks);
- :mod:`~semaphore.config.plugin_sections`: the settings plugins declare, kept beside the core's;
- :mod:`~semaphore.config.sections`: filling, checking and showing one settings dataclass;
- :mod:`~semaphore.config.validation`: the core's rules across settings;
- :mod:`~semaphore.config.loading`: finding config.json and loading it all.
"""

from semaphore.config.core import (
    DIALECT_ALIASES,
    DIALECTS,
    AuthConfig,
    Config,
    DbConfig,
    HaConfig,
    HaRedisConfig,
    RunnerConfig,
    RunnersConfig,
    ScheduleConfig,
    TotpConfig,
    default_data_dir,
    to_json_dict,
)
from semaphore.config.fields import iter_settings, setting, setting_env_names
from semaphore.config.loading import (
    CONFIG_SEARCH_PATHS,
    default_config,
    find_config_file,
    load_config,
    read_json_object,
    resolve_file_variables,
)
from semaphore.config.plugin_sections import PluginSections, SettingsDeclaration, installed_settings
from semaphore.config.validation import validate

__all__ = [
    "CONFIG_SEARCH_PATHS", "DIALECTS", "DIALECT_ALIASES", "AuthConfig", "Config", "DbConfig", "HaConfig",
    "HaRedisConfig", "PluginSections",
    "RunnerConfig", "RunnersConfig", "ScheduleConfig", "SettingsDeclaration", "TotpConfig", "default_config",
    "default_data_dir",
    "find_config_file", "installed_settings", "iter_settings", "load_config", "read_json_object",
    "resolve_file_variables", "setting", "setting_env_names", "to_json_dict", "validate",
]
