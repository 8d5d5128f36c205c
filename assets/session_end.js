/* Session end: the page clears itself and goes to the login page (等保 8.1.4.1 b).
 *
 * The server ends a session after idle_minutes without the user's doing, or when it is
 * revoked; from then on every Dash request is answered 401 (cockpit/security/gate.py). Two
 * things make the open page follow:
 *   - any /_dash-* request answered 401: the session is gone, whatever ended it;
 *   - a timer on the idle limit: the cookie `cockpit_idle` (seconds, set at sign-in; none for
 *     wall screens) says how long; it restarts when the user does something that reaches the
 *     server, by the server's own rule: a callback not fired by timers alone (n_intervals).
 * Either way the page is emptied first, so no figure stays on screen, then replaced by
 * /login?expired=1 (replace: the back button does not bring the page back).
 * Loaded on every page (Dash serves all of assets/); on pages without a session it does nothing.
 */
(function () {
  "use strict";

  var IDLE_COOKIE = "cockpit_idle";
  var ended = false;
  var lastActivity = Date.now();
  var nativeFetch = window.fetch.bind(window);

  function idleSeconds() {
    var found = document.cookie.match(/(?:^|;\s*)cockpit_idle=(\d+)/);
    return found ? parseInt(found[1], 10) : 0;
  }

  function end() {
    if (ended) { return; }
    ended = true;
    var here = window.location.pathname + window.location.search;
    // Empty the page at once: the figures must not stay up while the login page loads.
    document.title = "会话已结束";
    if (document.body) { document.body.replaceChildren(); }
    document.cookie = IDLE_COOKIE + "=; Max-Age=0; Path=/";
    window.location.replace("/login?expired=1&next=" + encodeURIComponent(here));
  }

  function byTheUser(init) {
    // The server's rule (gate.only_timers): a callback fired only by n_intervals is a timer.
    try {
      var changed = JSON.parse((init && init.body) || "{}").changedPropIds || [];
      return !changed.length || !changed.every(function (p) { return /\.n_intervals$/.test(p); });
    } catch (e) {
      return false;
    }
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (url.indexOf("_dash-") === -1) { return nativeFetch(input, init); }
    if (ended) { return new Promise(function () {}); }  // nothing more goes out or comes in
    if (url.indexOf("_dash-update-component") !== -1 && byTheUser(init)) {
      lastActivity = Date.now();
    }
    return nativeFetch(input, init).then(function (response) {
      if (response.status === 401) { end(); }
      return response;
    });
  };

  window.setInterval(function () {
    var limit = idleSeconds();
    if (limit > 0 && Date.now() - lastActivity >= limit * 1000) { end(); }
  }, 1000);
})();
