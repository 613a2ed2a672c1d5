"""register_settings: a plugin declares its own settings, read from config.json and the
environment like the core's, checked at start, masked when shown, and handed back by
``config.plugin_settings``."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from semaphore import hookimpl
from semaphore.config import load_config
from semaphore.errors import ConfigError, PluginError
from semaphore.plugin_api.settings import setting
from semaphore.testing import create_app_with_plugins, make_config


@pytest.fixture
def dialect():
    return "sqlite"  # settings do not depend on the database


@dataclass
class GreeterSettings:
    greeter_name: str = setting("world", "SEMAPHORE_GREETER_NAME", "Who is greeted.")
    greeter_times: int = setting(1, "SEMAPHORE_GREETER_TIMES", "How often.")
    greeter_token: str = setting("", "SEMAPHORE_GREETER_TOKEN", "Token of the greeting service.", secret=True)


class GreeterPlugin:
    @hookimpl
    def register_settings(self, register):
        register(GreeterSettings)


def declaring(settings_class):
    class Plugin:
        @hookimpl
        def register_settings(self, register):
            register(settings_class)
    return Plugin()


def test_hook_register_settings(database_env, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"greeter_name": "Ann", "greeter_times": 2}))
    config = load_config(str(tmp_path / "config.json"),
                         environ={**database_env, "SEMAPHORE_GREETER_TIMES": "3", "SEMAPHORE_GREETER_TOKEN": "t0k"})
    app = create_app_with_plugins(config, {"greeter": GreeterPlugin()})
    state = app.extensions["semaphore"]
    settings = state.config.plugin_settings(GreeterSettings)
    assert (settings.greeter_name, settings.greeter_times, settings.greeter_token) == ("Ann", 3, "t0k")
    assert [(d.plugin, d.settings_class) for d in state.registry.settings] == [("greeter", GreeterSettings)]
    public = state.config.public()
    assert public["greeter_token"] == "********" and public["greeter_name"] == "Ann"
    state.db.dispose()


def test_a_bad_value_stops_the_start_naming_the_variable(database_env, tmp_path):
    config = make_config(tmp_path, {**database_env, "SEMAPHORE_GREETER_TIMES": "often"})
    with pytest.raises(ConfigError, match="SEMAPHORE_GREETER_TIMES: expected a whole number"):
        create_app_with_plugins(config, {"greeter": GreeterPlugin()})


@pytest.mark.parametrize(("settings_class", "message"), [
    (GreeterSettings(), "register_settings: expected a dataclass"),
    (dataclass(type("PortSettings", (), {"__annotations__": {"port": str}, "port": setting(":1", "SEMAPHORE_X")})),
     "setting 'port' is already declared by the core"),
])
def test_what_cannot_be_a_plugins_settings_is_refused(config, settings_class, message):
    with pytest.raises(PluginError, match=message):
        create_app_with_plugins(config, {"odd": declaring(settings_class)})


def test_two_plugins_cannot_declare_one_key(config):
    with pytest.raises(PluginError, match="setting 'greeter_name' is already declared by plugin 'greeter'"):
        create_app_with_plugins(config, {"greeter": GreeterPlugin(), "copycat": declaring(GreeterSettings)})
