"""Preparing the machine: the peers' virtualenv, the load generator, and a description of both."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .errors import BenchmarkError
from .settings import PEERS_VENV, PROJECT_DIR

__all__ = [
    "PEER_REQUIREMENTS",
    "Machine",
    "describe_machine",
    "ensure_peers_venv",
    "ensure_wrk",
    "install_regular",
    "package_versions",
]

#: What the peers' virtualenv gets from PyPI.
PEER_REQUIREMENTS = ("clear-skies<2", "py-healthcheck", "flask-healthz", "Flask", "waitress")
_PEER_IMPORTS = ("clearskies", "healthcheck", "flask_healthz", "flask", "waitress")
PEER_DISTRIBUTIONS = ("clear-skies", "py-healthcheck", "flask-healthz", "Flask", "Werkzeug", "waitress")
MAIN_DISTRIBUTIONS = ("skiesish", "waitress", "pydantic")

_VERSIONS_SCRIPT = """
import importlib.metadata, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        found[name] = "not installed"
print(json.dumps(found))
"""


@dataclasses.dataclass(frozen=True)
class Machine:
    """Where the numbers were measured."""

    cpu: str
    cores: int
    python: str
    skiesish_source: str
    load_average: str


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command``, capturing its output; a timeout or a missing program becomes BenchmarkError."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchmarkError(f"{command[0]} failed: {error}") from error


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def peers_python() -> Path:
    """The peers' interpreter (which may not exist yet)."""
    return PEERS_VENV / "bin" / "python"


def _peers_importable(python: Path, imports: tuple[str, ...] = _PEER_IMPORTS) -> bool:
    if not python.exists():
        return False
    probe = _run([str(python), "-c", "import " + ", ".join(imports)], timeout=60)
    return probe.returncode == 0


def ensure_peers_venv(install: bool, extra: Mapping[str, str] | None = None) -> Path:
    """Create ``benchmarks/.venv-peers`` and install the peers from PyPI unless they import already.

    Args:
        install: whether pip may be run.
        extra: more requirements a script needs there, each with the module that shows it is
            installed: ``{"tornado==6.4": "tornado"}``.

    Raises:
        BenchmarkError: the virtualenv could not be made or pip failed.
    """
    python = peers_python()
    requirements = (*PEER_REQUIREMENTS, *(extra or {}))
    imports = (*_PEER_IMPORTS, *(extra or {}).values())
    if _peers_importable(python, imports):
        return python
    if not install:
        raise BenchmarkError(f"the peers are not installed in {PEERS_VENV} and --no-install was given")
    if not python.exists():
        made = _run([sys.executable, "-m", "venv", str(PEERS_VENV)], timeout=120)
        if made.returncode != 0:
            raise BenchmarkError(f"python -m venv {PEERS_VENV} failed: {_tail(made.stderr)}")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements]
    installed = _run(pip, timeout=900)
    if installed.returncode != 0 or not _peers_importable(python, imports):
        raise BenchmarkError(f"pip install of the peers failed: {_tail(installed.stderr)}")
    return python


def ensure_wrk(install: bool) -> str | None:
    """The path of ``wrk``, apt-installing it when missing and allowed; ``None`` if unavailable."""
    found = shutil.which("wrk")
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    install_wrk = ["apt-get", "install", "-y", "-q", "wrk"]
    for attempt in ([install_wrk], [["apt-get", "update", "-q"], install_wrk]):
        for command in attempt:
            try:
                _run(command, timeout=300)
            except BenchmarkError:
                return None
        if shutil.which("wrk"):
            return shutil.which("wrk")
    return None


def package_versions(python: Path, distributions: tuple[str, ...]) -> dict[str, str]:
    """The installed version of each distribution, as ``python`` sees it."""
    answer = _run([str(python), "-c", _VERSIONS_SCRIPT, *distributions], timeout=60)
    if answer.returncode != 0:
        raise BenchmarkError(f"could not read package versions: {_tail(answer.stderr)}")
    versions: dict[str, str] = json.loads(answer.stdout)
    return versions


def cpu_model() -> str:
    """The first ``model name`` in /proc/cpuinfo, or the platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def skiesish_source() -> str:
    """Where the servers import skiesish from, and the git state of the project."""
    located = _run([sys.executable, "-c", "import skiesish; print(skiesish.__file__)"], timeout=60)
    where = located.stdout.strip() or f"not importable ({_tail(located.stderr, 1)})"
    head = _run(["git", "-C", str(PROJECT_DIR), "rev-parse", "--short", "HEAD"], timeout=30).stdout.strip()
    dirty = _run(["git", "-C", str(PROJECT_DIR), "status", "--porcelain", "--", "skiesish"], timeout=30)
    state = f"git {head or 'unknown'}" + (", with uncommitted changes in skiesish/" if dirty.stdout else "")
    return f"{Path(where).parent if where.endswith('.py') else where} ({state})"


def describe_machine() -> Machine:
    """The CPU, its core count, this Python, and where skiesish comes from."""
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count() or 0,
        python=f"{platform.python_implementation()} {platform.python_version()}",
        skiesish_source=skiesish_source(),
        load_average=" / ".join(f"{load:.2f}" for load in os.getloadavg()),
    )


def install_regular(folder: Path) -> tuple[str, str]:
    """A fresh venv in ``folder`` with skiesish installed as a container image would have it.

    A regular, not editable, install: an editable one adds an import hook to
    every interpreter start, which a start-up benchmark would measure.

    Returns:
        The venv's ``python`` and ``skiesish`` command, as paths.
    """
    venv = Path(folder) / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", str(PROJECT_DIR)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return str(venv / "bin" / "python"), str(venv / "bin" / "skiesish")
