"""openshift/: render the kustomization offline and check every object and the flows between them."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OPENSHIFT = ROOT / "openshift"
# OpenShift 4.16 (EUS) ships Kubernetes 1.29: the oldest API surface the manifests must fit.
KUBERNETES_VERSION = "1.29"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job"}
OWN_IMAGE_COMPONENTS = {"api", "worker", "beat", "chat", "kb-editor", "migrations"}
EXPECTED_ARGS = {
    ("api", "api"): ["api"],
    ("worker", "worker"): ["worker", "--concurrency", "4"],
    ("beat", "beat"): ["beat"],
    ("chat", "chat"): ["chat-ui"],
    ("kb-editor", "kb-editor"): ["kb-ui"],
    ("migrations", "migrate"): ["migrate"],
    ("migrations", "kb-import"): ["kb", "import"],
}
# Who may open a connection to whom (component labels; "router"/"monitoring" are OpenShift namespaces).
EXPECTED_INGRESS = {
    "api": {"router", "monitoring", "chat", "kb-editor"},
    "chat": {"router"},
    "kb-editor": {"router"},
    "postgres": {"api", "worker", "beat", "migrations"},
    "redis": {"api", "worker", "beat"},
}
NAMESPACE_GROUPS = {"ingress": "router", "monitoring": "monitoring"}


def settings_env_names(model: type[BaseModel] = Settings, prefix: str = "PATCHPILOT_") -> set[str]:
    """Every environment variable name the settings read (nested groups joined with __)."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= settings_env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot render openshift/ with kustomize")
    result = subprocess.run(
        [kubectl, "kustomize", str(OPENSHIFT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert docs
    return docs


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def _component(obj: dict[str, Any]) -> str:
    label: str = obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
    return label


def _containers(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any], bool]]:
    """(workload, container, is_init) for every container of every workload."""
    for obj in objects:
        if obj["kind"] in WORKLOAD_KINDS:
            spec = _pod_spec(obj)
            for c in spec.get("initContainers", []):
                yield obj, c, True
            for c in spec["containers"]:
                yield obj, c, False


def _config_env(objects: list[dict[str, Any]]) -> dict[str, str]:
    env = dict(_by_kind(objects, "ConfigMap")["patchpilot-config"]["data"])
    env.update(_by_kind(objects, "Secret")["patchpilot-secrets"]["stringData"])
    return env


def test_renders_every_expected_object(objects: list[dict[str, Any]]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for expected in [
        ("Secret", "patchpilot-secrets"),
        ("ConfigMap", "patchpilot-config"),
        ("Deployment", "patchpilot-redis"),
        ("Service", "patchpilot-redis"),
        ("StatefulSet", "patchpilot-postgres"),
        ("Service", "patchpilot-postgres"),
        ("Job", "patchpilot-db-migrations"),
        ("Deployment", "patchpilot-api"),
        ("Service", "patchpilot-api"),
        ("Deployment", "patchpilot-worker"),
        ("HorizontalPodAutoscaler", "patchpilot-worker"),
        ("Deployment", "patchpilot-beat"),
        ("Deployment", "patchpilot-chat"),
        ("Service", "patchpilot-chat"),
        ("Deployment", "patchpilot-kb-editor"),
        ("Service", "patchpilot-kb-editor"),
        ("Route", "patchpilot-api"),
        ("Route", "patchpilot-chat"),
        ("Route", "patchpilot-kb-editor"),
        ("PodDisruptionBudget", "patchpilot-api"),
        ("PodDisruptionBudget", "patchpilot-worker"),
        ("NetworkPolicy", "patchpilot-default-deny-ingress"),
    ]:
        assert expected in kinds, expected
    for o in objects:
        assert o["metadata"]["labels"]["app.kubernetes.io/part-of"] == "patchpilot", o["metadata"]["name"]


def test_every_kubernetes_object_validates_against_its_schema(objects: list[dict[str, Any]]) -> None:
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (offline Kubernetes JSON schemas) is not installed"
    )
    checked = 0
    for obj in objects:
        if obj["apiVersion"].startswith("route.openshift.io/"):
            continue  # not a Kubernetes type; see test_routes
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == len(objects) - 3
    # The validator does reject: a probe with an unknown field and a string replica count.
    broken = copy.deepcopy(_by_kind(objects, "Deployment")["patchpilot-api"])
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = copy.deepcopy(_by_kind(objects, "Deployment")["patchpilot-api"])
    _pod_spec(broken)["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, KUBERNETES_VERSION, strict=True)


def test_routes(objects: list[dict[str, Any]]) -> None:
    routes = _by_kind(objects, "Route")
    services = _by_kind(objects, "Service")
    assert set(routes) == {"patchpilot-api", "patchpilot-chat", "patchpilot-kb-editor"}
    for name, route in routes.items():
        assert route["apiVersion"] == "route.openshift.io/v1"
        spec = route["spec"]
        assert set(spec) <= {"to", "port", "tls", "host", "path", "wildcardPolicy"}, name
        assert spec["to"]["kind"] == "Service"
        service = services[spec["to"]["name"]]
        assert spec["port"]["targetPort"] in {p["name"] for p in service["spec"]["ports"]}, name
        assert spec["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}, name


def test_services_select_a_workload_and_name_its_ports(objects: list[dict[str, Any]]) -> None:
    workloads = [o for o in objects if o["kind"] in {"Deployment", "StatefulSet"}]
    for name, service in _by_kind(objects, "Service").items():
        selector = service["spec"]["selector"]
        matched = [w for w in workloads if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()]
        assert len(matched) == 1, name
        ports = {p["name"]: p["containerPort"] for c in _pod_spec(matched[0])["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], (name, port)
        # Every workload's selector matches its own pod labels.
    for w in workloads:
        assert w["spec"]["selector"]["matchLabels"].items() <= w["spec"]["template"]["metadata"]["labels"].items()


def test_config_and_secret_references_resolve(objects: list[dict[str, Any]]) -> None:
    secrets = {n: set(s.get("stringData", {})) | set(s.get("data", {})) for n, s in _by_kind(objects, "Secret").items()}
    configmaps = {n: set(c["data"]) for n, c in _by_kind(objects, "ConfigMap").items()}
    for obj, container, _ in _containers(objects):
        where = f"{obj['metadata']['name']}/{container['name']}"
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                assert source["secretRef"]["name"] in secrets, where
            else:
                assert source["configMapRef"]["name"] in configmaps, where
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets[ref["name"]], (where, ref)


def test_patchpilot_env_names_are_settings_fields(objects: list[dict[str, Any]]) -> None:
    known = settings_env_names()
    used: set[str] = set(_by_kind(objects, "ConfigMap")["patchpilot-config"]["data"])
    for secret in _by_kind(objects, "Secret").values():
        used |= set(secret["stringData"])
    for _, container, _ in _containers(objects):
        used |= {v["name"] for v in container.get("env", [])}
    patchpilot = {name for name in used if name.startswith("PATCHPILOT_")}
    assert len(patchpilot) >= 10
    assert patchpilot <= known, f"not settings: {sorted(patchpilot - known)}"


def test_settings_accept_the_deployed_configuration(
    objects: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _config_env(objects)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # The placeholders are refused in production, naming the variable to set...
    with pytest.raises(ValidationError, match="PATCHPILOT_AUTH__SECRET_KEY"):
        Settings()
    # ...and real values are accepted and parsed.
    monkeypatch.setenv("PATCHPILOT_AUTH__SECRET_KEY", "3f9c0e1d2b4a5968778695a4b3c2d1e0")
    monkeypatch.setenv("PATCHPILOT_AWX__TOKEN", "Rk9PQkFSYmF6cXV4MTIzNDU2Nzg5")
    settings = Settings()
    assert settings.env == "production"
    assert settings.awx.verify_tls is True
    assert settings.db.url is not None and settings.redis.url is not None
    assert not settings.llm_enabled  # no endpoint configured: the offline model


def test_inventory_source_is_the_awx_inventory(objects: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Production resolves targets against the AWX inventory, never the demo file; without a source it won't start."""
    env = _config_env(objects)
    assert env["PATCHPILOT_INVENTORY__SOURCE"] == "awx"
    assert float(env["PATCHPILOT_INVENTORY__SYNC_INTERVAL_S"]) > 0
    rendered = yaml.safe_dump_all(objects)
    assert "evals/inventory.yaml" not in rendered and "INVENTORY_PATH" not in rendered
    for workload, container, _ in _containers(objects):  # every patchpilot process builds Settings: each needs it
        if _component(workload) in OWN_IMAGE_COMPONENTS:
            sources = {s["configMapRef"]["name"] for s in container.get("envFrom", []) if "configMapRef" in s}
            named = {v["name"] for v in container.get("env", [])}
            assert "patchpilot-config" in sources or "PATCHPILOT_INVENTORY__SOURCE" in named, container["name"]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATCHPILOT_AUTH__SECRET_KEY", "3f9c0e1d2b4a5968778695a4b3c2d1e0")
    monkeypatch.setenv("PATCHPILOT_AWX__TOKEN", "Rk9PQkFSYmF6cXV4MTIzNDU2Nzg5")
    settings = Settings()
    assert settings.inventory_source == "awx" and settings.inventory_path is None
    monkeypatch.delenv("PATCHPILOT_INVENTORY__SOURCE")
    with pytest.raises(ValidationError, match="PATCHPILOT_INVENTORY__SOURCE"):
        Settings()


def test_database_and_redis_urls_point_at_the_deployed_services(objects: list[dict[str, Any]]) -> None:
    env = _config_env(objects)
    postgres = _by_kind(objects, "Secret")["patchpilot-postgres"]["stringData"]
    db = urlsplit(env["PATCHPILOT_DB__URL"])
    assert db.hostname == "patchpilot-postgres" and db.port == 5432
    assert db.username == postgres["POSTGRES_USER"] and db.path == f"/{postgres['POSTGRES_DB']}"
    assert db.password == postgres["POSTGRES_PASSWORD"]
    redis = urlsplit(env["PATCHPILOT_REDIS__URL"])
    assert redis.hostname == "patchpilot-redis" and redis.port == 6379
    assert redis.password == _by_kind(objects, "Secret")["patchpilot-redis"]["stringData"]["REDIS_PASSWORD"]
    services = _by_kind(objects, "Service")
    assert {p["port"] for p in services["patchpilot-postgres"]["spec"]["ports"]} == {5432}
    assert {p["port"] for p in services["patchpilot-redis"]["spec"]["ports"]} == {6379}


def test_every_container_is_locked_down_and_sized(objects: list[dict[str, Any]]) -> None:
    for obj, container, is_init in _containers(objects):
        where = f"{obj['metadata']['name']}/{container['name']}"
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        assert "add" not in sc["capabilities"], where
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert "privileged" not in sc and "runAsUser" not in sc, where  # OpenShift assigns the UID
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) >= {"cpu", "memory"}, (where, bound)
        # Init containers may not have probes; a Job's pod runs to completion and has nothing to probe.
        if obj["kind"] != "Job" and not is_init:
            assert "livenessProbe" in container and "readinessProbe" in container, where
        pod = _pod_spec(obj)
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod.get("automountServiceAccountToken") is False, where
        for port in container.get("ports", []):
            assert port["containerPort"] >= 1024, where


def test_probes_use_the_documented_endpoints(objects: list[dict[str, Any]]) -> None:
    probes = {}
    for obj, container, _ in _containers(objects):
        probes[_component(obj)] = container
    api = probes["api"]
    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert probes["chat"]["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert probes["kb-editor"]["readinessProbe"]["httpGet"]["port"] == "http"
    for component, command in (("worker", "worker-health"), ("beat", "beat-health")):
        for kind in ("livenessProbe", "readinessProbe"):
            assert probes[component][kind]["exec"]["command"][:2] == ["patchpilot", command], (component, kind)


def test_one_image_and_the_cli_commands(objects: list[dict[str, Any]]) -> None:
    kustomization = yaml.safe_load((OPENSHIFT / "kustomization.yaml").read_text())
    (image,) = [i for i in kustomization["images"] if i["name"] == "patchpilot"]
    expected_image = f"{image['newName']}:{image['newTag']}"
    seen = set()
    for obj, container, _ in _containers(objects):
        component = _component(obj)
        if component not in OWN_IMAGE_COMPONENTS:
            assert "patchpilot:" not in container["image"]
            continue
        assert container["image"] == expected_image, (component, container["image"])
        assert "command" not in container, "the image's ENTRYPOINT is `patchpilot`; pass the command as args"
        assert container["args"] == EXPECTED_ARGS[(component, container["name"])]
        seen.add((component, container["name"]))
    assert seen == set(EXPECTED_ARGS)


def test_scaling_shape(objects: list[dict[str, Any]]) -> None:
    deployments = _by_kind(objects, "Deployment")
    beat = deployments["patchpilot-beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    hpa = _by_kind(objects, "HorizontalPodAutoscaler")["patchpilot-worker"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "patchpilot-worker"}
    assert hpa["spec"]["minReplicas"] >= 1
    for name, pdb in _by_kind(objects, "PodDisruptionBudget").items():
        target = deployments[name]
        assert pdb["spec"]["selector"]["matchLabels"] == target["spec"]["selector"]["matchLabels"]
        # A budget that can never be met would block node drains.
        assert pdb["spec"]["minAvailable"] < target["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    postgres = _by_kind(objects, "StatefulSet")["patchpilot-postgres"]
    assert postgres["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert "pgvector" in _pod_spec(postgres)["containers"][0]["image"]


def _ingress_sources(policy: dict[str, Any]) -> set[str]:
    sources: set[str] = set()
    for rule in policy["spec"].get("ingress", []):
        for peer in rule["from"]:
            if "namespaceSelector" in peer:
                group = peer["namespaceSelector"]["matchLabels"]["network.openshift.io/policy-group"]
                sources.add(NAMESPACE_GROUPS[group])
            else:
                selector = peer["podSelector"]
                if "matchLabels" in selector:
                    sources.add(selector["matchLabels"]["app.kubernetes.io/component"])
                for expression in selector.get("matchExpressions", []):
                    assert expression["operator"] == "In"
                    sources |= set(expression["values"])
    return sources


def test_network_policies_allow_only_the_needed_flows(objects: list[dict[str, Any]]) -> None:
    policies = _by_kind(objects, "NetworkPolicy")
    deny = policies.pop("patchpilot-default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    allowed: dict[str, set[str]] = {}
    ports: dict[str, set[int]] = {}
    for policy in policies.values():
        target = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        allowed.setdefault(target, set()).update(_ingress_sources(policy))
        ports.setdefault(target, set()).update(p["port"] for r in policy["spec"]["ingress"] for p in r["ports"])
    assert allowed == EXPECTED_INGRESS
    # Each policy opens only the port its Service serves.
    services = _by_kind(objects, "Service")
    for component, opened in ports.items():
        (service,) = [s for s in services.values() if s["spec"]["selector"]["app.kubernetes.io/component"] == component]
        assert opened == {p["port"] for p in service["spec"]["ports"]}, component


def test_postgres_runs_with_the_embedded_servers_settings(objects: list[dict[str, Any]]) -> None:
    from core.embedded import SERVER_SETTINGS

    postgres = next(o for o in objects if o["kind"] == "StatefulSet" and _component(o) == "postgres")
    args = _pod_spec(postgres)["containers"][0]["args"]
    assert args[0] == "postgres"
    given = dict(a.split("=", 1) for a in args[2::2])
    assert args[1::2] == ["-c"] * len(given) and given == SERVER_SETTINGS
