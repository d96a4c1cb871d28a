/* app.js - pdfpipe's web console: jobs, one job, workers, submit & preview.

   Plain JavaScript, no framework and nothing fetched from elsewhere. Every
   datum comes from the HTTP API (docs/api.md) with the token this tab was
   given (sessionStorage), asked for when the API answers 401. Pages are
   hash routes (#/jobs, #/job/<id>, #/workers, #/submit); the page shown
   polls the API while it is shown and stops when another one is. Nothing
   here writes HTML from data: text goes in with textContent, so a job's
   error or a worker id cannot inject markup, and the page works under the
   ventilator's strict Content-Security-Policy (no inline script or style
   attribute: widths are set through the CSSOM).

   SPDX-License-Identifier: MPL-2.0 */
"use strict";

(function () {
  const TOKEN_KEY = "pdfpipe.token";
  const POLL_MS = 500;          // the page shown is refreshed this often
  const WORKERS_POLL_MS = 2000;
  const PAGE_SIZE = 20;         // jobs per page of the list
  const ACTIVE = ["queued", "rendering", "merging", "storing"];
  const PHASES = ["queued", "rendering", "merging", "storing", "done",
                  "failed", "cancelled"];
  const ENDED = ["done", "failed", "cancelled"];

  const $ = (id) => document.getElementById(id);

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else node.setAttribute(key, value);
      }
    }
    for (const child of children || []) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // ---- formatting ----------------------------------------------------

  const numberFormat = new Intl.NumberFormat("en-US");

  function fmtInt(n) {
    return n == null ? "–" : numberFormat.format(Math.round(n));
  }

  function fmtSeconds(s) {
    if (s == null || !isFinite(s)) return "–";
    if (s < 10) return s.toFixed(1) + " s";
    if (s < 60) return Math.round(s) + " s";
    const m = Math.floor(s / 60), rest = Math.round(s % 60);
    if (m < 60) return m + " min " + rest + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function fmtBytes(b) {
    if (b == null) return "–";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (b >= 1000 && i < units.length - 1) { b /= 1000; i++; }
    return (i === 0 ? b : b.toFixed(1)) + " " + units[i];
  }

  function fmtTime(text) {
    if (!text) return "–";
    const d = new Date(text);
    if (isNaN(d)) return text;
    return d.toLocaleString();
  }

  function fmtAgo(text) {
    if (!text) return "–";
    const s = (Date.now() - Date.parse(text)) / 1000;
    if (!isFinite(s)) return text;
    return s < 1 ? "just now" : fmtSeconds(s) + " ago";
  }

  // ---- the API -------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, field) {
      super(message);
      this.status = status;
      this.field = field || null;
    }
  }

  let tokenPrompt = null;     // the pending prompt, shared by every caller

  function askToken(refused) {
    if (tokenPrompt) return tokenPrompt;
    tokenPrompt = new Promise((resolve) => {
      const dialog = $("token-dialog");
      $("token-error").hidden = !refused;
      $("token-input").value = "";
      const done = (event) => {
        event.preventDefault();
        const token = $("token-input").value.trim();
        if (!token) return;
        sessionStorage.setItem(TOKEN_KEY, token);
        $("token-form").removeEventListener("submit", done);
        dialog.close();
        tokenPrompt = null;
        resolve();
      };
      $("token-form").addEventListener("submit", done);
      dialog.addEventListener("cancel", (event) => event.preventDefault());
      dialog.showModal();
      $("token-input").focus();
    });
    return tokenPrompt;
  }

  // fetch path with the token; on 401 ask for one and try again. Answers
  // the Response when ok, throws ApiError otherwise (its message the
  // API's own, its field the document's field at fault).
  async function api(method, path, options) {
    options = options || {};
    for (;;) {
      const headers = Object.assign({}, options.headers);
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) headers["Authorization"] = "Bearer " + token;
      let response;
      try {
        response = await fetch(path, {
          method, headers, body: options.body, cache: "no-store",
          redirect: options.redirect || "follow",
        });
      } catch (err) {
        throw new ApiError(0, "the ventilator cannot be reached (" + err.message + ")");
      }
      if (response.status === 401) {
        const hadToken = Boolean(token);
        sessionStorage.removeItem(TOKEN_KEY);
        await askToken(hadToken);
        continue;
      }
      if (response.ok) return response;
      let message = response.status + " " + response.statusText, field = null;
      try {
        const body = await response.json();
        if (body && body.error) {
          message = body.error.message || message;
          field = body.error.field || null;
        }
      } catch (err) { /* not JSON: the status says it */ }
      throw new ApiError(response.status, message, field);
    }
  }

  async function apiJson(method, path, options) {
    const response = await api(method, path, options);
    return response.json();
  }

  // ---- progress figures ----------------------------------------------

  // The progress object of a status document; computed from its pages and
  // transitions where the ventilator does not send one.
  function progressOf(job) {
    if (job.progress) return job.progress;
    const now = Date.now();
    const t = job.transitions || {};
    const ended = ENDED.find((s) => t[s]);
    const end = ended ? Date.parse(t[ended]) : now;
    const created = Date.parse(job.created_at);
    const pages = job.pages || {};
    let rate = null, eta = null;
    if (t.rendering && pages.done > 0) {
      const seconds = (end - Date.parse(t.rendering)) / 1000;
      if (seconds > 0) rate = pages.done / seconds;
    }
    if (ended) eta = 0;
    else if (rate) eta = (pages.total - pages.done) / rate;
    return { elapsed_s: (end - created) / 1000, pages_per_s: rate,
             eta_s: eta, phase: job.state };
  }

  function percentOf(job) {
    const pages = job.pages || {};
    if (job.state === "done") return 100;
    if (!pages.total) return 0;
    return Math.floor((100 * pages.done) / pages.total);
  }

  function setBar(bar, label, job) {
    const pct = percentOf(job);
    bar.setAttribute("aria-valuenow", String(pct));
    bar.className = bar.className.replace(/ (done|failed|cancelled)\b/g, "");
    if (ENDED.includes(job.state)) bar.className += " " + job.state;
    bar.querySelector(".fill").style.width = pct + "%";
    if (label) label.textContent = pct + "%";
  }

  function stateBadge(state) {
    return el("span", { className: "state " + state, text: state });
  }

  // ---- routing -------------------------------------------------------

  let current = null;   // the page shown: {stop()}

  function route() {
    const hash = location.hash || "#/jobs";
    const parts = hash.replace(/^#\/?/, "").split("/");
    if (current) current.stop();
    for (const view of document.querySelectorAll(".view")) view.hidden = true;
    const name = parts[0] || "jobs";
    for (const a of document.querySelectorAll("[data-nav]")) {
      a.classList.toggle("active", a.dataset.nav === name ||
                         (name === "job" && a.dataset.nav === "jobs"));
    }
    if (name === "job" && /^[0-9a-f]{32}$/.test(parts[1] || "")) current = jobPage(parts[1]);
    else if (name === "workers") current = workersPage();
    else if (name === "submit") current = submitPage();
    else current = jobsPage();
  }

  // A poller: run fn now and every ms while the page is shown, one call at
  // a time, until fn answers false; errors go to the page's notice (and
  // stop it when they say so).
  function poller(fn, ms, notice) {
    let timer = null, stopped = false;
    async function tick() {
      timer = null;
      try {
        const more = await fn();
        if (notice) notice.hidden = true;
        if (more === false) return;
      } catch (err) {
        if (stopped) return;
        if (notice) {
          notice.textContent = err.message;
          notice.hidden = false;
        }
        if (err.stopPolling) return;
      }
      if (!stopped) timer = setTimeout(tick, ms);
    }
    tick();
    return {
      stop() { stopped = true; if (timer) clearTimeout(timer); },
      now() { if (timer) { clearTimeout(timer); tick(); } },
    };
  }

  function setStatusLine(text) { $("status-line").textContent = text; }

  // ---- cancel ---------------------------------------------------------

  async function cancelJob(id) {
    if (!window.confirm("Cancel job " + id + "? Its pages rendered so far are dropped.")) return false;
    try {
      await api("DELETE", "/v1/jobs/" + id);
      setStatusLine("cancelled " + id.slice(0, 8));
      return true;
    } catch (err) {
      window.alert("Cannot cancel: " + err.message);
      return false;
    }
  }

  // ---- Jobs page -------------------------------------------------------

  const jobsState = { cursors: [null], index: 0, next: null };

  function jobsPage() {
    $("view-jobs").hidden = false;
    const select = $("jobs-state");
    const params = new URLSearchParams(location.hash.split("?")[1] || "");
    if (params.has("state")) select.value = params.get("state");
    const rows = new Map();   // job id -> its row's parts, kept across polls

    function rowFor(job) {
      let row = rows.get(job.id);
      if (row) return row;
      const bar = el("div", { className: "bar", role: "progressbar",
                              "aria-valuemin": "0", "aria-valuemax": "100",
                              "aria-valuenow": "0" }, [el("span", { className: "fill" })]);
      row = {
        tr: el("tr", { dataset: { job: job.id } }),
        state: el("td", { "data-label": "State" }),
        bar, percent: el("span", { className: "percent" }),
        pages: el("span", { className: "pages" }),
        rate: el("td", { className: "num", "data-label": "Pages/s" }),
        elapsed: el("td", { className: "num", "data-label": "Elapsed" }),
        eta: el("td", { className: "num", "data-label": "Time left" }),
        created: el("td", { "data-label": "Created", text: fmtTime(job.created_at) }),
        cancel: el("button", { type: "button", className: "danger small cancel", text: "Cancel" }),
      };
      row.cancel.addEventListener("click", async () => {
        if (await cancelJob(job.id)) refresh.now();
      });
      const link = el("a", { href: "#/job/" + job.id }, [el("code", { text: job.id.slice(0, 12) })]);
      row.tr.append(
        el("td", { "data-label": "Job" }, [link]), row.state,
        el("td", { className: "progress-col" },
           [el("div", { className: "progress-cell" }, [row.bar, row.percent, row.pages])]),
        row.rate, row.elapsed, row.eta, row.created,
        el("td", {}, [row.cancel]));
      rows.set(job.id, row);
      return row;
    }

    function show(job) {
      const row = rowFor(job);
      const p = progressOf(job);
      row.state.replaceChildren(stateBadge(job.state));
      setBar(row.bar, row.percent, job);
      row.pages.textContent = fmtInt(job.pages.done) + "/" + fmtInt(job.pages.total) + " pages";
      row.rate.textContent = p.pages_per_s == null ? "–" : fmtInt(p.pages_per_s);
      row.elapsed.textContent = fmtSeconds(p.elapsed_s);
      row.eta.textContent = ENDED.includes(job.state) ? "–" : fmtSeconds(p.eta_s);
      row.cancel.hidden = !ACTIVE.includes(job.state);
      return row.tr;
    }

    async function load() {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (select.value) query.set("state", select.value);
      const cursor = jobsState.cursors[jobsState.index];
      if (cursor) query.set("before", cursor);
      let list;
      try {
        list = await apiJson("GET", "/v1/jobs?" + query);
      } catch (err) {
        if (err.status === 404 || err.status === 405) {
          err.message = "This ventilator does not list jobs (GET /v1/jobs); open a job by its id: #/job/<id>.";
          err.stopPolling = true;
        }
        throw err;
      }
      const trs = list.jobs.map(show);
      const seen = new Set(list.jobs.map((j) => j.id));
      for (const id of rows.keys()) if (!seen.has(id)) rows.delete(id);
      // Rows move only when the list changed: moving a row drops the
      // keyboard focus from its Cancel, so it is given back.
      const body = $("jobs-body");
      if (trs.length !== body.children.length || trs.some((tr, i) => body.children[i] !== tr)) {
        const focused = document.activeElement;
        body.replaceChildren(...trs);
        if (focused && focused !== document.activeElement && body.contains(focused)) focused.focus();
      }
      $("jobs-empty").hidden = trs.length > 0;
      jobsState.next = list.next;
      $("jobs-older").disabled = !list.next;
      $("jobs-newer").disabled = jobsState.index === 0;
      $("jobs-page").textContent = "page " + (jobsState.index + 1);
      setStatusLine("updated " + new Date().toLocaleTimeString());
    }

    const refresh = poller(load, POLL_MS, $("jobs-notice"));
    function restart() {
      jobsState.cursors = [null];
      jobsState.index = 0;
      refresh.now();
    }
    const onState = () => restart();
    const onOlder = () => {
      if (!jobsState.next) return;
      jobsState.cursors[jobsState.index + 1] = jobsState.next;
      jobsState.index++;
      refresh.now();
    };
    const onNewer = () => {
      if (jobsState.index === 0) return;
      jobsState.index--;
      refresh.now();
    };
    select.addEventListener("change", onState);
    $("jobs-older").addEventListener("click", onOlder);
    $("jobs-newer").addEventListener("click", onNewer);
    return {
      stop() {
        refresh.stop();
        select.removeEventListener("change", onState);
        $("jobs-older").removeEventListener("click", onOlder);
        $("jobs-newer").removeEventListener("click", onNewer);
      },
    };
  }

  // ---- One job page ----------------------------------------------------

  const CHUNK_COLORS = { ".": "--waiting", r: "--rendering", s: "--stored", x: "--failed" };

  function cssColor(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // Draws the chunk map on a canvas: one cell per chunk, one fillRect per
  // cell, one fillStyle per kind, so 4,000+ chunks draw in a few ms.
  function chunkMap(canvas, detail) {
    let layout = null, last = null;

    function draw(chunks) {
      const started = performance.now();
      last = chunks;
      const n = chunks.map.length;
      const width = Math.max(200, canvas.parentElement.clientWidth);
      const cell = n <= 200 ? 18 : n <= 1000 ? 12 : n <= 5000 ? 8 : 5;
      const gap = cell > 6 ? 2 : 1;
      const cols = Math.max(1, Math.floor((width + gap) / (cell + gap)));
      const rows = Math.max(1, Math.ceil(n / cols));
      const height = rows * (cell + gap);
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
        canvas.style.height = height + "px";
      }
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const retried = new Set((chunks.retried || []).map((r) => r.chunk));
      const byKind = {};
      for (let i = 0; i < n; i++) {
        let kind = chunks.map[i];
        if (kind === "s" && retried.has(i)) kind = "R";
        (byKind[kind] = byKind[kind] || []).push(i);
      }
      for (const [kind, cells] of Object.entries(byKind)) {
        ctx.fillStyle = cssColor(kind === "R" ? "--retried" : CHUNK_COLORS[kind] || "--waiting");
        for (const i of cells) {
          ctx.fillRect((i % cols) * (cell + gap), Math.floor(i / cols) * (cell + gap), cell, cell);
        }
      }
      layout = { cols, cell, gap, n };
      // How long the last drawing took, for whoever wants to know.
      canvas.dataset.drawMs = (performance.now() - started).toFixed(1);
      canvas.dataset.chunks = String(n);
    }

    function describe(event) {
      if (!layout || !last) return;
      const rect = canvas.getBoundingClientRect();
      const x = event.clientX - rect.left, y = event.clientY - rect.top;
      const col = Math.floor(x / (layout.cell + layout.gap));
      const row = Math.floor(y / (layout.cell + layout.gap));
      const i = row * layout.cols + col;
      if (col >= layout.cols || i < 0 || i >= layout.n) return;
      const names = { ".": "waiting", r: "rendering", s: "stored", x: "failed" };
      let text = "chunk " + i + ": " + (names[last.map[i]] || last.map[i]);
      const on = (last.rendering || []).find((r) => r.chunk === i);
      if (on) text += " on worker " + on.worker + " since " + fmtAgo(on.since);
      const retry = (last.retried || []).find((r) => r.chunk === i);
      if (retry) text += "; dispatched " + retry.attempts + " times";
      detail.textContent = text;
    }
    canvas.addEventListener("mousemove", describe);
    canvas.addEventListener("click", describe);
    const onResize = () => { if (last) draw(last); };
    window.addEventListener("resize", onResize);
    return { draw, stop() { window.removeEventListener("resize", onResize); } };
  }

  function renderTimeline(job) {
    const t = job.transitions || {};
    const entered = PHASES.filter((s) => t[s]).map((s) => [s, Date.parse(t[s])])
      .sort((a, b) => a[1] - b[1]);
    const bar = $("job-timeline"), legend = $("job-timeline-legend");
    if (!entered.length) { bar.replaceChildren(); legend.replaceChildren(); return; }
    const now = Date.now();
    const spans = entered.map(([state, start], i) => {
      const terminal = ENDED.includes(state);
      const end = i + 1 < entered.length ? entered[i + 1][1] : terminal ? start : now;
      return { state, seconds: Math.max(0, (end - start) / 1000), terminal };
    });
    const total = spans.reduce((sum, s) => sum + s.seconds, 0) || 1;
    bar.replaceChildren(...spans.filter((s) => !s.terminal).map((s) => {
      const span = el("span", { className: s.state, title: s.state + " " + fmtSeconds(s.seconds) });
      span.style.flexGrow = String(s.seconds / total);
      span.style.flexBasis = "0";
      return span;
    }));
    legend.replaceChildren(...spans.map((s) => el("li", { dataset: { phase: s.state } }, [
      el("span", { className: "swatch " + s.state }),
      s.state + (s.terminal ? " at " + fmtTime(t[s.state]) : " " + fmtSeconds(s.seconds)),
    ])));
  }

  function figure(dl, name, value) {
    dl.append(el("div", {}, [el("dt", { text: name }), el("dd", { text: value })]));
  }

  // Hand blob to the browser as a download called name.
  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function downloadResult(id, link) {
    // The result needs the token when tokens are on, so it is fetched and
    // handed to the browser as a blob rather than followed as a plain link.
    link.textContent = "Downloading…";
    try {
      const response = await api("GET", "/v1/jobs/" + id + "/result");
      saveBlob(await response.blob(), "pdfpipe-" + id + ".pdf");
    } catch (err) {
      window.alert("Download failed: " + err.message);
    } finally {
      link.textContent = "Download PDF";
    }
  }

  async function openIndex(id, link) {
    try {
      const response = await api("GET", "/v1/jobs/" + id + "/index");
      saveBlob(new Blob([await response.blob()], { type: "text/plain" }),
               "pdfpipe-" + id + "-index.jsonl");
    } catch (err) {
      link.hidden = err.status === 404;
      if (err.status !== 404) window.alert("Index: " + err.message);
    }
  }

  function jobPage(id) {
    $("view-job").hidden = false;
    $("job-id").textContent = id;
    $("job-error").hidden = true;
    $("chunk-detail").textContent = "Point at a chunk for its details.";
    for (const b of document.querySelectorAll("#chunk-counts [data-count]")) b.textContent = "0";
    const map = chunkMap($("chunk-map"), $("chunk-detail"));
    let chunksMissing = false, job = null;

    const download = $("job-download"), index = $("job-index"), cancel = $("job-cancel");
    download.href = "/v1/jobs/" + id + "/result";
    index.href = "/v1/jobs/" + id + "/index";
    const onDownload = (event) => {
      if (job && job.result && job.result.download_url) return;  // S3: a plain link
      event.preventDefault();
      downloadResult(id, download);
    };
    const onIndex = (event) => { event.preventDefault(); openIndex(id, index); };
    const onCancel = async () => { if (await cancelJob(id)) refresh.now(); };
    download.addEventListener("click", onDownload);
    index.addEventListener("click", onIndex);
    cancel.addEventListener("click", onCancel);

    async function load() {
      try {
        job = await apiJson("GET", "/v1/jobs/" + id);
      } catch (err) {
        if (err.status === 404) err.stopPolling = true;
        throw err;
      }
      const p = progressOf(job);
      const state = $("job-state");
      state.className = "state " + job.state;
      state.textContent = job.state;
      setBar($("job-progress"), $("job-percent"), job);
      const dl = $("job-figures");
      dl.replaceChildren();
      figure(dl, "Pages", fmtInt(job.pages.done) + " / " + fmtInt(job.pages.total));
      figure(dl, "Chunks", fmtInt(job.chunks.done) + " / " + fmtInt(job.chunks.total));
      figure(dl, "Pages/s", p.pages_per_s == null ? "–" : fmtInt(p.pages_per_s));
      figure(dl, "Elapsed", fmtSeconds(p.elapsed_s));
      figure(dl, "Time left", ENDED.includes(job.state) ? "–" : fmtSeconds(p.eta_s));
      figure(dl, "Priority", String(job.priority));
      figure(dl, "Created", fmtTime(job.created_at));
      if (job.result) figure(dl, "PDF size", fmtBytes(job.result.bytes));
      renderTimeline(job);
      const errorBox = $("job-error");
      errorBox.hidden = !job.error;
      errorBox.textContent = job.error ? "Failed: " + job.error : "";
      download.hidden = job.state !== "done";
      if (job.result && job.result.download_url) download.href = job.result.download_url;
      index.hidden = job.state !== "done";
      cancel.hidden = !ACTIVE.includes(job.state);
      if (!chunksMissing) {
        try {
          const chunks = await apiJson("GET", "/v1/jobs/" + id + "/chunks");
          for (const [name, count] of Object.entries(chunks.counts || {})) {
            const b = document.querySelector('#chunk-counts [data-count="' + name + '"]');
            if (b) b.textContent = fmtInt(count);
          }
          map.draw(chunks);
        } catch (err) {
          if (err.status !== 404) throw err;
          chunksMissing = true;
          $("chunk-detail").textContent = "This ventilator has no chunk map (GET /v1/jobs/{id}/chunks).";
        }
      }
      setStatusLine("updated " + new Date().toLocaleTimeString());
      return !ENDED.includes(job.state);
    }
    const refresh = poller(load, POLL_MS, $("job-notice"));
    return {
      stop() {
        refresh.stop();
        map.stop();
        download.removeEventListener("click", onDownload);
        index.removeEventListener("click", onIndex);
        cancel.removeEventListener("click", onCancel);
      },
    };
  }

  // ---- Workers page ----------------------------------------------------

  function workersPage() {
    $("view-workers").hidden = false;
    async function load() {
      let data;
      try {
        data = await apiJson("GET", "/v1/workers");
      } catch (err) {
        if (err.status === 404) {
          err.message = "This ventilator does not list its workers (GET /v1/workers).";
          err.stopPolling = true;
        }
        throw err;
      }
      const dl = $("workers-summary");
      dl.replaceChildren();
      figure(dl, "Connected", fmtInt(data.workers.length));
      figure(dl, "Busy", fmtInt(data.workers.filter((w) => w.state === "busy").length));
      figure(dl, "Desired", data.desired == null ? "–" : fmtInt(data.desired));
      figure(dl, "Scaler", data.scaler || "none");
      const trs = data.workers.map((w) => el("tr", { dataset: { worker: w.id } }, [
        el("td", {}, [el("code", { text: w.id })]),
        el("td", {}, [stateBadge(w.state)]),
        el("td", {}, (w.rendering || []).length ? w.rendering.map((r) => el("div", {}, [
          r.job ? el("a", { href: "#/job/" + r.job, text: r.job.slice(0, 12) }) : "another token's job",
          " chunk " + r.chunk])) : ["–"]),
        el("td", { className: "num", text: fmtInt(w.chunks_done) }),
        el("td", { className: "num", text: w.pages_per_s == null ? "–" : fmtInt(w.pages_per_s) }),
        el("td", { text: fmtAgo(w.last_seen) }),
      ]));
      $("workers-body").replaceChildren(...trs);
      $("workers-empty").hidden = trs.length > 0;
      setStatusLine("updated " + new Date().toLocaleTimeString());
    }
    const refresh = poller(load, WORKERS_POLL_MS, $("workers-notice"));
    return { stop() { refresh.stop(); } };
  }

  // ---- Submit & preview ------------------------------------------------

  // Where a JSON path ("template.elements[3].size") is in a JSON text: a
  // small parser that records each value's start and end, so an error's
  // field can be shown and selected where it is written.
  function locate(text, path) {
    const want = [];
    for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) want.push(m[2] !== undefined ? Number(m[2]) : m[1]);
    let i = 0;
    const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i++; };
    function skipString() {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    }
    function readString() {
      const start = i;
      skipString();
      try { return JSON.parse(text.slice(start, i)); } catch (e) { return null; }
    }
    // Walk the value at i; depth is how much of want matched so far.
    // Answers [start, end] of the deepest value matched along want.
    function value(depth) {
      ws();
      const start = i;
      let best = null;
      if (text[i] === "{") {
        i++;
        for (;;) {
          ws();
          if (text[i] === "}") { i++; break; }
          const key = readString();
          ws(); i++;   // ':'
          const found = value(depth + 1);
          if (depth < want.length && key === want[depth] && found) best = found;
          ws();
          if (text[i] === ",") { i++; continue; }
          i++; break;
        }
      } else if (text[i] === "[") {
        i++;
        for (let n = 0; ; n++) {
          ws();
          if (text[i] === "]") { i++; break; }
          const found = value(depth + 1);
          if (depth < want.length && n === want[depth] && found) best = found;
          ws();
          if (text[i] === ",") { i++; continue; }
          i++; break;
        }
      } else if (text[i] === '"') {
        skipString();
      } else {
        while (i < text.length && !",]} \t\r\n".includes(text[i])) i++;
      }
      if (i > text.length) i = text.length;
      return best || (depth === want.length ? [start, i] : depth > 0 ? null : null);
    }
    try {
      const found = value(0);
      return found;
    } catch (e) { return null; }
  }

  function lineOf(text, offset) {
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return line;
  }

  // CSV as the API and the CLI read it (docs/job-spec.md): RFC 4180, a
  // header row naming the fields, dotted names nest, every cell a string.
  function parseCsv(text) {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const rows = [];
    let row = [], cell = "", i = 0, line = 1, rowLine = 1, quoted = false;
    const endCell = () => { row.push(cell); cell = ""; };
    const endRow = () => {
      endCell();
      if (!(row.length === 1 && row[0] === "")) rows.push({ cells: row, line: rowLine });
      row = [];
      rowLine = line;
    };
    while (i < text.length) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        if (c === '"') { quoted = false; i++; continue; }
        if (c === "\r" && text[i + 1] === "\n") { cell += "\n"; i += 2; line++; continue; }
        if (c === "\n") line++;
        cell += c; i++;
        continue;
      }
      if (c === '"' && cell === "") { quoted = true; i++; continue; }
      if (c === ",") { endCell(); i++; continue; }
      if (c === "\r" && text[i + 1] === "\n") { i += 2; line++; endRow(); continue; }
      if (c === "\n") { i++; line++; endRow(); continue; }
      cell += c; i++;
    }
    if (quoted) throw new Error("line " + rowLine + ": a quoted field is never closed");
    if (cell !== "" || row.length) endRow();
    if (!rows.length) throw new Error("the file is empty; its first line must name the fields");
    const header = rows.shift().cells;
    return rows.map((r) => {
      if (r.cells.length !== header.length) {
        throw new Error("line " + r.line + ": " + r.cells.length + " fields, but the header names " + header.length);
      }
      const record = {};
      header.forEach((name, k) => {
        const parts = name.split(".");
        let at = record;
        for (const part of parts.slice(0, -1)) at = at[part] = at[part] || {};
        at[parts[parts.length - 1]] = r.cells[k];
      });
      return record;
    });
  }

  function parseJsonLines(text) {
    const records = [];
    text.split("\n").forEach((line, k) => {
      if (!line.trim()) return;
      try {
        records.push(JSON.parse(line));
      } catch (err) {
        throw new Error("line " + (k + 1) + ": " + err.message);
      }
    });
    return records;
  }

  function submitPage() {
    $("view-submit").hidden = false;
    const form = $("submit-form");
    const docText = $("doc-text"), recordsText = $("records-text");
    const errorBox = $("submit-error");
    let checked = null;         // the body the last successful check was for
    let recordsName = "";

    function showError(where, message, context) {
      errorBox.hidden = false;
      errorBox.querySelector(".where").replaceChildren(...where);
      errorBox.querySelector(".message").textContent = message;
      errorBox.querySelector(".context").textContent = context || "";
      errorBox.querySelector(".context").hidden = !context;
    }

    function clearError() {
      errorBox.hidden = true;
      docText.classList.remove("bad");
      recordsText.classList.remove("bad");
    }

    // Point at the field an API error names: in the records text for
    // records[N], else in the document's text, selecting it there.
    function showFieldError(err) {
      const field = err.field;
      if (!field) { showError(["Error"], err.message); return; }
      const m = /^records\[(\d+)\](.*)$/.exec(field);
      if (m && recordsText.value.trim()) {
        const n = Number(m[1]);
        const lines = recordsText.value.split("\n");
        let line = null;
        if (recordsFormat() === "csv") {
          line = null;   // a CSV row may span lines; say the row
        } else {
          let seen = -1;
          for (let k = 0; k < lines.length; k++) {
            if (lines[k].trim() && ++seen === n) { line = k + 1; break; }
          }
        }
        recordsText.classList.add("bad");
        showError([el("code", { text: field }), " — records file" + (recordsName ? " " + recordsName : "") +
                   ", record " + (n + 1) + (line ? " (line " + line + ")" : " (row " + (n + 2) + ")")],
                  err.message, line ? lines[line - 1].slice(0, 400) : "");
        return;
      }
      const span = locate(docText.value, field);
      docText.classList.add("bad");
      if (span) {
        const [start, end] = span;
        docText.focus();
        docText.setSelectionRange(start, end);
        showError([el("code", { text: field }), " — job document, line " + lineOf(docText.value, start)],
                  err.message, docText.value.slice(start, Math.min(end, start + 400)));
      } else {
        showError([el("code", { text: field }), " — job document"], err.message);
      }
    }

    function recordsFormat() {
      const chosen = $("records-format").value;
      if (chosen !== "auto") return chosen;
      if (/\.csv$/i.test(recordsName)) return "csv";
      const first = recordsText.value.trimStart()[0];
      return first && first !== "{" ? "csv" : "jsonl";
    }

    // The body to send: the document, its records replaced by the records
    // file's when one is given. Throws with where the text is wrong.
    function body() {
      let doc;
      try {
        doc = JSON.parse(docText.value);
      } catch (err) {
        docText.classList.add("bad");
        const at = /position (\d+)/.exec(err.message);
        const where = at ? ", line " + lineOf(docText.value, Number(at[1])) : "";
        throw { where: ["job document" + where], message: "not valid JSON: " + err.message };
      }
      if (recordsText.value.trim()) {
        try {
          doc.records = recordsFormat() === "csv" ? parseCsv(recordsText.value)
                                                  : parseJsonLines(recordsText.value);
        } catch (err) {
          recordsText.classList.add("bad");
          throw { where: ["records file" + (recordsName ? " " + recordsName : "")], message: err.message };
        }
        $("records-info").textContent = fmtInt(doc.records.length) + " records (" + recordsFormat() + ")";
      }
      return JSON.stringify(doc);
    }

    function invalidate() {
      checked = null;
      $("submit-button").disabled = true;
      $("estimate").hidden = true;
    }

    async function readFile(input, target, onName) {
      const file = input.files && input.files[0];
      if (!file) return;
      target.value = await file.text();
      if (onName) onName(file.name);
      invalidate();
      clearError();
    }

    async function check() {
      clearError();
      let text;
      try { text = body(); } catch (err) { showError(err.where, err.message); return null; }
      $("check-button").disabled = true;
      try {
        const answer = await apiJson("POST", "/v1/jobs?dry_run=1", {
          body: text, headers: { "Content-Type": "application/json" } });
        if (!answer.dry_run) {
          // A ventilator without dry runs took it as a real submission.
          showError(["Note"], "This ventilator has no dry run: the job was submitted.");
          location.hash = "#/job/" + answer.id;
          return null;
        }
        const dl = $("estimate");
        dl.replaceChildren();
        const e = answer.estimate || {};
        figure(dl, "Pages", fmtInt(answer.pages));
        figure(dl, "Chunks", fmtInt(answer.chunks));
        figure(dl, "Estimated time", e.seconds == null ? "no finished job to go by" : fmtSeconds(e.seconds));
        figure(dl, "Estimated size", e.bytes == null ? "no finished job to go by" : fmtBytes(e.bytes));
        figure(dl, "Based on", fmtInt(e.based_on_jobs || 0) + " recent jobs");
        dl.hidden = false;
        checked = text;
        $("submit-button").disabled = false;
        return text;
      } catch (err) {
        showFieldError(err);
        return null;
      } finally {
        $("check-button").disabled = false;
      }
    }

    async function preview() {
      clearError();
      let text;
      try { text = body(); } catch (err) { showError(err.where, err.message); return; }
      const page = Math.max(1, Number($("preview-page").value) || 1);
      $("preview-button").disabled = true;
      try {
        const started = performance.now();
        const response = await api("POST", "/v1/preview?page=" + page + "&format=png", {
          body: text, headers: { "Content-Type": "application/json" } });
        const blob = await response.blob();
        const img = $("preview-image");
        if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
        img.src = URL.createObjectURL(blob);
        $("preview-caption").textContent = "Page " + page + " (" + fmtBytes(blob.size) + ", " +
          Math.round(performance.now() - started) + " ms)";
        $("preview").hidden = false;
      } catch (err) {
        if (err.status === 404 && !err.field) err.message = "This ventilator has no preview (POST /v1/preview).";
        showFieldError(err);
      } finally {
        $("preview-button").disabled = false;
      }
    }

    async function submit(event) {
      event.preventDefault();
      let text;
      try { text = body(); } catch (err) { showError(err.where, err.message); return; }
      if (text !== checked) { invalidate(); return; }
      $("submit-button").disabled = true;
      try {
        const answer = await apiJson("POST", "/v1/jobs", {
          body: text, headers: { "Content-Type": "application/json" } });
        setStatusLine("submitted " + answer.id.slice(0, 8));
        location.hash = "#/job/" + answer.id;
      } catch (err) {
        showFieldError(err);
        $("submit-button").disabled = false;
      }
    }

    const handlers = [
      [$("doc-file"), "change", () => readFile($("doc-file"), docText)],
      [$("records-file"), "change", () => readFile($("records-file"), recordsText, (n) => { recordsName = n; })],
      [docText, "input", invalidate],
      [recordsText, "input", invalidate],
      [$("records-format"), "change", invalidate],
      [$("check-button"), "click", check],
      [$("preview-button"), "click", preview],
      [form, "submit", submit],
    ];
    for (const [node, type, fn] of handlers) node.addEventListener(type, fn);
    return {
      stop() { for (const [node, type, fn] of handlers) node.removeEventListener(type, fn); },
    };
  }

  window.addEventListener("hashchange", route);
  route();
})();
