// 站内消息 page: its buttons and form send JSON POSTs (the gate refuses form posts), then reload.
// On these plain pages (no Dash renderer) it also runs the shell header drawn by the server
// (cockpit/static_shell.py): the clock ticks, the theme and 更多 buttons work.
(function () {
  "use strict";
  function shell() {
    if (!document.body.classList.contains("notify-page")) { return; }  // Dash pages: callbacks
    var screens = (window.dash_clientside || {}).screens;
    var theme = document.getElementById("shell-theme");
    function label(n) {
      if (!screens || !theme) { return; }
      var said = screens.toggleTheme(n);
      theme.textContent = said[0];
      theme.title = said[1];
    }
    label(0);
    if (theme) { theme.addEventListener("click", function () { label(1); }); }
    var more = document.getElementById("shell-more");
    if (more) {
      more.addEventListener("click", function () {
        more.setAttribute("aria-expanded", more.getAttribute("aria-expanded") === "true" ? "false" : "true");
      });
    }
    var clock = document.getElementById("shell-clock");
    function tick() {
      // Beijing time, as the Dash pages' clock, whatever the screen's own timezone.
      var bj = new Date(Date.now() + 8 * 3600 * 1000);
      var pad = function (x) { return String(x).padStart(2, "0"); };
      clock.textContent = bj.getUTCFullYear() + "-" + pad(bj.getUTCMonth() + 1) + "-" +
        pad(bj.getUTCDate()) + " 星期" + "日一二三四五六"[bj.getUTCDay()] + " " +
        pad(bj.getUTCHours()) + ":" + pad(bj.getUTCMinutes()) + ":" + pad(bj.getUTCSeconds());
    }
    if (clock) { setInterval(tick, 1000); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", shell);
  } else {
    shell();
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.error || ("HTTP " + r.status)); }
        return data;
      });
    });
  }
  function fail(err) {
    var box = document.getElementById("notify-error");
    if (box) { box.textContent = err.message; } else { window.alert(err.message); }
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-post]");
    if (!b) { return; }
    var body = b.dataset.id ? { id: Number(b.dataset.id) } : {};
    post(b.dataset.post, body).then(function () { window.location.reload(); }, fail);
  });
  document.addEventListener("submit", function (e) {
    if (e.target.id !== "notify-contact") { return; }
    e.preventDefault();
    var f = e.target, box = document.getElementById("notify-contact-error");
    post("/inbox/contact", { phone: f.elements.phone.value, email: f.elements.email.value })
      .then(function () { window.location.reload(); },
            function (err) { if (box) { box.textContent = err.message; } });
  });
  document.addEventListener("submit", function (e) {
    if (e.target.id !== "notify-subscribe") { return; }
    e.preventDefault();
    var f = e.target, body = { levels: [], domains: [], counties: [], channels: [] };
    Array.prototype.forEach.call(f.querySelectorAll("input[type=checkbox]:checked"), function (i) {
      body[i.name].push(i.value);
    });
    body.address = f.elements.address.value;
    var topic = f.querySelector("input[name=topic]:checked");
    body.topic = topic ? topic.value : "warning";
    post("/inbox/subscribe", body).then(function () { window.location.reload(); }, fail);
  });
})();
