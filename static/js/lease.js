// Keeps the lease on the clip while its review page is open: a heartbeat every few seconds of a
// visible page (the server renews only a lease that is still the person's). Once the server says the
// clip is no longer theirs, the page says so and stops: decisions would be refused anyway.
(function () {
  const keeper = document.getElementById("lease-keeper");
  if (!keeper) return;
  const url = keeper.dataset.heartbeatUrl;
  const every = 1000 * Number(keeper.dataset.heartbeatSeconds || 60);
  const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  let timer = null;

  function lost(message) {
    clearInterval(timer);
    const banner = document.getElementById("lease-lost");
    if (banner) {
      banner.textContent = message;
      banner.hidden = false;
    }
  }

  async function beat() {
    if (document.visibilityState !== "visible") return;
    try {
      const response = await fetch(url, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" });
      if (response.status === 409) lost((await response.json()).error);
    } catch (error) {
      // offline for a moment: the next beat tries again
    }
  }

  timer = setInterval(beat, every);
  document.addEventListener("visibilitychange", beat);
})();
