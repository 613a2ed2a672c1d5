"""register_notifiers: a plugin's alert channel is registered under its channel name."""

from __future__ import annotations

import pytest

from semaphore import Alert, Notifier, hookimpl
from semaphore.errors import PluginError


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class Pager(Notifier):
    channel = "pager"

    def __init__(self):
        self.sent: list[Alert] = []

    def enabled(self, config):
        return True

    def send(self, alert, config):
        self.sent.append(alert)


class PagerPlugin:
    @hookimpl
    def register_notifiers(self, register):
        register(Pager())


def test_hook_register_notifiers(plugin_app):
    app = plugin_app(pager=PagerPlugin())
    notifier = app.extensions["semaphore"].registry.notifiers["pager"]
    assert isinstance(notifier, Pager) and notifier.plugin == "pager"


def test_two_notifiers_for_one_channel_are_refused(plugin_app):
    class SecondPager:
        @hookimpl
        def register_notifiers(self, register):
            register(Pager())

    with pytest.raises(PluginError, match="notifier 'pager' is already registered by plugin 'pager'"):
        plugin_app(pager=PagerPlugin(), second=SecondPager())
