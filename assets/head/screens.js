/* Screens: wall mode, light/dark theme, and the wall page's watchdog.
 *
 * Loaded in <head> (see cockpit/screens.py), before anything is drawn, so the page never
 * flashes the wrong theme or the desktop controls on a wall. Not auto-loaded by Dash (the
 * head/ folder is in assets_path_ignore).
 *
 * - ?wall=1 puts the page in wall mode: <html class="wall">, always dark; CSS hides the
 *   controls and the cursor; the shell's refresh timer re-runs every panel's callbacks.
 * - Elsewhere the theme is the user's choice (localStorage), else the server's default
 *   (<html data-theme-default>), where "auto" follows the device's light/dark setting.
 * - A wall page opened on its own (not inside /wall) polls /livez and reloads itself once
 *   the server answers again after an outage; inside /wall the frame does that.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var STORE_KEY = "cockpit-theme";
  var params = new URLSearchParams(window.location.search);
  var wall = params.has("wall");
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  var override = null; // this page's choice, even where storage is blocked

  function chosen() {
    if (override) return override;
    try {
      var value = window.localStorage.getItem(STORE_KEY);
      if (value === "light" || value === "dark") return value;
    } catch (e) { /* storage blocked: fall through to the default */ }
    return root.getAttribute("data-theme-default") || "auto";
  }

  function resolve(choice) {
    if (choice === "light" || choice === "dark") return choice;
    return darkQuery && darkQuery.matches ? "dark" : "light";
  }

  function apply() {
    var theme = wall ? "dark" : resolve(chosen());
    root.setAttribute("data-theme", theme);
    var meta = document.querySelector('meta[name="theme-color"]');
    if (meta) meta.setAttribute("content", theme === "dark" ? "#06162e" : "#f4f7fb");
    return theme;
  }

  if (wall) root.classList.add("wall");
  apply();
  if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener("change", apply);

  function prefix() {
    try {
      var config = JSON.parse(document.getElementById("_dash-config").textContent);
      return config.requests_pathname_prefix || "/";
    } catch (e) {
      return "/";
    }
  }

  // A wall page opened on its own reloads itself once the server is back.
  if (wall && window.top === window) {
    var down = false;
    setInterval(function () {
      fetch(prefix() + "livez", { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function () { if (down) window.location.reload(); })
        .catch(function () { down = true; });
    }, 10000);
  }

  /* Dash 4 draws RadioItems and Checklist as a listbox of <label role="option"> around native
   * inputs: screen readers then meet an option with a control inside and a list without a
   * name (axe: aria-allowed-role, nested-interactive, aria-input-field-name). The native
   * inputs already say everything, so the group becomes a named radiogroup/group and the
   * labels plain labels. Re-applied whenever Dash draws new ones. */
  function fixOptionLists(scope) {
    // Every list, not only those still called listbox: Dash redraws a list's options (with
    // role=option again) without touching the list itself.
    var lists = scope.querySelectorAll(".dash-options-list");
    Array.prototype.forEach.call(lists, function (list) {
      var radio = list.classList.contains("dash-radioitems");
      var role = radio ? "radiogroup" : "group";
      if (list.getAttribute("role") !== role) list.setAttribute("role", role);
      if (!list.getAttribute("aria-label")) {
        var box = list.closest(".panel, section");
        var title = box && box.querySelector(".panel-title, h2, h3");
        if (title && title.textContent) list.setAttribute("aria-label", title.textContent.trim());
      }
      Array.prototype.forEach.call(list.querySelectorAll("[role='option']"), function (label) {
        label.removeAttribute("role");
        label.removeAttribute("aria-selected");
      });
    });
  }
  /* The first paint (cockpit/first_paint.py): the page as the server drew it, shown while
   * the renderer draws the same page, unseen, into #react-entry-point (assets/phone.css).
   * Its current module is marked as markCurrent marks the live one. Once the renderer's
   * frame is in with its dropdowns (or it shows anything but its loading box: an error must
   * be seen), the first paint goes and the live page is there in its place. */
  var firstMarked = false;
  function firstPaint() {
    var first = document.getElementById("first-paint");
    if (!first) return;
    if (!firstMarked) {
      var links = first.querySelectorAll(".shell-nav a.nav-link");
      Array.prototype.forEach.call(links, function (link) {
        if (link.getAttribute("href") !== window.location.pathname) return;
        link.classList.add("active");
        link.setAttribute("aria-current", "page");
        firstMarked = true;
      });
    }
    var entry = document.getElementById("react-entry-point");
    if (!entry) return;
    if (!entry.querySelector(".cockpit")) {
      // Not drawn yet; or drawn something else than its loading box: an error to be seen.
      if (entry.firstElementChild && !entry.querySelector("._dash-loading")) remove(first);
      return;
    }
    // Dash 4 draws a dropdown from a chunk of its own, fetched once the frame is in: until
    // then it has no width, and the filters row would move on the swap (CLS 0.09 at 1350 px).
    // The live page waits for its dropdowns, 3 s at most.
    var dropdowns = ".dash-dropdown";
    var ready = entry.querySelectorAll(dropdowns).length >= first.querySelectorAll(dropdowns).length;
    if (ready || framed) {
      remove(first);
    } else if (!framedSince) {
      framedSince = true;
      setTimeout(function () { framed = true; firstPaint(); }, 3000);
    }
  }
  var framedSince = false;
  var framed = false;
  function remove(node) { node.parentNode.removeChild(node); }

  /* Dash's page scripts (cockpit/screens.py, after_first_paint): preloaded by the page, and
   * run here in their order once the first paint is on screen (the browser's first
   * contentful paint; at once on a page without one, such as a wall's, or in a hidden tab,
   * which paints nothing; after 2 s whatever happens); then the renderer is told to start.
   * Run any earlier and the browser, which may hold its first frame while the page is busy,
   * shows nothing until React has drawn. */
  function runScripts() {
    var waiting = document.querySelectorAll('script[type="cockpit/after-first-paint"]');
    var urls = Array.prototype.map.call(waiting, function (tag) { return tag.src; });
    var left = urls.length;
    function ran() {
      left -= 1;
      if (left <= 0) document.dispatchEvent(new Event("cockpit:scripts-run"));
    }
    if (!urls.length) {
      ran();
      return;
    }
    urls.forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false; // run in the listed order, each once fetched
      script.onload = ran;
      script.onerror = ran; // the renderer then says what is missing
      document.body.appendChild(script);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var started = false;
    function start() {
      if (started) return;
      started = true;
      runScripts();
    }
    var hidden = document.visibilityState === "hidden";
    if (!document.getElementById("first-paint") || hidden || !window.PerformanceObserver) {
      start();
      return;
    }
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (entry) {
          if (entry.name === "first-contentful-paint") setTimeout(start, 0);
        });
      }).observe({ type: "paint", buffered: true });
    } catch (e) {
      start(); // no paint timing here: run them now
    }
    setTimeout(start, 2000);
  });

  if (window.MutationObserver) {
    new MutationObserver(function () {
      firstPaint();
      fixOptionLists(document);
    }).observe(root, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["role"]
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    screens: {
      /* The wall's refresh tick: setting the period and county selectors to themselves
       * re-runs every callback that listens to them (every panel of the page), in place. */
      refresh: function (n, period, county) {
        var skip = window.dash_clientside.no_update;
        if (!wall || !n || !period) return [skip, skip];
        return [period, county];
      },
      /* The current module's link stands out (on the phone's bottom bar too). The links
       * shown depend on the user's role, so they are found in the page, not named. */
      markCurrent: function (pathname) {
        var links = document.querySelectorAll("#shell-nav a.nav-link");
        Array.prototype.forEach.call(links, function (link) {
          var current = link.getAttribute("href") === pathname;
          link.classList.toggle("active", current);
          if (current) link.setAttribute("aria-current", "page");
          else link.removeAttribute("aria-current");
        });
        return "shell-nav";
      },
      /* The header's theme button: flips light/dark and remembers the choice. */
      toggleTheme: function (n) {
        var theme = root.getAttribute("data-theme");
        if (n) {
          theme = theme === "dark" ? "light" : "dark";
          override = theme;
          try { window.localStorage.setItem(STORE_KEY, theme); } catch (e) { /* not kept */ }
          apply();
        }
        var next = theme === "dark" ? "浅色" : "深色";
        return [next, "切换到" + next + "主题"];
      }
    }
  });
})();
