"""``make bench``: serve generated data with the production configuration and measure it with wrk.

  python bench/run.py --sizes medium,large --backends sqlite,postgresql --duration 10

For each backend and size: the data of bench/generate.py (generated once, kept in bench/data/ or
in the PostgreSQL database ``pm_bench_<size>``; each run serves a fresh copy), ``prodmanager serve --config production.ini``
with ``PM_MODE=production``, then ``wrk -t2 -c16 --latency`` on every URL of quality.md, a mixed run
(64 clients, 5 % writes: ``POST /api/incident`` with a token) during which a probe measures the
latency of incident creation one request at a time, and the resident memory (RSS) of each server
process. The table is printed and written to ``bench/results/<date>-<machine>.md``.

Figures from a shared machine are noisy: compare the rows of one run (ratios), not runs.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402 - bench/ is a folder of scripts, not a package

POSTGRES = os.environ.get("PM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")
# Databases are named <prefix><size>: several checkouts sharing a server keep theirs apart.
POSTGRES_PREFIX = os.environ.get("PM_BENCH_DATABASE_PREFIX", "pm_bench_")
URLS = [
  "/",
  "/incident",
  "/incident/{incident}",
  "/scope/{scope}",
  "/maintenance",
  "/api/incident?per_page=50",
  "/api/v2/summary.json",
  "/history.atom",
  "/badge.svg",
  "/health",
]
# The mixed run: 64 clients; 5 % of the requests create an incident, the others read public pages.
MIXED_LUA = """
local reads = {READS}
local body = '{BODY}'
local token = '{TOKEN}'
local counts = {{}}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  writes, errors = 0, 0
end

function request()
  if math.random() < 0.05 then
    writes = writes + 1
    return wrk.format("POST", "/api/incident", {{
      ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}}, body)
  end
  return wrk.format("GET", reads[math.random(#reads)])
end

function response(status, headers, body)
  if status >= 500 then errors = errors + 1 end
end

function done(summary, latency, requests)
  local w, e = 0, 0
  for _, thread in ipairs(threads) do
    w = w + thread:get("writes")
    e = e + thread:get("errors")
  end
  io.write(string.format("MIXED writes=%d errors5xx=%d\\n", w, e))
end
"""


def free_port() -> int:
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def database_uri(backend: str, size: str) -> str:
  if backend == "sqlite":
    (HERE / "data").mkdir(exist_ok=True)
    return f"sqlite:///{HERE / 'data' / f'{size}.sqlite'}"
  import psycopg2

  name = f"{POSTGRES_PREFIX}{size}"
  connection = psycopg2.connect(POSTGRES + "postgres")
  connection.autocommit = True
  with connection.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if not cursor.fetchone():
      cursor.execute(f'CREATE DATABASE "{name}"')
  connection.close()
  return POSTGRES + name


def working_copy(backend: str, size: str, uri: str) -> str:
  """A copy of the generated data for one run: the mixed run creates incidents (each one open, and
  shown by the dashboard and the summaries), and a run on the data a former run left would measure
  more work than the one before it."""
  if backend == "sqlite":
    import sqlite3

    source = Path(uri.removeprefix("sqlite:///"))
    target = source.with_name(f"{source.stem}-run.sqlite")
    # The former run's copy goes with its write-ahead log: a new file beside an old log is a
    # malformed database. SQLite's backup copies what the source's own log holds too.
    for path in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
      path.unlink(missing_ok=True)
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
      original.backup(copy)
    original.close()
    copy.close()
    return f"sqlite:///{target}"
  import psycopg2

  name, copy = f"{POSTGRES_PREFIX}{size}", f"{POSTGRES_PREFIX}{size}_run"
  connection = psycopg2.connect(POSTGRES + "postgres")
  connection.autocommit = True
  with connection.cursor() as cursor:
    # A template must have no session: a former server or generator may have left one.
    cursor.execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
      (name,),
    )
    cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
  connection.close()
  return POSTGRES + copy


def server_env(uri: str, extra: dict) -> dict:
  return {
    **os.environ,
    "PM_MODE": "production",
    "PM_SECRET_KEY": "bench-" + secrets.token_hex(24),
    "PM_DATABASE_URI": uri,
    "PM_STANDALONE": "true",
    **extra,
  }


class Server:
  """``prodmanager serve`` with the production INI, on a free port, until stopped."""

  def __init__(self, uri: str, extra_env: dict, serve_args: list[str]):
    self.port = free_port()
    self.env = server_env(uri, extra_env)
    self.log = tempfile.NamedTemporaryFile(prefix="pm-bench-", suffix=".log", delete=False)
    command = [str(BIN / "prodmanager"), "serve", "--config", str(ROOT / "production.ini")]
    command += ["--host", "127.0.0.1", "--port", str(self.port), *serve_args]
    self.process = subprocess.Popen(
      command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    self.base = f"http://127.0.0.1:{self.port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
      if self.process.poll() is not None:
        raise RuntimeError(f"server exited: see {self.log.name}")
      try:
        urllib.request.urlopen(self.base + "/health", timeout=2).read()
        return
      except (urllib.error.URLError, ConnectionError, TimeoutError):
        time.sleep(0.5)
    self.stop()
    raise RuntimeError(f"server did not answer in 120 s: see {self.log.name}")

  def pids(self) -> list[int]:
    """The server's process and its children (the worker processes, when several)."""
    found, todo = [], [self.process.pid]
    while todo:
      pid = todo.pop()
      found.append(pid)
      try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
      except OSError:
        children = []
      todo.extend(int(child) for child in children)
    return found

  def rss(self) -> list[tuple[int, int, int, int, int]]:
    """(pid, RSS, peak RSS, PSS, USS) in MB of every server process.

    RSS counts every page a process maps, the pages forked workers still share with the supervisor
    (copy-on-write) included, in each of them: summed over the processes it counts those pages
    several times. PSS divides each shared page among the processes that map it, and USS counts only
    the pages of the process alone (what stopping it would free): the honest per-process figures.
    """
    rows = []
    for pid in self.pids():
      try:
        status = Path(f"/proc/{pid}/status").read_text()
      except OSError:
        continue
      values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
      try:
        rollup = dict(re.findall(r"^(\w+):\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M))
      except OSError:  # before Linux 4.14, or another user's process
        rollup = {}
      pss = int(rollup.get("Pss", 0)) // 1024
      uss = (int(rollup.get("Private_Clean", 0)) + int(rollup.get("Private_Dirty", 0))) // 1024
      rss, peak = int(values.get("VmRSS", 0)) // 1024, int(values.get("VmHWM", 0)) // 1024
      rows.append((pid, rss, peak, pss, uss))
    return rows

  def cpu_seconds(self) -> float:
    """CPU time (user and system) the server processes used so far: robust to a shared machine."""
    total = 0
    for pid in self.pids():
      try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
      except OSError:
        continue
      total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")

  def get_json(self, path: str):
    with urllib.request.urlopen(self.base + path, timeout=30) as response:
      return json.load(response)

  def stop(self):
    self.process.terminate()
    try:
      self.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
      self.process.kill()
      self.process.wait()


def parse_wrk(output: str) -> dict:
  def duration(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

  result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
  for percent in ("50", "99"):
    match = re.search(rf"^\s+{percent}(?:\.000)?%\s+(\S+)", output, re.M)
    result[f"p{percent}"] = duration(match.group(1)) if match else None
  match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
  result["non2xx"] = int(match.group(1)) if match else 0
  match = re.search(r"(\d+) requests in", output)
  result["requests"] = int(match.group(1)) if match else 0
  match = re.search(r"MIXED writes=(\d+) errors5xx=(\d+)", output)
  if match:
    result["writes"], result["errors5xx"] = int(match.group(1)), int(match.group(2))
  return result


def wrk(url: str, duration: int, connections: int = 16, script: str | None = None) -> dict:
  command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
  if script:
    command += ["-s", script]
  output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
  return parse_wrk(output)


def create_token(env: dict) -> str:
  command = [str(BIN / "prodmanager"), "token", "create", "--config", str(ROOT / "production.ini")]
  command += ["--name", "benchmark", "--description", "benchmark writes", "--hours", "24"]
  command += ["--permission", "incident_api"]
  return subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def write_probe(
  server: Server, token: str, body: bytes, stop: threading.Event, timings: list, statuses: list
):
  """Incident creations one at a time (one every 200 ms) while the mixed load runs: their latency."""
  while not stop.is_set():
    request = urllib.request.Request(
      server.base + "/api/incident",
      data=body,
      method="POST",
      headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    started = time.perf_counter()
    try:
      with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        statuses.append(response.status)
    except urllib.error.HTTPError as error:
      statuses.append(error.code)
    except (urllib.error.URLError, OSError):
      statuses.append(0)
    timings.append((time.perf_counter() - started) * 1000)
    stop.wait(0.2)


def health_probe(server: Server, stop: threading.Event, timings: list):
  """``GET /health`` every 100 ms while the mixed load runs: slow renders must not starve it."""
  while not stop.is_set():
    started = time.perf_counter()
    try:
      urllib.request.urlopen(server.base + "/health", timeout=30).read()
    except (urllib.error.URLError, OSError):
      pass
    timings.append((time.perf_counter() - started) * 1000)
    stop.wait(0.1)


def mixed(server: Server, paths: list[str], duration: int) -> dict:
  token = create_token(server.env)
  body = json.dumps(
    {"name": "Benchmark incident", "scope": 1, "service": 1, "severity": "minor", "description": "load test"}
  )
  script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
  reads = "{" + ", ".join(json.dumps(path) for path in paths if path != "/health") + "}"
  script.write(MIXED_LUA.format(READS=reads, BODY=body, TOKEN=token))
  script.close()
  stop, timings, statuses = threading.Event(), [], []
  probe = threading.Thread(target=write_probe, args=(server, token, body.encode(), stop, timings, statuses))
  health = []
  health_thread = threading.Thread(target=health_probe, args=(server, stop, health))
  probe.start()
  health_thread.start()
  cpu = server.cpu_seconds()
  try:
    result = wrk(server.base + "/", duration, connections=64, script=script.name)
    cpu = server.cpu_seconds() - cpu
  finally:
    stop.set()
    probe.join()
    health_thread.join()
    os.unlink(script.name)
  served = result["requests"] + len(timings) + len(health)
  result["cpu_ms_per_request"] = cpu * 1000 / served if served else None
  result["write_p50"] = statistics.median(timings) if timings else None
  result["health_p50"] = statistics.median(health) if health else None
  result["health_max"] = max(health) if health else None
  result["write_statuses"] = sorted(set(statuses))
  result["rss"] = server.rss()
  return result


def run(
  backend: str,
  size: str,
  duration: int,
  serve_args: list[str],
  extra_env: dict,
  skip_mixed: bool,
  only_mixed: bool,
) -> dict:
  generated = database_uri(backend, size)
  print(f"== {backend} {size}: {generate(generated, size)}", flush=True)
  uri = working_copy(backend, size, generated)
  server = Server(uri, extra_env, serve_args)
  try:
    listing = server.get_json("/api/incident?per_page=1")
    incident = (listing if isinstance(listing, list) else listing["items"])[0]["id"]
    ids = {"incident": incident, "scope": 1}
    rows = {}
    for template in [] if only_mixed else URLS:
      path = template.format(**ids)
      # One request first, timed apart: the render that fills the cache (the figures below are
      # those of the readers that follow it, until the next write).
      started = time.perf_counter()
      urllib.request.urlopen(server.base + path, timeout=120).read()
      first = (time.perf_counter() - started) * 1000
      rows[template] = wrk(server.base + path, duration)
      rows[template]["first"] = first
      row = rows[template]
      print(
        f"{backend:10} {size:7} {template:28} {row['rps']:9.1f} rps  p50 {row['p50']} ms  p99 {row['p99']} ms",
        flush=True,
      )
    paths = [template.format(**ids) for template in URLS]
    result = {"rows": rows, "rss_idle": server.rss()}
    if not skip_mixed:
      result["mixed"] = mixed(server, paths, duration)
      print(f"{backend:10} {size:7} mixed {result['mixed']}", flush=True)
    return result
  finally:
    server.stop()


def fmt(value, digits=0):
  return "—" if value is None else f"{value:,.{digits}f}"


def report(results: dict, args, started: dt.datetime) -> str:
  load = os.getloadavg()
  lines = [
    f"# Benchmark {started:%Y-%m-%d %H:%M} UTC on {platform.node()}",
    "",
    f"- Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python "
    f"{platform.python_version()}; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    " (the machine is shared: other work ran during the measurement, compare rows of one run).",
    f"- Server: `prodmanager serve --config production.ini {' '.join(args.serve_args)}` (PM_MODE=production)"
    + (f", environment {args.env}" if args.env else ""),
    f"- Load: `wrk -t2 -c16 -d{args.duration}s --latency` per URL; mixed run: 64 connections, 5 % "
    "`POST /api/incident`, plus one probe creating an incident every 200 ms (its p50 is the write latency) and one asking for `/health` every 100 ms.",
    "",
  ]
  for (backend, size), result in results.items():
    lines += [
      f"## {backend}, {size}",
      "",
      "| URL | requests/s | p50 ms | p99 ms | non-2xx | first request ms |",
      "|---|---|---|---|---|---|",
    ]
    for template, row in result["rows"].items():
      lines.append(
        f"| `{template}` | {fmt(row['rps'])} | {fmt(row['p50'], 2)} | {fmt(row['p99'], 2)} | {row['non2xx']} "
        f"| {fmt(row.get('first'))} |"
      )
    rows = result["rows"]
    health = rows["/health"]["rps"] if rows else 0
    if health:
      summary = rows["/api/v2/summary.json"]["rps"]
      home = rows["/"]["rps"]
      lines += [
        "",
        f"`/` ÷ `/health`: {home / health:.2f}; `/api/v2/summary.json` ÷ `/health`: {summary / health:.2f}.",
      ]
    idle = result.get("rss_idle")
    if idle:
      lines += [
        "",
        "Memory per server process before the mixed run: "
        + ", ".join(
          f"pid {pid}: RSS {rss} MB, PSS {pss} MB, USS {uss} MB" for pid, rss, _peak, pss, uss in idle
        )
        + ".",
      ]
    mixed_run = result.get("mixed")
    if mixed_run:
      lines += [
        "",
        f"Mixed (64 clients, 5 % writes): {fmt(mixed_run['rps'])} requests/s, p50 {fmt(mixed_run['p50'], 1)} ms, "
        f"p99 {fmt(mixed_run['p99'], 1)} ms, {mixed_run['requests']:,} requests of which "
        f"{mixed_run.get('writes', 0):,} writes, {mixed_run.get('errors5xx', 0)} 5xx; "
        f"create incident p50 {fmt(mixed_run['write_p50'], 1)} ms (statuses {mixed_run['write_statuses']}); "
        f"`/health` meanwhile p50 {fmt(mixed_run.get('health_p50'), 1)} ms, slowest {fmt(mixed_run.get('health_max'), 1)} ms; "
        f"server CPU {fmt(mixed_run.get('cpu_ms_per_request'), 1)} ms per request.",
        "",
        "Memory per server process after the mixed run (RSS, its peak; PSS and USS, which do not "
        "count the pages shared with the other processes in each of them): "
        + ", ".join(
          f"pid {pid}: RSS {rss} MB (peak {peak} MB), PSS {pss} MB, USS {uss} MB"
          for pid, rss, peak, pss, uss in mixed_run["rss"]
        )
        + ".",
      ]
    lines.append("")
  return "\n".join(lines + size_ratios(results))


def size_ratios(results: dict) -> list[str]:
  """Per backend measured on several sizes: each URL's p50 by size, and large ÷ medium, large ÷ small
  (quality.md: a public page's p50 on large data is at most 1.5 times that on small)."""
  lines = []
  for backend in dict.fromkeys(backend for backend, _ in results):
    sizes = [size for size in ("small", "medium", "large") if results.get((backend, size), {}).get("rows")]
    if len(sizes) < 2:
      continue
    ratios = [
      (a, b)
      for a, b in (("large", "medium"), ("large", "small"), ("medium", "small"))
      if {a, b} <= set(sizes)
    ]
    lines += [
      f"## {backend}: p50 by data size",
      "",
      "| URL | "
      + " | ".join(f"{size} p50 ms" for size in sizes)
      + " | "
      + " | ".join(f"{a} ÷ {b}" for a, b in ratios)
      + " |",
      "|---|" + "---|" * (len(sizes) + len(ratios)),
    ]
    for template in URLS:
      p50 = {size: results[(backend, size)]["rows"].get(template, {}).get("p50") for size in sizes}
      cells = [fmt(p50[size], 2) for size in sizes]
      cells += [fmt(p50[a] / p50[b], 2) if p50[a] and p50[b] else "" for a, b in ratios]
      lines.append(f"| `{template}` | " + " | ".join(cells) + " |")
    lines.append("")
  return lines


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sizes", default="medium", help="comma-separated: small, medium, large")
  parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
  parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
  parser.add_argument("--no-mixed", action="store_true", help="skip the mixed run")
  parser.add_argument("--only-mixed", action="store_true", help="the mixed run only (no run per URL)")
  parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server, repeatable")
  parser.add_argument("--output", help="results file (default: bench/results/<date>-<machine>.md)")
  parser.add_argument("serve_args", nargs="*", help="extra `prodmanager serve` arguments (after --)")
  args = parser.parse_args(argv)
  if not shutil.which("wrk"):
    print("wrk is missing: apt-get install wrk (Debian/Ubuntu), or `make bench` as root", file=sys.stderr)
    return 2
  started = dt.datetime.now(dt.UTC)
  extra_env = dict(item.split("=", 1) for item in args.env)
  results = {}
  for backend in args.backends.split(","):
    for size in args.sizes.split(","):
      results[(backend, size)] = run(
        backend, size, args.duration, args.serve_args, extra_env, args.no_mixed, args.only_mixed
      )
  text = report(results, args, started)
  output = Path(args.output) if args.output else HERE / "results" / f"{started:%Y-%m-%d}-{platform.node()}.md"
  output.parent.mkdir(exist_ok=True)
  output.write_text(text)
  print(text)
  print(f"written to {output}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
