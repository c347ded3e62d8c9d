// A running run's page polls its progress (the JSON twin of /runs/ID/progress) every 2 s and
// reloads once the run has finished, so its cases and verdicts appear without a manual refresh.
(function () {
  "use strict";
  const el = document.getElementById("progress");
  if (!el || el.dataset.status !== "running") return;
  const bar = document.getElementById("progress-bar");
  const state = document.getElementById("run-status");
  async function poll() {
    try {
      const r = await fetch(`/runs/${encodeURIComponent(el.dataset.run)}/progress.json`,
        { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) return;
      const p = await r.json();
      el.textContent = `${p.done} / ${p.total}`;
      if (bar) { bar.max = p.total; bar.value = p.done; }
      if (state) state.textContent = p.status;
      if (p.status !== "running") { window.location.reload(); return; }
    } catch (e) { /* the server may be restarting: try again */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
