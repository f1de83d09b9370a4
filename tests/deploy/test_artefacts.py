"""The deploy files hold together. There is no container engine here, so the image and compose
file cannot be built or run in CI: these tests check what can be checked without one (the
image's entry point is scripts/serve, which the other tests run for real), and that every
setting is in .env.example and explained in docs/deploy.md."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import yaml

from deploy.prod_local import NginxTemplate

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), with continued lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").rstrip() + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    assert not current, "a continued line runs off the end"
    return [(text.split(None, 1)[0], text.split(None, 1)[1]) for text in logical]


def test_the_dockerfile_is_well_formed_and_runs_scripts_serve_as_a_user() -> None:
    steps = dockerfile()
    assert {instruction for instruction, _ in steps} <= INSTRUCTIONS
    froms = [args for instruction, args in steps if instruction == "FROM"]
    # Node only fetches the NHS.UK frontend's tarball; nothing of Node reaches the image.
    assert all(
        args.startswith("python:3.11-slim") or args == "node:20-slim AS nhsuk-frontend"
        for args in froms
    )
    assert froms[-1] == "python:3.11-slim"
    final = steps[max(i for i, (instruction, _) in enumerate(steps) if instruction == "FROM") :]
    users = [args for instruction, args in final if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ("ENTRYPOINT", '["scripts/serve"]') in final
    installs = [" ".join(args.split()) for instruction, args in steps if "pip " in args]
    lock = "/venv/bin/pip install --require-hashes --no-deps -r requirements.lock"
    assert installs == [f"python -m venv /venv && {lock}"]
    # The tarball is checked against package-lock.json before collectstatic sees any of it.
    runs = [args for instruction, args in final if instruction == "RUN"]
    vendor = next(i for i, args in enumerate(runs) if "scripts/nhsuk_frontend.py --tarball" in args)
    assert vendor < next(i for i, args in enumerate(runs) if "collectstatic" in args)


def test_everything_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }  # fmt: skip
    for instruction, args in dockerfile():
        if instruction != "COPY" or args.startswith("--from"):
            continue
        *sources, _ = shlex.split(args)
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored, source
    for secret in (".env", ".venv", ".git", ".prod-local*", "db.sqlite3*"):
        assert secret in ignored


def test_the_compose_file_runs_two_app_servers_two_workers_a_migration_step_and_the_proxy() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert set(services) == {"db", "migrate", "app", "worker", "proxy"}
    for name in ("migrate", "app", "worker"):
        assert services[name]["build"] == "." and services[name]["image"] == "slotlink:latest"
        assert services[name]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
        assert services[name]["environment"]["MEDIA_DIR"] == "/srv/media"
        assert "media:/srv/media" in services[name]["volumes"]
    assert services["app"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "entrypoint" not in services["app"]  # the image's: scripts/serve
    assert services["worker"]["entrypoint"] == ["scripts/worker"]
    assert services["migrate"]["entrypoint"][-2:] == ["migrate", "--noinput"]
    for name in ("app", "worker"):
        needs = services[name]["depends_on"]["migrate"]
        assert needs == {"condition": "service_completed_successfully"}
    assert "media:/srv/media:ro" in services["proxy"]["volumes"]


def test_the_proxy_and_prod_local_fill_in_every_name_the_nginx_template_uses() -> None:
    used = set(re.findall(r"\$\{(SLOTLINK_[A-Z_]+)\}", NGINX.read_text()))
    assert used
    proxy = yaml.safe_load(COMPOSE.read_text())["services"]["proxy"]
    assert used == {name for name in proxy["environment"] if name.startswith("SLOTLINK_")}
    assert proxy["environment"]["NGINX_ENVSUBST_FILTER"] == "^SLOTLINK_"
    mounted = "./deploy/nginx.conf:/etc/nginx/templates/slotlink.conf.template:ro"
    assert mounted in proxy["volumes"]
    # Every other $ in the template is one of nginx's own variables, which must survive.
    rendered = NginxTemplate(NGINX.read_text()).substitute(dict.fromkeys(used, "X"))
    assert "${" not in rendered
    assert "$proxy_add_x_forwarded_for" in rendered and "$request_id" in rendered


def settings_read() -> set[str]:
    names: set[str] = set()
    for source in (ROOT / "slotlink" / "settings.py", ROOT / "slotlink" / "gunicorn_config.py"):
        text = source.read_text()
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', text))
        names |= set(re.findall(r'_(?:retention_days|seconds)\(\s*"([A-Z_]+)"', text))
    return names


def example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_every_setting_is_in_env_example() -> None:
    missing = settings_read() - example_names()
    assert not missing, f"read from the environment but not in .env.example: {sorted(missing)}"


def test_every_variable_in_env_example_is_explained_in_the_deploy_guide() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    unexplained = {name for name in example_names() if f"`{name}`" not in guide}
    assert not unexplained, f"docs/deploy.md does not explain {sorted(unexplained)}"


def test_prod_local_names_the_trial_rule_the_trial_service_makes() -> None:
    from deploy import prod_local
    from slotlink.ops import trial

    assert prod_local.TRIAL_RULE == trial.TRIAL_RULE


def _venv_step(folder: Path, *arguments: str) -> str:
    """The command `make setup` would make .venv with, run in a folder holding only the
    Makefile and the files its rule depends on."""
    shutil.copy(ROOT / "Makefile", folder)
    for name in ("requirements-dev.lock", "pyproject.toml"):
        (folder / name).touch()
    environment = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "MAKEFLAGS"}}
    dry_run = subprocess.run(  # noqa: S603 - our own Makefile, dry run
        ["make", "--no-print-directory", "-n", ".venv/.installed", *arguments],  # noqa: S607
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return dry_run.stdout.splitlines()[0]


def _makes_virtualenvs(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run([python, "-c", "import ensurepip, venv"], check=False)  # noqa: S603
    return probe.returncode == 0


def test_the_virtualenv_is_made_from_the_systems_optimised_python_where_it_can_be(
    tmp_path: Path,
) -> None:
    system = Path("/usr/bin/python3.11")
    chosen = str(system) if _makes_virtualenvs(system) else "python3.11"
    assert _venv_step(tmp_path) == f"test -x .venv/bin/python || {chosen} -m venv .venv"
    assert _venv_step(tmp_path, "PYTHON=/opt/python") == (
        "test -x .venv/bin/python || /opt/python -m venv .venv"
    )
