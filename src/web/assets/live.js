// Live updates of the fieldwork monitor: every few seconds (data-every on #live, in ms)
// the page fetches itself and swaps each [data-live] block for the new one, so counts,
// the chart and the units move while responses arrive; the batch form is left as typed.
// Paused by its button (WCAG 2.2.2) and while the tab is hidden; new completed
// responses are announced in the polite status. Without script: the refresh link.
(function () {
  var live = document.getElementById("live");
  var button = document.getElementById("live-toggle");
  var time = document.getElementById("live-time");
  var news = document.getElementById("live-news");
  if (!live || !button || !window.fetch || !window.DOMParser) return;
  var on = true, busy = false, last = Date.now();
  var words = { pause: button.textContent, resume: button.getAttribute("data-resume") };
  button.hidden = false;
  function total(doc) {
    var t = doc.querySelector("[data-total]");
    return t ? Number(t.getAttribute("data-total")) : 0;
  }
  function swap(doc) {
    var before = total(document);
    var blocks = document.querySelectorAll("[data-live]");
    for (var i = 0; i < blocks.length; i++) {
      var name = blocks[i].getAttribute("data-live");
      var fresh = doc.querySelector('[data-live="' + name + '"]');
      if (fresh) blocks[i].innerHTML = fresh.innerHTML;
    }
    var t = doc.getElementById("live-time");
    if (t) time.textContent = t.textContent;
    var added = total(document) - before;
    if (added > 0) news.textContent = "新增 " + added + " 份答卷 · " + added + " new responses";
  }
  function refresh() {
    busy = true;
    last = Date.now();
    fetch(location.href, { credentials: "same-origin", headers: { "X-Chorus-Live": "1" } })
      .then(function (r) {
        if (!r.ok || r.redirected) throw new Error("status " + r.status);
        return r.text();
      })
      .then(function (html) { swap(new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { news.textContent = "自动更新失败，请刷新页面 · Live update failed; reload the page"; })
      .then(function () { busy = false; });
  }
  button.addEventListener("click", function () {
    on = !on;
    button.setAttribute("aria-pressed", String(!on));
    button.textContent = on ? words.pause : words.resume;
    if (on) refresh();
  });
  setInterval(function () {
    var every = Number(live.getAttribute("data-every")) || 15000;
    if (on && !busy && !document.hidden && Date.now() - last >= every) refresh();
  }, 500);
})();
