"""The plugin is found through its real entry point, loads, and is cheap to import."""

from importlib_metadata import entry_points

from semaphore.plugin_testing import imported_top_level_modules, load_installed_plugin


def test_found_through_its_entry_point():
    (ep,) = entry_points(group="semaphore", name="notify_telegram")
    assert ep.value == "semaphore_notify_telegram"
    assert ep.dist is not None and ep.dist.name == "semaphore-notify-telegram"


def test_loads_through_the_plugin_manager():
    info = load_installed_plugin("notify_telegram")
    assert (info.status, info.error) == ("loaded", None)
    assert (info.distribution, info.version) == ("semaphore-notify-telegram", "0.1.0")
    assert info.hooks == ["register_notifiers", "register_settings"]


def test_import_is_cheap():
    heavy = {"httpx", "requests", "telegram"}
    assert imported_top_level_modules("semaphore_notify_telegram") & heavy == set()
