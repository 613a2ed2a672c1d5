"""The plugin is found through its real entry point, loads, and is cheap to import."""

from importlib_metadata import entry_points

from semaphore.plugin_testing import imported_top_level_modules, load_installed_plugin


def test_found_through_its_entry_point():
    (ep,) = entry_points(group="semaphore", name="auth_oidc")
    assert ep.value == "semaphore_auth_oidc"
    assert ep.dist is not None and ep.dist.name == "semaphore-auth-oidc"


def test_loads_through_the_plugin_manager():
    info = load_installed_plugin("auth_oidc")
    assert (info.status, info.error) == ("loaded", None)
    assert (info.distribution, info.version) == ("semaphore-auth-oidc", "0.1.0")
    assert sorted(info.hooks) == ["register_auth_backends", "register_blueprints", "register_settings"]


def test_import_is_cheap():
    heavy = {"authlib", "httpx", "jose", "joserfc", "jwt", "requests"}
    assert imported_top_level_modules("semaphore_auth_oidc") & heavy == set()
