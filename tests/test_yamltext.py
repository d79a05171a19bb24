"""YAML files read once per process by content (prodmanager.yamltext)."""

import datetime as dt
import os

from prodmanager import yamltext


def test_a_file_is_read_again_when_it_changes_and_each_reader_gets_its_own_copy(tmp_path):
  path = tmp_path / "fragment.yaml"
  path.write_text("paths:\n  /api/thing: {get: {summary: Things}}\n", encoding="utf-8")
  first = yamltext.load_file(path)
  first["paths"]["/api/thing"]["get"]["summary"] = "changed by its reader"
  assert yamltext.load_file(path) == {"paths": {"/api/thing": {"get": {"summary": "Things"}}}}
  path.write_text("paths: {}\nextra: [1, 2.5, true, null]\n", encoding="utf-8")
  stat = path.stat()
  os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later modification time
  assert yamltext.load_file(path) == {"paths": {}, "extra": [1, 2.5, True, None]}


def test_values_json_cannot_hold_are_read_as_yaml_says_each_time(tmp_path):
  path = tmp_path / "dates.yaml"
  path.write_text("released: 2026-12-02\n", encoding="utf-8")
  assert yamltext.load_file(path) == yamltext.load_file(path) == {"released": dt.date(2026, 12, 2)}


def test_the_dump_reads_back_to_the_same_data():
  data = {"b": "été", "a": [1, {"on": "yes", "200": None}], "quoted": "123"}
  text = yamltext.dump(data)
  assert "été" in text and text.index("b:") < text.index("a:")  # non-ASCII as is, order kept
  assert yamltext.load(text) == data
