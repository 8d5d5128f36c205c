/* plotly.js on demand (issue #20 item 7).
 *
 * plotly.js is the largest script of a page (the cockpit's partial bundle, assets/vendor/,
 * ~410 KB compressed); a phone spent seconds fetching and running it before the first screen,
 * even on a page that opens with no chart (/hotline's charts are folded). So it is not among
 * the page's scripts: it is fetched when a chart is about to be seen.
 *
 * How dcc.Graph gets plotly.js (dash_core_components, Graph's loader): when a graph first
 * mounts it waits for `Promise.resolve(window.Plotly || <a script from _dashPlotlyJSURL>)`,
 * showing a `.dash-graph--pending` box meanwhile. Until plotly.js is here, window.Plotly is
 * the stand-in below, a promise-like object: the graph waits on it. The stand-in fetches the
 * bundle (<html data-plotly-src>, fingerprinted, cached for a year):
 * - on a wider screen (desktop, wall) as soon as a graph asks: charts are the page there;
 * - on a phone once a waiting graph comes within half a screen of the viewport: a folded
 *   section's charts when it is opened, the overview's map as the leader scrolls to it.
 * The bundle's own `var Plotly = ...` then replaces the stand-in, and the graphs draw.
 */
(function () {
  "use strict";

  var src = document.documentElement.getAttribute("data-plotly-src");
  if (!src || window.Plotly) return;

  // The phone's width, as assets/phone.css's @media (max-width: 767px).
  var phone = window.matchMedia ? window.matchMedia("(max-width: 767px)") : null;
  var waiting = []; // [resolve, reject] of each graph loader waiting for plotly.js
  var requested = false;
  var watcher = null; // MutationObserver: graphs that start waiting
  var seen = null; // IntersectionObserver: a waiting graph near the viewport

  function settle(error) {
    var all = waiting;
    waiting = [];
    all.forEach(function (pair) {
      if (error) pair[1](error);
      else pair[0](window.Plotly);
    });
  }

  function load() {
    if (requested) return;
    requested = true;
    if (watcher) watcher.disconnect();
    if (seen) seen.disconnect();
    watcher = seen = null;
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = function () {
      settle(null);
    };
    script.onerror = function () {
      requested = false; // a later graph may try again
      settle(new Error("plotly.js did not load: " + src));
    };
    document.head.appendChild(script);
  }

  function observePending() {
    document.querySelectorAll(".dash-graph--pending").forEach(function (graph) {
      seen.observe(graph); // observing a graph twice is a no-op
    });
  }

  function watch() {
    if (requested || watcher) return;
    if (!phone || !phone.matches || !window.IntersectionObserver) {
      load();
      return;
    }
    seen = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) load();
      },
      { rootMargin: "0px 0px 50% 0px" }
    );
    watcher = new MutationObserver(observePending);
    watcher.observe(document.body, { childList: true, subtree: true });
    observePending();
    // A phone turned to a wider screen shows its charts at once.
    phone.addEventListener("change", function () {
      if (!phone.matches) load();
    });
  }

  window.Plotly = {
    then: function (resolve, reject) {
      if (window.Plotly !== this) {
        resolve(window.Plotly); // loaded since this stand-in was handed out
        return;
      }
      waiting.push([resolve, reject]);
      watch();
    },
  };
})();
