"""prodmanager.fragments: rendered pieces kept by their content, within a budget."""

from prodmanager.fragments import Fragments


def counting(text):
  calls = []

  def render():
    calls.append(text)
    return text

  return render, calls


def test_a_fragment_is_rendered_once_per_key():
  kept = Fragments(budget=100)
  render, calls = counting("<li>a</li>")
  assert kept.get(("a",), render) == "<li>a</li>"
  assert kept.get(("a",), render) == "<li>a</li>"
  assert calls == ["<li>a</li>"]
  assert (kept.hits, kept.misses) == (1, 1)
  other, other_calls = counting("<li>b</li>")
  assert kept.get(("b",), other) == "<li>b</li>"
  assert other_calls == ["<li>b</li>"]


def test_the_least_recently_used_go_beyond_the_budget():
  kept = Fragments(budget=45)
  for key in "abcde":
    kept.get(key, lambda key=key: key * 10)
  # 50 characters > 45: "a" went first.
  assert list(kept.entries) == ["b", "c", "d", "e"]
  assert kept.used == 40
  kept.get("b", lambda: "never rendered")
  kept.get("f", lambda: "f" * 10)
  assert list(kept.entries) == ["d", "e", "b", "f"]


def test_a_fragment_too_large_for_its_share_is_not_kept():
  kept = Fragments(budget=100)
  render, calls = counting("x" * 30)
  kept.get("big", render)
  kept.get("big", render)
  assert len(calls) == 2
  assert not kept.entries


def test_nothing_is_kept_while_templates_reload():
  kept = Fragments(enabled=False)
  render, calls = counting("<li>a</li>")
  kept.get("a", render)
  kept.get("a", render)
  assert len(calls) == 2


def test_clear_forgets_every_fragment():
  kept = Fragments(budget=100)
  kept.get("a", lambda: "<li>a</li>")
  kept.clear()
  assert not kept.entries and kept.used == 0
  render, calls = counting("<li>a</li>")
  kept.get("a", render)
  assert calls == ["<li>a</li>"]
