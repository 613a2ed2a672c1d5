"""The plugin is found through its real entry point, loads, and is cheap to import."""

from importlib_metadata import entry_points

from semaphore.plugin_testing import imported_top_level_modules, load_installed_plugin


def test_found_through_its_entry_point():
    (ep,) = entry_points(group="semaphore", name="notify_teams")
    assert ep.value == "semaphore_notify_teams"
    assert ep.dist is not None and ep.dist.name == "semaphore-notify-teams"


def test_loads_through_the_plugin_manager():
    info = load_installed_plugin("notify_teams")
    assert (info.status, info.error) == ("loaded", None)
    assert (info.distribution, info.version) == ("semaphore-notify-teams", "0.1.0")
    assert info.hooks == ["register_notifiers", "register_settings"]


def test_import_is_cheap():
    heavy = {"httpx", "pymsteams", "requests"}
    assert imported_top_level_modules("semaphore_notify_teams") & heavy == set()
