/* The wall (/wall): scales a fixed design canvas to the screen, rotates the configured
 * screens, and keeps the wall alive unattended.
 *
 * Each screen is a cockpit page (?wall=1) in a same-origin frame of the design size. A frame
 * is shown only once its page has drawn (no white page, no "Loading..."); the next screen is
 * loaded a step ahead. /livez is polled: when the server is unreachable the wall keeps the
 * last good pages and says so in a corner; when it answers again every page is loaded afresh
 * behind the visible one and swapped in when drawn. The same happens every reloadHours.
 * State for people and tests is on <body data-*>: step, screens, connection, recoveries.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("wall-config").textContent);
  var W = cfg.width, H = cfg.height, TILES = cfg.tiles, SCREENS = cfg.screens;
  var READY_TIMEOUT_MS = 90000; // a page not drawn by then is loaded again
  var body = document.body;
  var stage = document.getElementById("wall-stage");
  var statusBox = document.getElementById("wall-status");

  var step = 0;
  var down = false;
  var failures = 0;
  var recoveries = 0;
  var frames = {}; // "tile:screen" -> {el, born, ready}
  var tiles = [];
  var layer = 0;
  var stepShownAt = null;

  // --- the canvas, scaled to the screen --------------------------------------------------
  stage.style.width = TILES * W + "px";
  stage.style.height = H + "px";
  for (var t = 0; t < TILES; t++) {
    var tile = document.createElement("div");
    tile.className = "wall-tile";
    tile.style.left = t * W + "px";
    tile.style.width = W + "px";
    tile.style.height = H + "px";
    // The carousel bar, on the canvas (it scales with it): the screens, the current one
    // marked, and how long until the next one comes up.
    var bar = document.createElement("div");
    bar.className = "wall-bar";
    bar.innerHTML = '<ol class="wall-dots" aria-label="轮播"></ol><span class="wall-next"></span>';
    tile.appendChild(bar);
    stage.appendChild(tile);
    tiles.push(tile);
  }

  function fit() {
    var cw = TILES * W, ch = H;
    var vw = window.innerWidth, vh = window.innerHeight;
    var sx = vw / cw, sy = vh / ch;
    if (cfg.fit === "contain") sx = sy = Math.min(sx, sy);
    else if (cfg.fit === "width") sy = sx;
    else if (cfg.fit === "height") sx = sy;
    var left = (vw - cw * sx) / 2;
    var top = Math.max(0, (vh - ch * sy) / 2);
    stage.style.transform = "translate(" + left + "px," + top + "px) scale(" + sx + "," + sy + ")";
  }
  window.addEventListener("resize", fit);
  fit();

  // --- frames --------------------------------------------------------------------------
  function pageDoc(el) {
    try {
      return el.contentDocument; // null or throws on the browser's own error page
    } catch (e) {
      return null;
    }
  }

  function drawn(el) {
    var doc = pageDoc(el);
    if (!doc || !doc.querySelector(".cockpit")) return false;
    if (doc.querySelector("._dash-loading")) return false;
    var content = doc.getElementById("page-content");
    if (!content || !content.children.length) return false;
    // A wall view (cockpit/wall_views.py) is drawn once its body has been filled.
    var view = doc.getElementById("wall-view-body");
    return !view || view.children.length > 0;
  }

  function makeFrame(tileIndex, screenIndex) {
    var el = document.createElement("iframe");
    el.className = "wall-page";
    el.title = SCREENS[screenIndex].title;
    el.setAttribute("tabindex", "-1");
    el.style.width = W + "px";
    el.style.height = H + "px";
    el.src = SCREENS[screenIndex].src;
    tiles[tileIndex].appendChild(el);
    return { el: el, born: Date.now(), ready: false, tile: tileIndex, screen: screenIndex };
  }

  function frameFor(tileIndex, screenIndex) {
    var key = tileIndex + ":" + screenIndex;
    if (!frames[key]) frames[key] = makeFrame(tileIndex, screenIndex);
    return frames[key];
  }

  /* A desk page taller than the canvas is shrunk to fit it rather than cut off. A wall view
   * is composed for the canvas (its height is the frame's): never shrunk, since a frame made
   * taller would make it taller too. */
  function fitContent(frame) {
    var doc = pageDoc(frame.el);
    var shell = doc && doc.querySelector(".cockpit");
    if (!shell) return;
    var h = Math.ceil(shell.getBoundingClientRect().height);
    if (h > H + 2 && !doc.querySelector(".wall-view")) {
      var s = H / h;
      frame.el.style.height = h + "px";
      frame.el.style.transform = "translateX(" + (W - W * s) / 2 + "px) scale(" + s + ")";
    } else {
      frame.el.style.height = H + "px";
      frame.el.style.transform = "";
    }
  }

  function screenOf(tileIndex, atStep) {
    return (atStep * TILES + tileIndex) % SCREENS.length;
  }

  function wanted() {
    var keep = {};
    for (var t = 0; t < TILES; t++) {
      keep[t + ":" + screenOf(t, step)] = "now";
      var next = t + ":" + screenOf(t, step + 1);
      if (!keep[next]) keep[next] = "next";
    }
    return keep;
  }

  /* Show each tile's screen once drawn; keep the old one up until then; preload the next. */
  function render() {
    var keep = wanted();
    Object.keys(keep).forEach(function (key) {
      var parts = key.split(":");
      frameFor(+parts[0], +parts[1]);
    });
    Object.keys(frames).forEach(function (key) {
      var frame = frames[key];
      if (!frame.ready && drawn(frame.el)) frame.ready = true;
      if (frame.ready) fitContent(frame);
      if (!frame.ready && Date.now() - frame.born > READY_TIMEOUT_MS && !down) {
        frame.el.remove();
        frames[key] = makeFrame(frame.tile, frame.screen);
      }
    });
    var allShown = true;
    for (var t = 0; t < TILES; t++) {
      var current = frames[t + ":" + screenOf(t, step)];
      if (!current.ready) { // the previous page stays until this one is drawn
        allShown = false;
        continue;
      }
      if (!current.el.classList.contains("shown")) {
        current.el.style.zIndex = String(++layer); // the newest page fades in on top
        current.el.classList.add("shown");
      }
      Array.prototype.forEach.call(tiles[t].children, function (el) {
        if (el === current.el || !el.classList.contains("shown") || el.dataset.leaving) return;
        // The new page fades in on top; the old one leaves once it is covered.
        el.dataset.leaving = "1";
        setTimeout(function () {
          delete el.dataset.leaving;
          el.classList.remove("shown");
        }, 800);
      });
    }
    Object.keys(frames).forEach(function (key) {
      var frame = frames[key];
      if (!keep[key] && !frame.el.classList.contains("shown")) {
        frame.el.remove();
        delete frames[key];
      }
    });
    tiles.forEach(function (tile) { // replaced pages nobody sees any more
      Array.prototype.forEach.call(tile.querySelectorAll("iframe:not(.shown)"), function (el) {
        var live = Object.keys(frames).some(function (key) { return frames[key].el === el; });
        if (!live) el.remove();
      });
    });
    var showing = [];
    for (var u = 0; u < TILES; u++) showing.push(SCREENS[screenOf(u, step)].key);
    maybeAdvance(allShown);
    body.setAttribute("data-step", String(step));
    body.setAttribute("data-screens", showing.join(","));
    renderBars();
  }

  /* Each tile's bar: every screen's title (this tile's current one marked) and a countdown
   * to this tile's next screen, counted from when the step came on screen. */
  function renderBars() {
    var seconds = stepSeconds();
    var left = stepShownAt === null ? seconds : seconds - (Date.now() - stepShownAt) / 1000;
    for (var t = 0; t < TILES; t++) {
      var bar = tiles[t].querySelector(".wall-bar");
      var list = bar.querySelector(".wall-dots");
      var next = bar.querySelector(".wall-next");
      if (SCREENS.length <= TILES) {
        bar.hidden = true;
        continue;
      }
      if (list.children.length !== SCREENS.length) {
        list.innerHTML = "";
        SCREENS.forEach(function (screen) {
          var li = document.createElement("li");
          li.textContent = screen.title;
          list.appendChild(li);
        });
      }
      var current = screenOf(t, step);
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.className = i === current ? "active" : "";
      });
      next.textContent = "下一屏 " + SCREENS[screenOf(t, step + 1)].title + " · " +
        Math.max(0, Math.ceil(left)) + " 秒";
    }
  }

  function stepSeconds() {
    var seconds = 0;
    for (var t = 0; t < TILES; t++) seconds = Math.max(seconds, SCREENS[screenOf(t, step)].seconds);
    return seconds;
  }

  /* A step lasts its screens' seconds from the moment they are all on screen, so a slow
   * page does not eat its own time; a step whose pages cannot load stays where it is. */
  function maybeAdvance(allShown) {
    if (SCREENS.length <= TILES) return;
    if (!allShown) return;
    if (stepShownAt === null) stepShownAt = Date.now();
    if (Date.now() - stepShownAt >= stepSeconds() * 1000) {
      step += 1;
      stepShownAt = null;
    }
  }

  /* Load every page afresh behind the visible one (server back, or the periodic refresh);
   * render() shows each new page once drawn and only then retires the old one. */
  function reloadAll() {
    Object.keys(frames).forEach(function (key) {
      var old = frames[key];
      frames[key] = makeFrame(old.tile, old.screen);
    });
  }

  // --- the watchdog --------------------------------------------------------------------
  function setConnection(ok) {
    body.setAttribute("data-connection", ok ? "ok" : "down");
    statusBox.textContent = ok ? "" : "与服务器的连接中断，正在重连；屏上为最近一次数据";
    statusBox.classList.toggle("visible", !ok);
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, 5000);
    fetch(cfg.liveUrl, { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        clearTimeout(timer);
        if (!answer || answer.live !== true) throw new Error("not this server");
        failures = 0;
        if (down) {
          down = false;
          recoveries += 1;
          body.setAttribute("data-recoveries", String(recoveries));
          reloadAll();
        }
        setConnection(true);
      })
      .catch(function () {
        clearTimeout(timer);
        failures += 1;
        if (failures >= 2) {
          down = true;
          setConnection(false);
        }
      });
  }

  body.setAttribute("data-recoveries", "0");
  setConnection(true);
  render();
  setInterval(render, 1000);
  setInterval(poll, cfg.pollSeconds * 1000);
  setInterval(reloadAll, cfg.reloadHours * 3600 * 1000);
})();
