// 站内消息 page: its buttons and form send JSON POSTs (the gate refuses form posts), then reload.
(function () {
  "use strict";
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
