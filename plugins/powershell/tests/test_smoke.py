"""The plugin is found through its real entry point, loads, and is cheap to import."""

from importlib_metadata import entry_points

from semaphore.plugin_testing import imported_top_level_modules, load_installed_plugin


def test_found_through_its_entry_point():
    (ep,) = entry_points(group="semaphore", name="powershell")
    assert ep.value == "semaphore_powershell"
    assert ep.dist is not None and ep.dist.name == "semaphore-powershell"


def test_loads_through_the_plugin_manager():
    info = load_installed_plugin("powershell")
    assert (info.status, info.error) == ("loaded", None)
    assert (info.distribution, info.version) == ("semaphore-powershell", "0.1.0")
    assert info.hooks == ["register_executors"]


def test_import_is_cheap():
    heavy = {"httpx", "requests"}
    assert imported_top_level_modules("semaphore_powershell") & heavy == set()
