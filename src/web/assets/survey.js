// Chorus survey page enhancement (inlined; the form works without it). Pages with a
// progress bar, display logic and checks with the server's semantics (the server stays
// authoritative), answers kept in the browser (and on the server for invitations),
// submission with the same response_id retried until it is acknowledged, with the
// seconds spent on each page (paradata: durations only, never clock times).
(function () {
  "use strict";
  var f = document.getElementById("survey");
  if (!f || !window.fetch || !window.JSON || !f.querySelectorAll) return;
  var $ = function (s, r) { return [].slice.call((r || f).querySelectorAll(s)); };
  var L = JSON.parse(document.getElementById("chorus-logic").textContent);
  var T = JSON.parse(document.getElementById("chorus-ui").textContent);
  var token = f.getAttribute("data-token") || "";
  var KEY = "chorus:" + f.getAttribute("data-slug") + ":" + (token || "open");
  var rid = f.elements.response_id;
  var pages = $("section[data-page]");
  var on = pages.map(function () { return true; });
  var shown = {}, cur = 0, sending = false, retry = null, saveT = null, partT = null;
  // Milliseconds on each page while the tab is visible.
  var pt = pages.map(function () { return 0; }), mark = Date.now();
  function tick() { var n = Date.now(); pt[cur] += Math.max(0, n - mark); mark = n; }
  document.addEventListener("visibilitychange", function () { if (document.hidden) tick(); else mark = Date.now(); });
  function paradata() {
    tick();
    var s = pt.map(function (ms) { return Math.min(604800, Math.round(ms / 1000)); });
    return { duration_s: Math.min(604800, s.reduce(function (a, b) { return a + b; }, 0)), page_seconds: s.slice(0, 100) };
  }
  var NUM = { integer: 1, decimal: 1, likert: 1, rating: 1 };
  var NRE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  // ---- values, XPath style (as src/domain/expr.rs)
  function truthy(v) { return typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 && !isNaN(v) : v !== ""; }
  function num(v) { return typeof v === "number" ? v : typeof v === "boolean" ? (v ? 1 : 0) : NRE.test(v.trim()) ? parseFloat(v) : NaN; }
  function txt(v) { return typeof v === "string" ? v : typeof v === "boolean" ? String(v) : isNaN(v) ? "NaN" : String(v); }
  function cmp(op, a, b) {
    var o = null, p, q;
    if (typeof a === "boolean" || typeof b === "boolean") { p = truthy(a); q = truthy(b); o = p === q ? 0 : p ? 1 : -1; }
    else if (typeof a === "number" || typeof b === "number") { p = num(a); q = num(b); o = isNaN(p) || isNaN(q) ? null : p < q ? -1 : p > q ? 1 : 0; }
    else if (op === "eq" || op === "ne") { o = a === b ? 0 : a < b ? -1 : 1; }
    else if (NRE.test(a.trim()) && NRE.test(b.trim())) { p = parseFloat(a); q = parseFloat(b); o = p < q ? -1 : p > q ? 1 : 0; }
    else if (a !== "" && b !== "") { o = a < b ? -1 : a > b ? 1 : 0; }
    if (o === null) return op === "ne";
    return { eq: o === 0, ne: o !== 0, lt: o < 0, le: o <= 0, gt: o > 0, ge: o >= 0 }[op];
  }
  function ev(a, dot) {
    switch (a.t) {
      case "num": case "str": return a.v;
      case "ref": return (E ? E.get : val)(a.name);
      case "current": return dot === undefined ? "" : dot;
      case "neg": return -num(ev(a.e, dot));
      case "bin":
        if (a.op === "or") return truthy(ev(a.l, dot)) || truthy(ev(a.r, dot));
        if (a.op === "and") return truthy(ev(a.l, dot)) && truthy(ev(a.r, dot));
        var l = ev(a.l, dot), r = ev(a.r, dot);
        switch (a.op) {
          case "add": return num(l) + num(r);
          case "sub": return num(l) - num(r);
          case "mul": return num(l) * num(r);
          case "div": return num(l) / num(r);
          case "mod": return num(l) % num(r);
          default: return cmp(a.op, l, r);
        }
      case "call":
        var g = function (i) { return ev(a.args[i], dot); };
        switch (a.f) {
          case "selected": var w = txt(g(1)).trim(); return txt(g(0)).split(/\s+/).indexOf(w) >= 0 && w !== "";
          case "count-selected": var s = txt(g(0)).trim(); return s ? s.split(/\s+/).length : 0;
          case "not": return !truthy(g(0));
          case "string-length": return Array.from(txt(g(0))).length;
          case "regex": try { return new RegExp(txt(g(1))).test(txt(g(0))); } catch (e) { return false; }
          case "contains": return txt(g(0)).indexOf(txt(g(1))) >= 0;
          case "starts-with": return txt(g(0)).indexOf(txt(g(1))) === 0;
          case "int": return Math.trunc(num(g(0)));
          case "number": return num(g(0));
          case "string": return txt(g(0));
          case "if": return truthy(g(0)) ? g(1) : g(2);
          case "coalesce": var c = g(0); return txt(c) === "" ? g(1) : c;
          case "true": return true;
          case "false": return false;
          case "today": return E ? E.today : new Date().toISOString().slice(0, 10);
        }
    }
    return "";
  }

  // The evaluator on given answers, for the shared case table (tests/fixtures/expressions.json).
  var E = null;
  window.chorusExpr = function (a, answers, dot, today) {
    E = { get: function (n) { return n in answers ? answers[n] : ""; }, today: today };
    try { return ev(a, dot); } finally { E = null; }
  };

  // ---- the form
  function box(id) { return f.querySelector('[data-q="' + id + '"]'); }
  function fields() {
    var out = {};
    [].forEach.call(f.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.value === "") return;
      (out[el.name] = out[el.name] || []).push(el.value);
    });
    return out;
  }
  function ranking(id, v) {
    var r = [];
    Object.keys(v).forEach(function (k) { if (k.indexOf(id + "/") === 0) r.push([+v[k][0], k.slice(id.length + 1)]); });
    r.sort(function (x, y) { return x[0] - y[0]; });
    return r;
  }
  function raw(id, v) {
    var b = box(id), t = b && b.getAttribute("data-t");
    if (t === "multiple") return (v[id] || []).join(" ");
    if (t === "ranking") return ranking(id, v).map(function (x) { return x[1]; }).join(" ");
    var x = (v[id] || [])[0];
    if (x === undefined || x === "") return "";
    if (NUM[t]) { var n = num(x); return isNaN(n) ? x : n; }
    return x.trim();
  }
  var V = {};
  function val(id) { return shown[id] ? raw(id, V) : ""; }
  function logic() {
    V = fields(); shown = {};
    L.sections.forEach(function (s, i) {
      var sv = !s.relevant || truthy(ev(s.relevant));
      on[i] = sv;
      s.questions.forEach(function (id) {
        var q = L.questions[id], b = box(id);
        shown[id] = sv && !(q && q.relevant && !truthy(ev(q.relevant)));
        if (b) b.hidden = !shown[id];
      });
    });
    $("[data-m]").forEach(function (m) { m.hidden = !$("[data-q]", m).some(function (r) { return !r.hidden; }); });
    progress();
  }
  function setErr(b, msg) {
    var e = b.querySelector(":scope > .err");
    if (!msg) { if (e && e.hasAttribute("data-js")) e.remove(); b.classList.remove("bad"); return; }
    if (!e) { e = document.createElement("p"); e.className = "err"; e.setAttribute("role", "alert"); e.setAttribute("data-js", ""); b.appendChild(e); }
    e.textContent = msg; b.classList.add("bad");
  }
  function check(i) {
    var first = null;
    L.sections[i].questions.forEach(function (id) {
      var b = box(id); if (!b || !shown[id]) return;
      var q = L.questions[id] || {}, v = val(id), msg = null;
      var req = q.required_if ? truthy(ev(q.required_if)) : b.hasAttribute("data-req");
      if (v === "") { if (req) msg = b.getAttribute("data-mreq") || T.required; }
      else if (q.constraint && !truthy(ev(q.constraint, v))) msg = b.getAttribute("data-mcon") || T.constraint;
      else if (f.elements[id + "_other"] && (" " + v + " ").indexOf(" other ") >= 0 && !f.elements[id + "_other"].value.trim()) msg = T.other;
      else if (b.getAttribute("data-t") === "ranking") {
        var r = ranking(id, V), n = $("select", b).length;
        if (r.length !== n || r.some(function (x, k) { return k && x[0] === r[k - 1][0]; })) msg = T.rank;
      }
      setErr(b, msg);
      if (msg && !first) first = b;
    });
    if (first) { first.scrollIntoView({ block: "center" }); var inp = first.querySelector("input,select,textarea"); if (inp) inp.focus({ preventScroll: true }); }
    return !first;
  }

  // ---- pages
  var nav = document.createElement("div"), prog = document.createElement("div");
  nav.className = "nav"; prog.className = "progress";
  prog.innerHTML = '<div class="bar"><i></i></div><span aria-live="polite"></span>';
  nav.innerHTML = '<button type="button" class="prev"></button><button type="button" class="next"></button>';
  var back = nav.firstChild, fwd = nav.lastChild, submitBtn = f.querySelector("button[type=submit]");
  back.textContent = T.prev;
  f.insertBefore(prog, pages[0]);
  f.insertBefore(nav, submitBtn);
  function visible() { return pages.filter(function (p, i) { return on[i]; }); }
  function progress() {
    var vp = visible(), k = vp.indexOf(pages[cur]) + 1, n = vp.length;
    prog.lastChild.textContent = T.page.replace("{i}", k).replace("{n}", n);
    prog.firstChild.firstChild.style.width = (100 * k / Math.max(n, 1)) + "%";
    var last = !pages.slice(cur + 1).some(function (p, j) { return on[cur + 1 + j]; });
    back.hidden = k <= 1; fwd.hidden = last; submitBtn.hidden = !last;
    fwd.textContent = T.next;
  }
  function show(i) { tick(); cur = i; pages.forEach(function (p, k) { p.hidden = k !== i; }); logic(); window.scrollTo(0, 0); store(); }
  function step(d) {
    if (d > 0 && !check(cur)) return;
    for (var k = cur + d; k >= 0 && k < pages.length; k += d) if (on[k]) return show(k);
  }
  back.onclick = function () { step(-1); };
  fwd.onclick = function () { step(1); };

  // ---- keeping answers
  function store() {
    try { localStorage.setItem(KEY, JSON.stringify({ rid: rid.value, page: cur, v: fields(), t: pt })); } catch (e) { /* private mode */ }
  }
  function answers() {
    var v = fields(), a = {};
    Object.keys(v).forEach(function (k) {
      if (k.indexOf("/") >= 0) return;
      var b = box(k);
      a[k] = b && b.getAttribute("data-t") === "multiple" ? v[k] : v[k][0];
    });
    $("[data-t=ranking]").forEach(function (b) {
      var id = b.getAttribute("data-q"), r = ranking(id, v);
      if (r.length) a[id] = r.map(function (x) { return x[1]; });
    });
    return a;
  }
  function partial() {
    if (!token) return;
    fetch(f.getAttribute("data-partial"), { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: token, answers: answers() }) }).catch(function () {});
  }
  function changed(e) {
    logic();
    var b = e.target.closest && e.target.closest("[data-q]");
    if (b && b.classList.contains("bad")) setErr(b, null);
    clearTimeout(saveT); saveT = setTimeout(store, 250);
    clearTimeout(partT); partT = setTimeout(partial, 1500);
  }
  f.addEventListener("input", changed);
  f.addEventListener("change", changed);
  f.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && /text|number|date/.test(t.type))) setTimeout(function () { t.scrollIntoView({ block: "center" }); }, 300);
  });

  // ---- sending
  var status = document.getElementById("status");
  function say(m) { status.textContent = m; status.hidden = !m; }
  function send(attempt) {
    sending = true; submitBtn.disabled = true; say(attempt ? T.retrying : T.sending);
    var body = { response_id: rid.value, answers: answers(), paradata: paradata() };
    if (token) body.token = token;
    var ctl = window.AbortController ? new AbortController() : null;
    var to = setTimeout(function () { if (ctl) ctl.abort(); }, 20000);
    fetch(f.getAttribute("data-api"), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: ctl && ctl.signal })
      .then(function (r) {
        clearTimeout(to);
        if (r.status === 200 || r.status === 201) {
          try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
          location.href = f.getAttribute("data-thanks");
          return;
        }
        if (r.status >= 500 || r.status === 408 || r.status === 429) throw new Error("retry");
        // The server explains anything else on its own page, with the same response_id.
        sending = false; HTMLFormElement.prototype.submit.call(f);
      })
      .catch(function () {
        clearTimeout(to); say(T.offline);
        retry = setTimeout(function () { retry = null; send(attempt + 1); }, Math.min(30000, 2000 * Math.pow(2, attempt)));
      });
  }
  f.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) return;
    logic();
    for (var i = 0; i < pages.length; i++) if (on[i] && !check(i)) { if (i !== cur) { show(i); check(i); } return; }
    store(); send(0);
  });
  window.addEventListener("online", function () { if (retry) { clearTimeout(retry); retry = null; send(1); } });

  // ---- start: restore a draft of this browser, or open the page with an error
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { /* ignore */ }
  if (saved && f.hasAttribute("data-fresh")) {
    rid.value = saved.rid || rid.value;
    [].forEach.call(f.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return;
      var vs = saved.v[el.name];
      if (el.type === "radio" || el.type === "checkbox") el.checked = !!vs && vs.indexOf(el.value) >= 0;
      else el.value = vs ? vs[0] : "";
    });
    cur = Math.min(saved.page || 0, pages.length - 1);
    if (saved.t && saved.t.length === pt.length) pt = saved.t.map(function (x) { return +x || 0; });
    if (Object.keys(saved.v).length) say(T.restored);
  }
  var bad = f.querySelector(".bad");
  if (bad) pages.forEach(function (p, i) { if (p.contains(bad)) cur = i; });
  document.documentElement.classList.add("js");
  show(cur);
  if (bad) bad.scrollIntoView({ block: "center" });
})();
