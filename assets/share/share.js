// A page ActionBench shared. Without this script the page still tells its story (every step of
// a flow run, the session's log) as plain HTML; with it: one step at a time with the keys, the
// address's #step=N and #call=ID, each call's request and answer as collapsible trees, and in
// a session find and "flagged only". It reads the journal embedded in the page and writes what
// it holds only as text (textContent), never as markup: nothing in a call can run.
"use strict";
(() => {
  const root = document.documentElement;
  root.classList.add("js");
  const $ = (id) => document.getElementById(id);

  // Light or dark: the system's until T or the button says otherwise.
  const dark = () =>
    root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  const toggleTheme = () => { root.dataset.theme = dark() ? "light" : "dark"; };
  $("theme").addEventListener("click", toggleTheme);

  // The embedded journal: one exchange record per line (the latest line of an id wins).
  const calls = new Map();
  const haystack = new Map();
  async function load() {
    const embedded = JSON.parse($("actionbench-journal").textContent);
    let text = embedded.data;
    if (embedded.encoding === "gzip+base64") {
      const raw = atob(embedded.data);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      text = await new Response(stream).text();
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      let rec;
      try { rec = JSON.parse(line); } catch { continue; }
      if (rec.kind !== "exchange" || !rec.ex) continue;
      calls.set(rec.ex.id, rec.ex);
      haystack.set(rec.ex.id, line.toLowerCase());
    }
  }

  // Writing: elements with text, never markup.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, ...children) { for (const c of children) if (c) parent.append(c); return parent; }

  // A JSON value as a collapsible tree.
  function tree(value, name, open) {
    const li = el("li");
    if (value !== null && typeof value === "object") {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
      const d = el("details");
      d.open = open;
      const s = el("summary");
      add(s, el("span", "k", name), el("span", "count", ` ${Array.isArray(value) ? "[" + entries.length + "]" : "{" + entries.length + (entries.length === 1 ? " field}" : " fields}")}`));
      const ul = el("ul");
      for (const [k, v] of entries) ul.append(tree(v, k, false));
      add(d, s, ul);
      li.append(d);
    } else {
      const kind = typeof value === "string" ? "s" : typeof value === "number" ? "n" : "l";
      add(li, el("span", "k", name + ": "), el("span", kind, JSON.stringify(value)));
    }
    return li;
  }
  function treeOf(value, name) { const ul = el("ul", "tree"); ul.append(tree(value, name, true)); return ul; }

  function b64json(part) {
    try {
      const s = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
      return JSON.parse(decodeURIComponent(Array.from(s, (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join("")));
    } catch { return null; }
  }
  // A body's parts: plain JSON (the request, or {request, metadata}), or a JWT's.
  function parts(body) {
    if (body === undefined || body === null) return {};
    try {
      const v = JSON.parse(body);
      if (v && typeof v === "object" && !Array.isArray(v) && "request" in v) return { request: v.request, metadata: v.metadata };
      return { request: v };
    } catch { /* not JSON */ }
    const p = body.trim().split(".");
    if (p.length === 3) {
      const header = b64json(p[0]);
      const claims = b64json(p[1]);
      if (header) {
        let data = claims && claims.data;
        if (typeof data === "string") { try { data = JSON.parse(data); } catch { /* as it is */ } }
        return { jwtHeader: header, claims, request: data && data.request, metadata: data && data.metadata };
      }
    }
    return {};
  }

  // One call: what arrived, the answer, findings, timeline.
  function callView(ex) {
    const box = el("div", "call");
    const method = ex.method || "no method";
    box.append(el("h3", null, `#${ex.id} ${ex.direction === "outbound" ? "» " : ""}${method} · ${ex.action_key || "—"} · ${ex.phase && ex.phase.phase ? ex.phase.phase : ex.phase}`));
    box.append(el("p", "hint", `${ex.http_method} ${ex.path} · ${ex.at}${ex.tag ? " · " + ex.tag : ""}`));
    const p = parts(ex.body);
    const req = p.request && typeof p.request === "object" ? p.request : null;
    if (req && req.actionParams !== undefined) add(box, el("h4", null, "actionParams"), treeOf(req.actionParams, "actionParams"));
    if (req && req.activationContext !== undefined) add(box, el("h4", null, "activationContext"), treeOf(req.activationContext, "activationContext"));
    if (p.request !== undefined) add(box, el("h4", null, "Request"), treeOf(p.request, "request"));
    if (p.metadata !== undefined) add(box, el("h4", null, "metadata"), treeOf(p.metadata, "metadata"));
    if (p.jwtHeader) add(box, el("h4", null, "JWT"), treeOf(p.jwtHeader, "header"), treeOf(p.claims, "claims"));
    const answer = (title, r) => {
      if (!r) return;
      add(box, el("h4", null, `${title}: HTTP ${r.status} (${r.by})`), treeOf(r.body, "body"));
    };
    answer("Answer", ex.response);
    answer("Your action's answer", ex.target_answer);
    const findings = (ex.findings || []).concat((ex.response && ex.response.findings) || []);
    if (findings.length) {
      box.append(el("h4", null, "Findings"));
      const ul = el("ul");
      for (const f of findings) ul.append(el("li", `finding ${f.severity}`, `${f.severity}: ${f.field ? f.field + ": " : ""}${f.message}`));
      box.append(ul);
    }
    if ((ex.timeline || []).length) {
      box.append(el("h4", null, "Timeline"));
      const ul = el("ul", "timeline");
      for (const [at, said] of ex.timeline) { const li = el("li"); add(li, el("time", null, at), el("span", null, said)); ul.append(li); }
      box.append(ul);
    }
    const raw = el("details");
    add(raw, el("summary", null, "Raw request"), el("pre", "raw", `${ex.headers || ""}\n${ex.body !== undefined ? ex.body : "(body in base64) " + (ex.body_b64 || "")}`));
    box.append(raw);
    return box;
  }

  function setHash(h) { try { history.replaceState(null, "", "#" + h); } catch { location.hash = h; } }
  function hashParam(name) { const m = new RegExp(`(?:^#|&)${name}=(\\d+)`).exec(location.hash); return m ? Number(m[1]) : null; }

  const dialog = $("call-view");
  function openCall(id) {
    const ex = calls.get(id);
    const body = $("call-body");
    body.replaceChildren(ex ? callView(ex) : el("p", "hint", `There is no call #${id} in this page.`));
    if (!dialog.open) dialog.showModal();
  }

  // A flow run: one beat at a time.
  function flow() {
    const beats = Array.from(document.querySelectorAll("li.beat"));
    let at = 0;
    const show = (n, remember) => {
      at = Math.max(0, Math.min(beats.length - 1, n));
      beats.forEach((b, i) => b.classList.toggle("current", i === at));
      const was = $("caption");
      if (was) was.removeAttribute("id");
      beats[at].querySelector(".caption").id = "caption";
      $("counter").textContent = `${at + 1} / ${beats.length}`;
      if (remember) setHash(`step=${at + 1}`);
    };
    const fromHash = () => {
      const step = hashParam("step");
      show(step ? step - 1 : at, false);
      const call = hashParam("call");
      if (call) openCall(call);
    };
    $("next").addEventListener("click", () => show(at + 1, true));
    $("back").addEventListener("click", () => show(at - 1, true));
    document.addEventListener("click", (e) => {
      const goto = e.target.closest("[data-goto]");
      if (goto) return show(Number(goto.dataset.goto) - 1, true);
      const call = e.target.closest("[data-call]");
      if (call) { openCall(Number(call.dataset.call)); setHash(`step=${at + 1}&call=${call.dataset.call}`); }
    });
    dialog.addEventListener("close", () => setHash(`step=${at + 1}`));
    document.addEventListener("keydown", (e) => {
      if (dialog.open || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === " " || e.key === "ArrowRight" || e.key === "PageDown") { e.preventDefault(); show(at + 1, true); }
      else if (e.key === "ArrowLeft" || e.key === "PageUp") { e.preventDefault(); show(at - 1, true); }
      else if (e.key === "Home") show(0, true);
      else if (e.key === "End") show(beats.length - 1, true);
      else if (e.key === "t" || e.key === "T") toggleTheme();
    });
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  // A session: the log, find, flagged only, the selected call.
  function session() {
    const rows = Array.from(document.querySelectorAll("#log .row"));
    const byId = new Map(rows.map((r) => [Number(r.dataset.id), r]));
    const find = $("find");
    const flaggedOnly = $("flagged-only");
    let selected = null;
    const count = () => {
      const shown = rows.reduce((n, r) => n + (r.hidden ? 0 : 1), 0);
      $("shown").textContent = shown === rows.length ? `${rows.length} calls` : `${shown} of ${rows.length}`;
    };
    const filter = () => {
      const q = find.value.trim().toLowerCase();
      const flagged = flaggedOnly.checked;
      for (const r of rows) {
        const id = Number(r.dataset.id);
        r.hidden = (flagged && !r.classList.contains("flagged")) || (q !== "" && !(haystack.get(id) || "").includes(q));
      }
      count();
    };
    let pending = 0;
    find.addEventListener("input", () => { clearTimeout(pending); pending = setTimeout(filter, 80); });
    flaggedOnly.addEventListener("change", filter);
    const select = (id, scroll) => {
      const row = byId.get(id);
      if (selected) selected.classList.remove("selected");
      selected = row || null;
      const detail = $("detail");
      const ex = calls.get(id);
      detail.replaceChildren(ex ? callView(ex) : el("p", "hint", `There is no call #${id} in this page.`));
      if (!row) return;
      row.classList.add("selected");
      if (scroll) row.scrollIntoView({ block: "center" });
      setHash(`call=${id}`);
    };
    $("log").addEventListener("click", (e) => {
      const row = e.target.closest(".row[data-id]");
      if (row) select(Number(row.dataset.id), false);
    });
    document.addEventListener("keydown", (e) => {
      if (e.target === find || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "t" || e.key === "T") return toggleTheme();
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      e.preventDefault();
      const shown = rows.filter((r) => !r.hidden);
      const i = selected ? shown.indexOf(selected) : -1;
      const next = shown[Math.max(0, Math.min(shown.length - 1, e.key === "ArrowDown" ? i + 1 : i - 1))];
      if (next) select(Number(next.dataset.id), true);
    });
    const fromHash = () => { const id = hashParam("call"); if (id) select(id, true); };
    window.addEventListener("hashchange", fromHash);
    count();
    fromHash();
  }

  load()
    .catch((e) => { document.body.prepend(el("p", "note", `The calls in this page could not be read: ${e}`)); })
    .then(() => {
      if (root.classList.contains("flow")) flow(); else session();
      document.body.dataset.ready = "yes";
    });
})();
