// webpack for a Node.js program that uses sentvec: `npx webpack`, then `node dist/main.js`.
const path = require('node:path');

module.exports = {
  target: 'node',
  mode: 'production',
  entry: './src/index.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'main.js' },
  // sentvec finds its native addon (.node) and WASM files in its own folder at run time, so it is
  // required from node_modules rather than bundled: bundled in, it cannot reach the addon and runs on WASM.
  externals: { sentvec: 'commonjs sentvec' },
};
