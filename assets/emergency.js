/* 应急指挥: the connection state on the emergency screen, and recovery from a dropped link.
 *
 * Watches the browser's offline/online events and every Dash callback request. When a
 * request fails for lack of a connection (or a proxy answers 502/503/504 because the server
 * is down), #emergency-connection says so and this script pings the server every few seconds.
 * When the server answers again it says so and pokes the screen (the emergency-poke store),
 * so the refresh callback catches up at once instead of waiting for the next tick.
 * 「已更新」 is the time the server stamped on its last answer (X-City-Time: the city's clock,
 * cockpit/clock.py), never this browser's own clock, which may be in another timezone.
 * Loaded on every page (Dash serves all of assets/); it does nothing where the screen is not.
 */
(function () {
  "use strict";

  var TEXT = {
    online: "服务器连接正常",
    offline: "网络已断开，正在重连…",
    error: "服务器无响应，正在重连…",
    restored: "连接已恢复"
  };
  var RETRY_MS = 4000;
  var RESTORED_MS = 5000;
  var DOWN = { 502: true, 503: true, 504: true };

  var state = navigator.onLine ? "online" : "offline";
  var lastOk = null; // "HH:MM:SS", the city time of the server's last answer
  var retryTimer = null;
  var restoredUntil = 0;
  var nativeFetch = window.fetch.bind(window);

  function prefix() {
    try {
      var config = JSON.parse(document.getElementById("_dash-config").textContent);
      return config.requests_pathname_prefix || "/";
    } catch (e) {
      return "/";
    }
  }

  function render() {
    var el = document.getElementById("emergency-connection");
    if (!el) { return; }
    var shown = state === "online" && Date.now() < restoredUntil ? "restored" : state;
    var text = TEXT[shown];
    if (shown === "online" && lastOk) {
      text += " · " + lastOk + " 已更新";
    }
    if (el.textContent !== text) { el.textContent = text; }
    var cls = "em-conn is-" + shown;
    if (el.className !== cls) { el.className = cls; }
    el.setAttribute("data-state", state);
  }

  function poke() {
    var dc = window.dash_clientside;
    if (dc && dc.set_props && document.getElementById("emergency-poke")) {
      dc.set_props("emergency-poke", { data: Date.now() });
    }
  }

  function setState(next) {
    var was = state;
    state = next;
    if (next === "online") {
      stopRetry();
      if (was !== "online") {
        restoredUntil = Date.now() + RESTORED_MS;
        poke();
      }
    } else {
      startRetry();
    }
    render();
  }

  function ping() {
    nativeFetch(prefix() + "_favicon.ico?ping=" + Date.now(), { cache: "no-store" }).then(
      function (response) { setState(response.ok ? "online" : "error"); },
      function () { setState(navigator.onLine ? "error" : "offline"); }
    );
  }

  function startRetry() {
    if (!retryTimer) { retryTimer = window.setInterval(ping, RETRY_MS); }
  }

  function stopRetry() {
    if (retryTimer) { window.clearInterval(retryTimer); retryTimer = null; }
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var request = nativeFetch(input, init);
    if (url.indexOf("_dash-update-component") === -1) { return request; }
    return request.then(
      function (response) {
        if (DOWN[response.status]) {
          setState("error");
        } else {
          lastOk = response.headers.get("X-City-Time") || lastOk;
          setState("online");
        }
        return response;
      },
      function (err) {
        setState(navigator.onLine ? "error" : "offline");
        throw err;
      }
    );
  };

  window.addEventListener("offline", function () { setState("offline"); });
  window.addEventListener("online", ping);
  // The screen is swapped in by the router, and a "restored" note must turn back to normal:
  // a light check each second keeps the element in step with the state.
  window.setInterval(render, 1000);
  if (state !== "online") { startRetry(); }
})();
