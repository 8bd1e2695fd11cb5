"""The production guide (docs/operators/production.md, once the README's production section),
line by line: every ``docker compose`` command names a service the compose file has; every
``airflow ...`` command it runs in a container is accepted by Airflow's own command-line parser
(so ``dags list-runs`` without a DAG id fails here, not at 3 a.m.); the DAGs it unpauses are all
the DAGs; the commands that are safe to run here (the secret recipes, the URL command) are run."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    """The production guide, moved from the README to its own page for operators."""
    return (ROOT / "docs" / "operators" / "production.md").read_text()


def _commands() -> list[str]:
    """Each command in a code block or a `code span` of the section, continuation lines joined
    and trailing comments dropped."""
    section = _section()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    lines += re.findall(r"`([^`]*(?:docker compose|openssl)[^`]*)`", re.sub(r"```.*?```", "", section, flags=re.S)
                        .replace("\n", " "))
    out = []
    for line in lines:
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line:
            out += [part.strip() for part in re.split(r";\s*|\s*&&\s*", line) if part.strip()]
    return out


def _compose_services() -> set[str]:
    return set(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def test_every_compose_command_names_a_service_of_the_compose_file():
    services = _compose_services()
    commands = [c for c in _commands() if "docker compose" in c]
    assert len(commands) > 10
    for command in commands:
        words = shlex.split(command[command.index("docker compose"):].replace("<dag>", "x"))[2:]
        verb, rest = words[0], words[1:]
        if verb in ("exec", "logs", "up", "build"):
            named = [w for i, w in enumerate(rest) if not w.startswith("-") and not (i and rest[i - 1] in ("-u",))]
            named = [w.split("=")[0] if i and rest[i - 1] == "--scale" else w for i, w in enumerate(named)]
            named += [w.split("=")[0] for i, w in enumerate(rest) if i and rest[i - 1] == "--scale"]
            named = [w for w in named if "=" not in w]
            if verb == "exec":
                named = named[:1]
            assert set(named) <= services, f"{command}: {set(named) - services} is no service"


def test_airflow_commands_parse_with_airflows_own_parser():
    from airflow.cli.cli_parser import get_parser

    from yj_airflow.runner import CHAIN, OPERATIONS, TRIGGER_ONLY

    dags = set(CHAIN + TRIGGER_ONLY + OPERATIONS)
    checked = 0
    for command in _commands():
        match = re.search(r"docker compose exec (?:-u \S+ )?\S+ (airflow .*)$", command)
        if not match:
            continue
        args = shlex.split(match.group(1).replace("$d", "case_system_nightly"))[1:]
        try:
            get_parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"Airflow's parser refuses: {command}")
        if args[0] == "dags" and len(args) > 2:
            assert args[2] in dags, command
        checked += 1
    assert checked >= 4
    unpause = re.search(r"for d in (.*?); do", _section().replace("\\\n", " "), flags=re.S).group(1).split()
    assert sorted(unpause) == sorted(dags)


def test_the_init_script_path_in_the_section_exists():
    for path in re.findall(r"/docker-entrypoint-initdb\.d/(\S+\.sh)", _section()):
        assert (ROOT / "deploy" / "postgres-init" / path).exists(), path


def test_the_secret_recipes_make_valid_secrets():
    from cryptography.fernet import Fernet

    [fernet] = [c for c in _commands() if "openssl rand -base64" in c]
    key = subprocess.run(["bash", "-c", fernet[fernet.index("openssl"):]], capture_output=True, text=True,
                         check=True).stdout.strip()
    Fernet(key)  # raises on a malformed key
    assert "openssl rand -hex 32" in _section()
    hexed = subprocess.run(["openssl", "rand", "-hex", "32"], capture_output=True, text=True, check=True).stdout
    assert len(hexed.strip()) == 64


def test_the_url_command_of_the_section_runs():
    env = {**os.environ, "AIRFLOW_DB_PASSWORD": "x", "REDIS_PASSWORD": "y"}
    for kind in re.search(r"yj_airflow\.deploy url (\S+)`", _section()).group(1).split("|"):
        out = subprocess.run([sys.executable, "-m", "yj_airflow.deploy", "url", kind], env=env, capture_output=True,
                             text=True, check=True).stdout
        assert "://" in out and not out.endswith("\n")
