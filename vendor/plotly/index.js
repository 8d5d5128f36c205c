// The cockpit's plotly.js: the core plus only the trace types the panels draw.
// tests/unit/test_plotly_bundle.py fails when a panel starts using a type missing here
// (plotly draws nothing for an unregistered type), so add it here and rebuild.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/treemap')
    // scatter is part of the core
]);

module.exports = Plotly;
