"""The deployment files (docs/deployment.md): the Compose file of deploy/compose and the Kubernetes
manifests of deploy/kubernetes, checked for their structure and, for the manifests, validated
against the schemas of a current Kubernetes version (kubernetes-validate, strict: no unknown
field). ``docker compose config`` checks the Compose file too where the Docker CLI has it."""

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from prodmanager.settings import SETTINGS

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "deploy" / "compose"
KUBERNETES = REPO / "deploy" / "kubernetes"
KNOWN_VARIABLES = {setting.env for setting in SETTINGS} | {"SERVER", "HOST", "PORT", "WORKERS", "THREADS"}
PRODMANAGER_SERVICES = ("migrate", "web", "worker")


def variables_of(environment: dict) -> set[str]:
  return {name for name in environment if name.startswith("PM_")}


# -- Compose -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
  return yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())


def test_compose_runs_two_web_replicas_a_worker_postgresql_and_redis(compose):
  services = compose["services"]
  assert set(services) == {"migrate", "web", "worker", "proxy", "database", "redis"}
  assert services["web"]["deploy"]["replicas"] == 2
  assert services["web"]["command"] == ["serve"]
  assert services["worker"]["command"] == ["worker"]
  assert services["migrate"]["command"] == ["migrate", "--upgrade-0.22"]
  assert services["migrate"]["restart"] == "no"
  assert services["database"]["image"].startswith("postgres:")
  assert services["redis"]["image"].startswith("redis:")
  for name in ("web", "worker"):
    assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
  assert services["migrate"]["depends_on"]["database"] == {"condition": "service_healthy"}
  assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}
  assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "-m", "prodmanager.healthcheck"]
  # The image's HEALTHCHECK asks a server: the worker and the migration run none.
  assert services["worker"]["healthcheck"] == {"disable": True}


def test_compose_configures_prodmanager_by_the_environment(compose):
  for name in PRODMANAGER_SERVICES:
    service = compose["services"][name]
    environment = service["environment"]
    assert variables_of(environment) <= KNOWN_VARIABLES, variables_of(environment) - KNOWN_VARIABLES
    assert environment["PM_STANDALONE"] == "false"
    assert environment["PM_DATABASE_URI"].startswith("postgresql://prodmanager:${POSTGRES_PASSWORD")
    assert environment["PM_DATABASE_URI"].endswith("@database:5432/prodmanager")
    assert environment["PM_REDIS_URI"] == "redis://redis:6379/0"
    assert environment["PM_PROXY_CHAIN_COUNT"] == "1"
    # Required secrets: compose stops with the message when they are missing.
    assert environment["PM_SECRET_KEY"].startswith("${PM_SECRET_KEY:?")
    # 0.22's volume at 0.22's path.
    assert service["volumes"] == ["instance:/app/instance"]
  assert set(compose["volumes"]) == {"instance", "database"}
  assert compose["services"]["database"]["volumes"] == ["database:/var/lib/postgresql/data"]


def test_compose_variables_are_in_the_example_and_the_readme(compose):
  text = (COMPOSE / "docker-compose.yml").read_text()
  used = set(re.findall(r"\$\{([A-Z_]+)", text))
  example = set(re.findall(r"^#? ?([A-Z_]+)=", (COMPOSE / ".env.example").read_text(), re.MULTILINE))
  readme = (COMPOSE / "README.md").read_text()
  assert used <= example, used - example
  assert [name for name in used if f"`{name}`" not in readme] == []
  for heading in ("## Environment variables and secrets", "## Volumes", "## Upgrading from 0.22"):
    assert heading in readme


def test_compose_proxy_spreads_requests_over_the_web_replicas(compose):
  proxy = compose["services"]["proxy"]
  assert proxy["volumes"] == ["./nginx.conf:/etc/nginx/conf.d/default.conf:ro"]
  conf = (COMPOSE / "nginx.conf").read_text()
  assert "set $prodmanager http://web:8080;" in conf
  assert "proxy_pass $prodmanager;" in conf
  for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
    assert f"proxy_set_header {header}" in conf


def test_docker_compose_config_accepts_the_file(tmp_path):
  docker = shutil.which("docker")
  probe = docker and subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
  if not probe or probe.returncode != 0:
    pytest.skip("the Docker CLI's compose plugin is not installed: the YAML checks above stand in for it")
  result = subprocess.run(
    [docker, "compose", "--project-directory", str(COMPOSE), "config", "--quiet"],
    capture_output=True,
    text=True,
    timeout=60,
    env={
      "PATH": "/usr/bin:/bin:/usr/local/bin",
      "HOME": str(tmp_path),
      "PM_SECRET_KEY": "s" * 32,
      "POSTGRES_PASSWORD": "password",
    },
  )
  assert result.returncode == 0, result.stderr
  missing = subprocess.run(
    [docker, "compose", "--project-directory", str(COMPOSE), "config", "--quiet"],
    capture_output=True,
    text=True,
    timeout=60,
    env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(tmp_path)},
  )
  assert missing.returncode != 0
  assert "set PM_SECRET_KEY in deploy/compose/.env" in missing.stderr


# -- Kubernetes ----------------------------------------------------------------------------------------


def manifest_files() -> list[Path]:
  return sorted(path for path in KUBERNETES.glob("*.yml") if path.name != "kustomization.yml")


@pytest.fixture(scope="module")
def manifests() -> dict[tuple[str, str], dict]:
  """Every object of deploy/kubernetes, by (kind, name)."""
  found = {}
  for path in manifest_files():
    for document in yaml.safe_load_all(path.read_text()):
      key = (document["kind"], document["metadata"]["name"])
      assert key not in found, f"{key} twice"
      found[key] = document
  return found


def kubernetes_version() -> str:
  """The newest Kubernetes version whose schemas kubernetes-validate ships."""
  from kubernetes_validate.utils import latest_version

  return latest_version()


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_manifest_is_valid_for_a_current_kubernetes(path):
  version = kubernetes_version()
  assert tuple(int(part) for part in version.split(".")[:2]) >= (1, 30), version
  for document in yaml.safe_load_all(path.read_text()):
    try:
      kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
      pytest.fail(
        f"{path.name}: {document['kind']} {document['metadata']['name']}: {error.message} at {list(error.path)}"
      )


def test_kustomization_lists_every_manifest():
  kustomization = yaml.safe_load((KUBERNETES / "kustomization.yml").read_text())
  assert sorted(kustomization["resources"]) == [path.name for path in manifest_files()]
  assert kustomization["images"][0]["name"] == "prodmanager"


def containers(manifests, kind, name) -> list[dict]:
  return manifests[(kind, name)]["spec"]["template"]["spec"]["containers"]


def test_kubernetes_has_022s_shapes_and_the_separate_steps(manifests):
  kinds = {kind for kind, _name in manifests}
  assert {
    "Deployment",
    "HorizontalPodAutoscaler",
    "Secret",
    "ConfigMap",
    "Service",
    "Job",
    "PodDisruptionBudget",
    "Ingress",
    "PersistentVolumeClaim",
  } <= kinds
  assert [container["args"] for container in containers(manifests, "Deployment", "prod-manager")] == [
    ["serve"]
  ]
  assert [container["args"] for container in containers(manifests, "Deployment", "prod-manager-worker")] == [
    ["worker"]
  ]
  job = manifests[("Job", "prod-manager-migrate")]
  assert [container["args"] for container in job["spec"]["template"]["spec"]["containers"]] == [
    ["migrate", "--upgrade-0.22"]
  ]
  assert manifests[("ConfigMap", "prod-manager")]["data"]["PM_STANDALONE"] == "false"
  images = {container["image"] for container in containers(manifests, "Deployment", "prod-manager-database")}
  assert images == {"postgres:17-alpine"}
  assert {container["image"] for container in containers(manifests, "Deployment", "prod-manager-redis")} == {
    "redis:7-alpine"
  }


def test_app_probes_and_security(manifests):
  (app,) = containers(manifests, "Deployment", "prod-manager")
  assert app["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
  assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
  assert app["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
  assert app["ports"] == [{"name": "http", "containerPort": 8080}]
  for kind, name in (
    ("Deployment", "prod-manager"),
    ("Deployment", "prod-manager-worker"),
    ("Job", "prod-manager-migrate"),
  ):
    pod = manifests[(kind, name)]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 1000 and pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    # 0.22's volume path, and a writable /tmp beside the read-only root.
    assert set(mounts) == {"/app/instance", "/tmp"}
    assert {volume["name"] for volume in pod["volumes"]} == set(mounts.values())


def test_kubernetes_references_resolve(manifests):
  names = {(kind, name) for kind, name in manifests}
  app_labels = manifests[("Deployment", "prod-manager")]["spec"]["template"]["metadata"]["labels"]
  for (kind, name), document in manifests.items():
    if kind in ("Deployment", "Job"):
      pod = document["spec"]["template"]
      if kind == "Deployment":
        assert document["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
      for container in pod["spec"]["containers"]:
        for source in container.get("envFrom", []):
          if "secretRef" in source:
            assert ("Secret", source["secretRef"]["name"]) in names
          else:
            assert ("ConfigMap", source["configMapRef"]["name"]) in names
      for volume in pod["spec"].get("volumes", []):
        if "persistentVolumeClaim" in volume:
          assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
    if kind == "Service":
      selected = [
        doc
        for (other_kind, _name), doc in manifests.items()
        if other_kind == "Deployment"
        and document["spec"]["selector"].items() <= doc["spec"]["template"]["metadata"]["labels"].items()
      ]
      assert len(selected) == 1, name
      ports = {
        port["name"]
        for container in selected[0]["spec"]["template"]["spec"]["containers"]
        for port in container["ports"]
      }
      assert {port["targetPort"] for port in document["spec"]["ports"]} <= ports
  hpa = manifests[("HorizontalPodAutoscaler", "prod-manager")]["spec"]
  assert ("Deployment", hpa["scaleTargetRef"]["name"]) in names and hpa["minReplicas"] >= 2
  pdb = manifests[("PodDisruptionBudget", "prod-manager")]["spec"]
  assert pdb["selector"]["matchLabels"].items() <= app_labels.items()
  (rule,) = manifests[("Ingress", "prod-manager")]["spec"]["rules"]
  backend = rule["http"]["paths"][0]["backend"]["service"]
  service = manifests[("Service", backend["name"])]
  assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}


def test_kubernetes_settings_are_known_and_point_at_the_services(manifests):
  config = manifests[("ConfigMap", "prod-manager")]["data"]
  secret = manifests[("Secret", "prod-manager")]["stringData"]
  assert (set(config) | set(secret)) <= KNOWN_VARIABLES, (set(config) | set(secret)) - KNOWN_VARIABLES
  services = {name for kind, name in manifests if kind == "Service"}
  database_host = re.match(r"postgresql://[^@]+@([^:/]+)", secret["PM_DATABASE_URI"]).group(1)
  redis_host = re.match(r"redis://([^:/]+)", secret["PM_REDIS_URI"]).group(1)
  assert {database_host, redis_host} <= services
  database = manifests[("Secret", "prod-manager-database")]["stringData"]
  assert secret["PM_DATABASE_URI"].startswith(
    f"postgresql://{database['POSTGRES_USER']}:{database['POSTGRES_PASSWORD']}@"
  )
  assert secret["PM_DATABASE_URI"].endswith(f"/{database['POSTGRES_DB']}")
