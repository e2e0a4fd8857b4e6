// Frame scrubber of the review page. Every position is a frame index of the decoded stream:
// the shown image is the stored frame N itself, and times come from the decoder's offsets
// (sent by the server), never from currentTime x fps.
// One scrubber at a time: the review page and the clip view render it with the page; the adjudication
// page swaps one in (htmx) for the question chosen, and the newest one takes the keys.
(() => {
  let active = null;

  function mount(root, data) {
    const slider = root.querySelector("#frame-slider");
    const image = root.querySelector("#frame-image");
    const readout = { number: root.querySelector("#frame-number"), time: root.querySelector("#frame-time") };
    const video = root.querySelector("#clip");
    const playButton = root.querySelector('[data-action="play"]');
    const last = data.frameCount - 1;
    const modelFrames = [...new Set(Object.values(data.modelFrames).flat())].sort((a, b) => a - b);
    const stored = (i) => i - (i % data.stride);
    const urlOf = (i) => data.frameUrl.replace("{index}", String(stored(i)));
    const preloaded = new Map();
    let current = 0;
    let playing = false;
    // positions come as data (a strict CSP allows no style attributes in the page's HTML)
    for (const mark of root.querySelectorAll(".mark[data-left]")) mark.style.left = `${mark.dataset.left}%`;

    function preload(i) {
      if (!preloaded.has(i)) {
        const img = new Image();
        img.src = urlOf(i);
        preloaded.set(i, img);
      }
    }

    function show(index) {
      current = Math.max(0, Math.min(last, index));
      slider.value = String(current);
      readout.number.textContent = String(current);
      readout.time.textContent = data.offsets[current].toFixed(3);
      root.dataset.frame = String(current);
      if (!playing) {
        image.src = urlOf(current);
        image.alt = `frame ${current}`;
        image.dataset.frame = String(current);
      }
      for (const button of root.querySelectorAll(".model-frame")) {
        button.classList.toggle("current", Number(button.dataset.frame) === current);
      }
    }

    // The frame on screen at media time t: the last one whose offset is not after t.
    function frameAt(t) {
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (data.offsets[mid] <= t + 0.0005) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    }

    function followVideo() {
      if (!playing) return;
      const update = (_now, metadata) => {
        if (!playing) return;
        show(frameAt(metadata ? metadata.mediaTime : video.currentTime));
        followVideo();
      };
      if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(update);
      else requestAnimationFrame(() => update(0, null));
    }

    function play() {
      if (!video || playing) return;
      playing = true;
      video.currentTime = data.offsets[current];
      video.hidden = false;
      image.hidden = true;
      playButton.textContent = "❚❚ Pause";
      video.play().catch(() => pause());
      followVideo();
    }

    function pause() {
      if (!playing) return;
      video.pause();
      playing = false;
      const index = frameAt(video.currentTime);
      video.hidden = true;
      image.hidden = false;
      playButton.textContent = "▶ Play";
      show(index);
    }

    function step(index) {
      pause();
      show(index);
    }

    const neighbour = (direction) => {
      const candidates = modelFrames.filter((i) => (direction > 0 ? i > current : i < current));
      return candidates.length ? candidates[direction > 0 ? 0 : candidates.length - 1] : current;
    };

    const KEYS = {
      " ": () => (playing ? pause() : play()),
      ",": () => step(current - 1),
      ".": () => step(current + 1),
      "[": () => step(neighbour(-1)),
      "]": () => step(neighbour(1)),
    };

    slider.addEventListener("input", () => step(Number(slider.value)));
    playButton.addEventListener("click", () => (playing ? pause() : play()));
    for (const button of root.querySelectorAll("[data-speed]")) {
      button.addEventListener("click", () => {
        if (video) video.playbackRate = Number(button.dataset.speed);
        for (const other of root.querySelectorAll("[data-speed]")) other.setAttribute("aria-pressed", String(other === button));
      });
    }
    root.addEventListener("click", (event) => {
      const button = event.target.closest(".model-frame");
      if (button) step(Number(button.dataset.frame));
    });

    show(0);
    // every stored frame into the browser cache, so stepping never waits for the network
    for (let i = 0; i <= last; i += data.stride) preload(i);
    return {
      current: () => current,
      show: step,
      pause,
      key: (event) => {
        if (/^[0-9]$/.test(event.key)) return () => step(Math.round((Number(event.key) / 10) * last));
        return KEYS[event.key];
      },
    };
  }

  document.addEventListener("keydown", (event) => {
    if (!active || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.matches("input, textarea, select")) return;
    if (event.key === " " && target.matches("button, summary, a")) return; // space presses what is focused
    const action = active.key(event);
    if (action) {
      event.preventDefault();
      action();
    }
  });
  // "set from current frame" on the caption pane (which htmx may swap: listen on the document)
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-set-frame]");
    if (!button || !active) return;
    const input = button.form.elements[button.dataset.setFrame];
    input.value = String(active.current());
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  function mountIn(node) {
    const root = node.id === "scrubber" ? node : node.querySelector && node.querySelector("#scrubber");
    const dataNode = document.getElementById("scrub-data");
    if (!root || !dataNode || root.dataset.mounted) return;
    root.dataset.mounted = "true";
    if (active) active.pause();
    const data = JSON.parse(dataNode.textContent);
    active = mount(root, data);
    // the decoder's offsets travel with it: other scripts (evidence-span.js) show times, never compute them
    window.mabenchScrubber = { current: active.current, show: active.show, offsets: data.offsets, root };
    document.dispatchEvent(new CustomEvent("scrubber:mounted"));
  }

  mountIn(document);
  document.addEventListener("htmx:load", (event) => mountIn(event.detail.elt));
})();
