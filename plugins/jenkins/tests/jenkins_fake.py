"""A local server speaking the Jenkins JSON API (the jenkins integration's tests start it).

It is a Jenkins served under the context path ``/jenkins`` (``--prefix=/jenkins``) that refuses
anonymous reads (403) and wrong credentials (401), and answers ``/job/<a>/job/<b>/api/json`` with
the item's properties filtered by the ``tree`` parameter, as Jenkins does: a folder has no
``lastCompletedBuild`` property, a job never built has it ``null``.
"""

import base64
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

USERNAME = "prodmanager"
TOKEN = "11f3c4b2a9d8e7f6a5b4c3d2e1f0a9b8c7"
PREFIX = "/jenkins"
VERSION = "2.479.3"
SLOW_SECONDS = 5
TIMEOUT_SECONDS = "1.5"

FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"
MULTIBRANCH = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
FREESTYLE = "hudson.model.FreeStyleProject"
PIPELINE = "org.jenkinsci.plugins.workflow.job.WorkflowJob"


def job(result, number=7, kind=FREESTYLE):
  """A job whose last completed build (``number``) ended with ``result``; None: never completed."""
  build = None
  if result is not None:
    build = {"_class": "hudson.model.FreeStyleBuild", "number": number, "result": result, "duration": 1234}
  return {
    "_class": kind,
    "description": "",
    "buildable": True,
    "color": "blue",
    "lastBuild": build,
    "lastCompletedBuild": build,
    "healthReport": [],
  }


def folder(kind=FOLDER, **children):
  return {"_class": kind, "description": "", "jobs": children}


def special(behaviour):
  return {"special": behaviour}


# The jobs of the server, by name; folders hold theirs in "jobs".
JOBS = {
  "app": job("SUCCESS"),
  "flaky": job("UNSTABLE"),
  "broken": job("FAILURE", kind=PIPELINE),
  "stopped": job("ABORTED"),
  "skipped": job("NOT_BUILT"),
  "fresh": job(None),
  "team": folder(
    backend=folder(**{"deploy prod": job("FAILURE", 41), "build": job("SUCCESS", 12, PIPELINE)}),
    empty=folder(),
  ),
  "shop": folder(MULTIBRANCH, main=job("SUCCESS", 3, PIPELINE)),
  "error": special("500"),
  "slow": special("slow"),
  "html": special("html"),
  "moved": special("redirect"),
}


def parse_tree(text: str) -> dict:
  """``a,b[c,d]`` as ``{"a": None, "b": {"c": None, "d": None}}``."""
  parts, depth, start = [], 0, 0
  for index, char in enumerate(text):
    if char == "[":
      depth += 1
    elif char == "]":
      depth -= 1
    elif char == "," and depth == 0:
      parts.append(text[start:index])
      start = index + 1
  parts.append(text[start:])
  fields = {}
  for part in filter(None, parts):
    if "[" in part:
      name, inner = part.split("[", 1)
      fields[name] = parse_tree(inner.removesuffix("]"))
    else:
      fields[part] = None
  return fields


def select(value, fields):
  """Jenkins's ``tree`` filter: only the properties asked for (and ``_class``, always given)."""
  if fields is None:
    return value
  if isinstance(value, list):
    return [select(item, fields) for item in value]
  if isinstance(value, dict):
    kept = {key: select(value[key], sub) for key, sub in fields.items() if key in value}
    if "_class" in value:
      kept = {"_class": value["_class"], **kept}
    return kept
  return value


class JenkinsApi(BaseHTTPRequestHandler):
  """``GET /jenkins/api/json`` and ``GET /jenkins/job/<name>(/job/<name>)*/api/json``. Each request
  is recorded in ``server.requests`` as (path, tree, whether it carried the right credentials)."""

  protocol_version = "HTTP/1.1"

  def do_GET(self):  # noqa: N802 - http.server's name
    parts = urlsplit(self.path)
    tree = parse_qs(parts.query).get("tree", [None])[0]
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{TOKEN}".encode()).decode()
    given = self.headers.get("Authorization")
    self.server.requests.append((parts.path, tree, given == expected))
    if given is not None and given != expected:
      return self.answer(401, b"<html>Invalid password/token for user</html>", "text/html", authenticate=True)
    if given is None:
      return self.answer(403, b"<html>Authentication required</html>", "text/html")
    path = parts.path
    if not path.startswith(PREFIX + "/") or not path.endswith("/api/json"):
      return self.answer(404, b"<html>Not Found</html>", "text/html")
    item = self.find(path[len(PREFIX) : -len("/api/json")])
    if item is None:
      return self.answer(404, b"<html>Not Found</html>", "text/html")
    behaviour = item.get("special")
    if behaviour == "500":
      return self.answer(500, b"<html>java.lang.NullPointerException</html>", "text/html")
    if behaviour == "slow":
      time.sleep(SLOW_SECONDS)
    if behaviour == "redirect":
      return self.answer(302, b"", "text/html", location="https://sso.example.com/login")
    if behaviour == "html":
      return self.answer(200, b"<html>Dashboard [Jenkins]</html>", "text/html")
    url = f"{self.server.url}{path[len(PREFIX) : -len('api/json')]}"
    data = self.describe(item, url)
    body = json.dumps(select(data, parse_tree(tree) if tree else None)).encode()
    return self.answer(200, body, "application/json;charset=utf-8")

  def find(self, path: str):
    """The item at ``/job/a/job/b`` (``""``: the root), or None."""
    root = {"_class": "hudson.model.Hudson", "mode": "NORMAL", "jobs": self.server.jobs}
    names = path.split("/")[1:]
    if len(names) % 2 or any(keyword != "job" for keyword in names[::2]):
      return None
    item = root
    for name in names[1::2]:
      item = item.get("jobs", {}).get(unquote(name))
      if item is None:
        return None
    return item

  def describe(self, item: dict, url: str) -> dict:
    data = {key: value for key, value in item.items() if key != "jobs"}
    data["url"] = url
    if isinstance(data.get("lastCompletedBuild"), dict):
      build = dict(data["lastCompletedBuild"], url=f"{url}{data['lastCompletedBuild']['number']}/")
      data["lastCompletedBuild"] = data["lastBuild"] = build
    if "jobs" in item:
      data["jobs"] = [
        {"_class": child.get("_class", FREESTYLE), "name": name, "url": f"{url}job/{name}/"}
        for name, child in item["jobs"].items()
      ]
    return data

  def answer(self, status: int, body: bytes, content_type: str, authenticate: bool = False, location=None):
    self.send_response(status)
    if location:
      self.send_header("Location", location)
    self.send_header("Content-Type", content_type)
    self.send_header("X-Jenkins", VERSION)
    if authenticate:
      self.send_header("WWW-Authenticate", 'Basic realm="Jenkins"')
    self.send_header("Content-Length", str(len(body)))
    self.end_headers()
    self.wfile.write(body)

  def log_message(self, format, *args):  # noqa: A002 - quiet test output
    pass


class Server(ThreadingHTTPServer):
  daemon_threads = True

  def __init__(self, address, handler):
    super().__init__(address, handler)
    self.requests: list[tuple[str, str | None, bool]] = []
    self.jobs = copy.deepcopy(JOBS)
    self.url = ""

  def set_result(self, name: str, result: str | None, number: int = 8) -> None:
    """Job ``name`` (at the root) has a new last completed build."""
    self.jobs[name] = job(result, number, self.jobs[name]["_class"])


def serve(context=None, scheme="http"):
  server = Server(("127.0.0.1", 0), JenkinsApi)
  if context is not None:
    server.socket = context.wrap_socket(server.socket, server_side=True)
  server.url = f"{scheme}://127.0.0.1:{server.server_address[1]}{PREFIX}"
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  return server, thread


def stop(server, thread):
  server.shutdown()
  server.server_close()
  thread.join(5)


def jenkins_settings(url: str, **overrides) -> dict:
  """The INI settings of an application pointed at the server at ``url``, with its credentials."""
  return {
    "jenkins.url": url,
    "jenkins.username": USERNAME,
    "jenkins.token": TOKEN,
    "jenkins.timeout": TIMEOUT_SECONDS,
    **overrides,
  }
