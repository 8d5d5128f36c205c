// County maps: callbacks send a map without its borders (cockpit/maps.py, map_values); the
// borders are fetched once per page load (and kept by the browser: their URL holds a hash of
// the content) and put back here, before plotly sees the figure. Mirrors maps.with_geometry.
(function () {
  var loads = {};

  function geometry(url) {
    if (!loads[url]) {
      loads[url] = fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) { throw new Error('map geometry ' + r.status); }
        return r.json();
      });
      loads[url].catch(function () { delete loads[url]; });  // the next update tries again
    }
    return loads[url];
  }

  function withRings(trace, geo) {
    var meta = trace.meta;
    if (!meta || !meta.rings) { return trace; }
    var x = [], y = [], codes = [];
    meta.rings.forEach(function (n, i) {
      if (i) { x.push(null); y.push(null); codes.push(null); }  // rings of one trace drawn apart
      var ring = geo.rings[n];
      for (var j = 0; j < ring[0].length; j++) {
        x.push(ring[0][j]); y.push(ring[1][j]); codes.push(geo.codes[n]);
      }
    });
    var out = Object.assign({}, trace, { x: x, y: y });
    if (meta.codes) { out.customdata = codes; }
    return out;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cockpit_maps: {
      draw: function (values) {
        if (!values || !values.figure) { return window.dash_clientside.no_update; }
        return geometry(values.geometry).then(function (geo) {
          return {
            data: values.figure.data.map(function (t) { return withRings(t, geo); }),
            layout: values.figure.layout
          };
        });
      }
    }
  });
})();
