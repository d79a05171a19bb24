"""The jenkins integration's check: one call of the Jenkins JSON API per monitor, through one shared
``httpx.Client`` per run (thread-safe: the runner checks monitors in a thread pool).

A monitor's ``external_reference`` is the job's full name, its folders and its name separated by
``/`` (``team/backend/deploy``, as Jenkins shows it under "Full project name"). It is read at
``<JENKINS_URL>/job/team/job/backend/job/deploy/api/json`` (each name URL-quoted) with a ``tree``
asking only for what the mapping needs: the job's class and its last completed build.

The mapping (0.22's): SUCCESS is ``ok``, UNSTABLE ``warning``, FAILURE ``alert``, and the monitor's
``external_link`` becomes the job's page; ABORTED, NOT_BUILT or no completed build yet say nothing
(the monitor keeps its status). A folder, a job
that does not exist, refused credentials, an unreachable or failing Jenkins are failures: the
runner logs and counts them, the monitor keeps its status, never an ``alert`` (a Jenkins that does
not answer says nothing about the job's builds).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from prodmanager.integrations import Verdict
from prodmanager.version import __version__

# httpx (18 MB) is imported by the functions of a run (open_client first), so only the process that
# runs checks loads it, not every web process.
if TYPE_CHECKING:
  import httpx

log = logging.getLogger(__name__)

RESULTS = {"SUCCESS": "ok", "UNSTABLE": "warning", "FAILURE": "alert"}
# Jenkins items that hold jobs and have no builds of their own. Any item without a
# lastCompletedBuild property is treated the same (another plugin's folder type).
FOLDER_CLASSES = frozenset(
  {
    "com.cloudbees.hudson.plugins.folder.Folder",
    "jenkins.branch.OrganizationFolder",
    "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
  }
)
JOB_TREE = "_class,url,lastCompletedBuild[number,result,url]"
ROOT_TREE = "_class"


class JenkinsError(Exception):
  """Jenkins gave no usable answer about a job (or none at all): the check fails."""


@dataclass(frozen=True)
class Jenkins:
  """A run's connection to Jenkins: ``context.state`` of the checks."""

  client: httpx.Client
  url: str
  timeout: float
  username: str


def job_path(reference: str) -> str:
  """The path of the job ``folder/sub/job`` under JENKINS_URL: ``/job/folder/job/sub/job/job/``."""
  names = reference.strip().strip("/").split("/")
  if not all(name.strip() for name in names):
    raise ValueError(
      f"external_reference {reference!r}: expected the job's full name, its folders and its name "
      "separated by / (team/backend/deploy)"
    )
  return "".join(f"/job/{quote(name, safe='')}" for name in names) + "/"


def open_client(context) -> Jenkins:
  """The run's client, once Jenkins answered with these credentials (one call per run, so that a
  wrong token or address is one clear error for every monitor rather than one refusal each)."""
  settings = context.settings
  url = settings["prodmanager.jenkins.url"]
  if not url:
    raise JenkinsError(
      "JENKINS_URL is not set (INI key prodmanager.jenkins.url): the address of Jenkins, "
      "such as https://ci.example.com/"
    )
  username = settings["prodmanager.jenkins.username"]
  token = settings["prodmanager.jenkins.token"]
  if bool(username) != bool(token):
    raise JenkinsError(
      "JENKINS_USERNAME and JENKINS_TOKEN go together: set both (a user and an API token of "
      "that user), or neither for anonymous read access"
    )
  import httpx  # see the imports at the top

  verify = settings["prodmanager.jenkins.verify_cert"]
  timeout = settings["prodmanager.jenkins.timeout"]
  # trust_env=False: the process's HTTP_PROXY, HTTPS_PROXY (the http integration's settings),
  # NO_PROXY or SSL_CERT_FILE never change how Jenkins is reached.
  client = httpx.Client(
    base_url=url,
    auth=(username, token) if username else None,
    timeout=timeout,
    verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
    follow_redirects=False,
    trust_env=False,
    headers={"User-Agent": f"ProdManager/{__version__} (jenkins integration)", "Accept": "application/json"},
  )
  jenkins = Jenkins(client, url, timeout, username)
  try:
    response = fetch(jenkins, "/api/json", ROOT_TREE, f"Jenkins at {url}")
    if response is None:
      raise JenkinsError(f"Jenkins at {url}: no JSON API there (HTTP 404): check JENKINS_URL")
  except Exception:
    client.close()
    raise
  return jenkins


def close_client(jenkins: Jenkins) -> None:
  jenkins.client.close()


def fetch(jenkins: Jenkins, path: str, tree: str, what: str) -> dict | None:
  """The JSON object at ``path`` (None for a 404); every other failure is a JenkinsError."""
  import httpx  # loaded by open_client (see the imports at the top)

  try:
    response = jenkins.client.get(path, params={"tree": tree})
  except httpx.TimeoutException as error:
    raise JenkinsError(
      f"{what}: no answer within {jenkins.timeout:g} s (JENKINS_TIMEOUT; {error.__class__.__name__})"
    ) from None
  except httpx.HTTPError as error:
    raise JenkinsError(f"{what}: {error.__class__.__name__}: {error}") from None
  status = response.status_code
  if status == 404:
    return None
  if status == 401:
    raise JenkinsError(
      f"Jenkins at {jenkins.url} refused the credentials (HTTP 401): check JENKINS_USERNAME and JENKINS_TOKEN"
    )
  if status == 403:
    who = f"user {jenkins.username!r}" if jenkins.username else "anonymous access (no JENKINS_USERNAME)"
    raise JenkinsError(f"{what}: Jenkins refused read access to {who} (HTTP 403)")
  if response.is_redirect:
    raise JenkinsError(
      f"{what}: HTTP {status} to {response.headers.get('Location', '?')}: "
      "set JENKINS_URL to the address Jenkins answers on"
    )
  if status != 200:
    raise JenkinsError(f"{what}: HTTP {status}")
  try:
    data = response.json()
  except ValueError:
    data = None
  if not isinstance(data, dict):
    raise JenkinsError(f"{what}: the answer is not a JSON object (is JENKINS_URL the address of Jenkins?)")
  return data


def check(context, monitor):
  """One monitor's answer: None without a job path or without a result to map; a failure for a
  job path that is not usable, a folder, a missing job or a Jenkins that does not answer."""
  reference = (monitor.external_reference or "").strip()
  if not reference:
    return None
  jenkins: Jenkins = context.state
  path = job_path(reference)
  job = fetch(jenkins, f"{path}api/json", JOB_TREE, f"job {reference!r}")
  if job is None:
    raise JenkinsError(f"no job {reference!r} in Jenkins (HTTP 404)")
  kind = job.get("_class", "")
  if kind in FOLDER_CLASSES or "lastCompletedBuild" not in job:
    raise JenkinsError(
      f"{reference!r} is a folder ({kind or 'no builds'}), not a job: give the full name of a job inside it"
    )
  build = job["lastCompletedBuild"]
  if not isinstance(build, dict):
    return None  # never built, or only running: nothing to say yet
  result = build.get("result")
  status = RESULTS.get(result)
  if status is None:
    # ABORTED, NOT_BUILT: the build says nothing about the job's health (0.22 kept the status too).
    log.info("jenkins: job %r build #%s ended %s: status kept", reference, build.get("number"), result)
    return None
  # The job's page as 0.22 linked it: under JENKINS_URL (Jenkins's own "url" is its configured
  # root URL, which may be unset or differ from the address this installation reaches it at).
  return Verdict(status, f"build #{build.get('number')} {result}", link=f"{jenkins.url}{path}")
