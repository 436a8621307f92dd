// lvsd's status page: fetches the summary's tables every few seconds and swaps them in place.
// The page is whole without this script; it only keeps it current without a reload.
"use strict";
(function () {
  const live = document.getElementById("live");
  const main = document.getElementById("status");
  if (!live || !main) {
    return;
  }
  const every = Number(live.dataset.pollMs) || 2000;
  let failures = 0;

  function stamp() {
    return new Date().toLocaleTimeString();
  }

  async function refresh() {
    try {
      const r = await fetch("/?part=main", { cache: "no-store" });
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      main.innerHTML = await r.text();
      failures = 0;
      live.textContent = "read-only; live, updated " + stamp();
      live.className = "";
    } catch (e) {
      failures++;
      live.textContent = "read-only; the director did not answer (" + e.message + ") at " + stamp()
        + "; what you see may be stale";
      live.className = "stale";
    }
  }

  live.textContent = "read-only; live, updated " + stamp();
  setInterval(refresh, every);
})();
