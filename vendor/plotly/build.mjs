// Builds ../../assets/vendor/plotly-cockpit.min.js from index.js: the same esbuild settings
// as plotly.js's own dist build (node_modules/plotly.js/esbuild-config.js), minified.
// The built file is committed: the city's intranet hosts have no npm and no internet.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const version = JSON.parse(readFileSync('node_modules/plotly.js/package.json', 'utf8')).version;

await build({
    entryPoints: ['index.js'],
    outfile: '../../assets/vendor/plotly-cockpit.min.js',
    format: 'iife',
    globalName: 'Plotly', // dcc.Graph uses window.Plotly when it is there, instead of its own
    bundle: true,
    minify: true,
    legalComments: 'none',
    banner: { js: `/*! plotly.js v${version} (MIT), partial bundle of the cockpit: vendor/plotly */` },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    loader: { '.css': 'empty' }, // only maplibre's stylesheet, for map traces we leave out
    target: 'es2016',
    logLevel: 'info',
});
