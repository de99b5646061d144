// mocha's configuration. `npm test` (no file named) runs every test/**/*.test.ts; naming files,
// as in `npx mocha test/plc/mac.test.ts`, runs only those (a plain .mocharc.json `spec` would
// run the whole suite besides them).
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.(ts|js|mjs|cjs)$/.test(a));
module.exports = {
  spec: named ? [] : ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  timeout: 60000,
  reporter: 'spec',
  parallel: false,
};
