"""The ``ansible`` app: installs the playbook's Galaxy requirements, runs ``ansible-playbook``,
and stores what happened on every host."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from semaphore import Executor, HostResult, Job, RunContext, TaskFailed, TemplateField
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_api.executors import script_path_problem, version_line
from semaphore_ansible import galaxy, options, ssh_control
from semaphore_ansible.command import PlaybookOptions, events_path, find_tool, playbook_command
from semaphore_ansible.results import host_results, read_events

# ansible-playbook's exit codes (ansible.errors.ExitCode): what the last log line says. 4 means
# unreachable hosts and also a playbook that could not be parsed: see exit_reason().
EXIT_REASONS = {1: "an error occurred", 2: "one or more hosts failed", 5: "the command line had bad options",
                99: "the run was interrupted", 250: "ansible hit an unexpected error"}
UNREACHABLE_OR_PARSE_ERROR = 4
GALAXY_ENV = {"role": "ANSIBLE_ROLES_PATH", "collection": "ANSIBLE_COLLECTIONS_PATH"}


class AnsibleExecutor(Executor):
    """Runs an Ansible playbook of the template's repository against the inventory."""

    app_id = "ansible"
    title = "Ansible Playbook"
    icon = "ansible"
    inventory_types = ("static", "static-yaml", "file")
    template_fields = (
        TemplateField("playbook", "Playbook", required=True, help="Path of the playbook inside the repository"),
        TemplateField("repository_id", "Repository", required=True),
        TemplateField("inventory_id", "Inventory", required=True,
                      help="Hosts, with the ssh key (or login and password) and the become key"),
        TemplateField("environment_id", "Variable group",
                      help="Its JSON becomes extra vars, its var secrets secret extra vars, its env vars the "
                           "process environment"),
        TemplateField("vaults", "Vault passwords", kind="vaults",
                      help="Vault ids with login_password keys or password client scripts (--vault-id)"),
        TemplateField("arguments", "CLI arguments", help="JSON array of ansible-playbook arguments"),
        TemplateField("allow_override_args_in_task", "Allow arguments in task"),
        TemplateField("task_params.limit", "Limit", help="Hosts or groups, comma-separated (--limit)"),
        TemplateField("task_params.tags", "Tags", help="Comma-separated (--tags)"),
        TemplateField("task_params.skip_tags", "Skip tags", help="Comma-separated (--skip-tags)"),
        TemplateField("task_params.allow_override_limit", "Allow limit in task"),
        TemplateField("task_params.allow_override_tags", "Allow tags in task"),
        TemplateField("task_params.allow_override_skip_tags", "Allow skip tags in task"),
    )

    _version: str | None = None

    def version(self) -> str:
        """``ansible-playbook --version``'s first line, e.g. ``ansible-playbook [core 2.19.1]``."""
        if self._version is None:
            self._version = version_line([find_tool("ansible-playbook", os.environ.get("PATH", os.defpath)),
                                          "--version"])
        return self._version

    def validate_template(self, template: Mapping[str, Any]) -> None:
        problem = script_path_problem(template.get("playbook"), "playbook")
        if problem:
            raise ValidationError(problem, field="playbook")
        if template.get("inventory_id") is None:
            raise ValidationError("required for app 'ansible'", field="inventory_id")
        options.check_template_params(template.get("task_params") or {})

    def validate_task(self, template: Mapping[str, Any], task: Mapping[str, Any]) -> None:
        options.check_task(template.get("task_params") or {}, task)

    def run(self, job: Job) -> None:
        context = job.context
        problem = script_path_problem(context.playbook, "playbook")
        if problem:
            raise TaskFailed(f"playbook {context.playbook!r}: {problem}")
        if not (context.repository_path / context.playbook).is_file():
            raise TaskFailed(f"playbook not found: {context.playbook}")
        run_options = self._options(context)
        run_options.galaxy_paths = self._install_requirements(job)
        with ssh_control.control_dir(context.private_dir) as run_options.ssh_control_dir:
            spec = playbook_command(context, run_options)
            try:
                code = job.run_process(spec)
            finally:
                results = self._save_results(job)
        if code != 0:
            raise TaskFailed(f"ansible-playbook exited with code {code}: {exit_reason(code, results)}")

    @staticmethod
    def _options(context: RunContext) -> PlaybookOptions:
        template_params = context.template.get("task_params") or {}
        return PlaybookOptions(**{name: options.effective(name, template_params, context.params, context.limit)
                                  for name in options.OVERRIDABLE})

    @staticmethod
    def _install_requirements(job: Job) -> dict[str, Any]:
        """Galaxy installs, in the template's cache (held alone meanwhile); env var -> directory."""
        context = job.context
        if not galaxy.requirement_files(context.repository_path, context.playbook):
            return {}
        tool = find_tool("ansible-galaxy", context.env.get("PATH", os.defpath))
        if context.cache_dir is None:  # run without the engine: install for this run only
            target = context.private_dir / "galaxy"
            target.mkdir(exist_ok=True)
            kinds = galaxy.GalaxyInstaller(target, job.run_process, job.log).install(
                context.repository_path, context.playbook, tool, {})
        else:
            with job.cache_lock() as target:
                kinds = galaxy.GalaxyInstaller(target, job.run_process, job.log).install(
                    context.repository_path, context.playbook, tool, {})
        return {GALAXY_ENV[kind]: target / galaxy.TARGET_DIRS[kind] for kind in kinds}

    @staticmethod
    def _save_results(job: Job) -> list[HostResult] | None:
        """The per-host results, also saved on the task; None when ansible wrote none."""
        events = read_events(events_path(job.context))
        if events is None:
            job.log("No per-host results: ansible-playbook stopped before its first play, "
                    "or did not load the semaphore_events callback.")
            return None
        results = host_results(events)
        job.save_host_results(results)
        return results


def exit_reason(code: int, results: list[HostResult] | None) -> str:
    """What ansible-playbook's exit code says. For 4, the per-host results tell unreachable hosts
    from a playbook that could not be parsed (which stops ansible before any host is tried)."""
    if code != UNREACHABLE_OR_PARSE_ERROR:
        return EXIT_REASONS.get(code, "it failed")
    if results and any(result.unreachable for result in results):
        return "one or more hosts were unreachable"
    if results is None:
        return "the playbook could not be parsed, or hosts were unreachable (see the log above)"
    return "the playbook could not be parsed (see the log above)"
