// Auto-reload, switched on from the footer (a cookie; the page then carries data-auto-reload="60").
// Reloads every N seconds and puts the page back where the visitor had scrolled; never while they
// are typing in a field or have changed one (an operator's half-written comment is not lost).
(function () {
  "use strict";
  var key = "pm-scroll:" + location.pathname + location.search;
  var saved = null;
  try { saved = sessionStorage.getItem(key); sessionStorage.removeItem(key); } catch (error) { saved = null; }
  if (saved !== null) {
    var y = parseInt(saved, 10);
    if (!isNaN(y)) { window.scrollTo(0, y); }
  }
  var seconds = parseInt(document.body.getAttribute("data-auto-reload"), 10);
  if (!seconds || seconds < 5) { return; }

  function busy() {
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== "checkbox") { return true; }
    var fields = document.querySelectorAll("textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value !== fields[i].defaultValue) { return true; }
    }
    return false;
  }

  function tick() {
    if (busy() || document.hidden) { window.setTimeout(tick, seconds * 1000); return; }
    try { sessionStorage.setItem(key, String(Math.round(window.scrollY))); } catch (error) { /* private mode */ }
    location.reload();
  }

  window.setTimeout(tick, seconds * 1000);
})();
