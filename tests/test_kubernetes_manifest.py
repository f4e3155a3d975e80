"""examples/kubernetes/deployment.yaml agrees with the application it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from skiesish.handlers.probes import PROBE_PATHS

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "examples" / "kubernetes" / "deployment.yaml"
#: The check deadline examples/kubernetes_probes.py configures (timeout=2).
APP_DEADLINE = 2


@pytest.fixture(scope="module")
def container():
    """The Deployment's one container."""
    documents = list(yaml.safe_load_all(MANIFEST.read_text()))
    deployment = next(document for document in documents if document["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"], deployment["spec"]["template"]["spec"]["containers"][0]


def test_the_manifest_runs_the_probes_example(container):
    """The container serves examples/kubernetes_probes.py, which exists and defines `application`."""
    _, app = container
    assert app["command"][:3] == ["skiesish", "serve", "examples.kubernetes_probes:application"]
    assert "application = " in (ROOT / "examples" / "kubernetes_probes.py").read_text()


@pytest.mark.parametrize(
    ("probe", "kind"), [("startupProbe", "startup"), ("livenessProbe", "live"), ("readinessProbe", "ready")]
)
def test_each_probe_asks_the_matching_endpoint(container, probe, kind):
    """Each probe's path is one the Probes handler answers for that kind of probe."""
    _, app = container
    assert PROBE_PATHS[app[probe]["httpGet"]["path"].strip("/")] == kind


@pytest.mark.parametrize("probe", ["startupProbe", "livenessProbe", "readinessProbe"])
def test_probe_timeouts_exceed_the_check_deadline(container, probe):
    """A probe that gave up before the engine's deadline would see a timeout instead of an answer."""
    _, app = container
    assert app[probe]["timeoutSeconds"] > APP_DEADLINE


def test_the_grace_period_covers_the_drain(container):
    """Kubernetes must not kill the pod before the drain period (and requests in flight) end."""
    pod, app = container
    drain = float(app["command"][app["command"].index("--drain") + 1])
    assert pod["terminationGracePeriodSeconds"] > drain


def option(app: dict, name: str) -> str:
    """The value that follows ``name`` in the container's command."""
    return app["command"][app["command"].index(name) + 1]


@pytest.mark.parametrize("probe", ["startupProbe", "livenessProbe", "readinessProbe"])
def test_every_probe_goes_to_the_probe_listener(container, probe):
    """Probes use the port --probe-listen opens, never the application's: busy workers cannot queue them."""
    _, app = container
    ports = {port["name"]: port["containerPort"] for port in app["ports"]}
    assert app[probe]["httpGet"]["port"] == "probes"
    assert option(app, "--probe-listen") == f"0.0.0.0:{ports['probes']}"
    assert ports["probes"] != ports["http"]


def test_the_probe_listener_serves_the_probes_example(container):
    """--probes names the example's probes application, so /readyz still checks the database."""
    _, app = container
    assert option(app, "--probes") == "examples.kubernetes_probes:application"


def test_a_wedged_pool_is_restarted_within_the_documented_bound(container):
    """The comment's bound, stall_after + P x N + T, is what the numbers give (63 s)."""
    _, app = container
    liveness = app["livenessProbe"]
    bound = (
        float(option(app, "--stall-after"))
        + liveness["periodSeconds"] * liveness["failureThreshold"]
        + liveness["timeoutSeconds"]
    )
    assert bound == 63
    assert "30 + 3 x 10 + 3 = 63 s" in MANIFEST.read_text()
