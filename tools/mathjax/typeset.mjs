// Typeset card HTML the way Anki's MathJax would, and report every TeX error.
//
// stdin:  [{"id": any, "html": "<card html>"}, ...]
// stdout: [{"id": any, "formulas": N, "errors": [{"tex": "...", "message": "..."}]}, ...]
//
// Anki (desktop 26.9) loads MathJax 3.2.2's tex-chtml-full with inline \(…\), display \[…\],
// processEscapes/processEnvironments/processRefs off, packages + noerrors + mathtools - textmacros
// (see /work/shared/ANKI.md). We load the same component (input/tex-full) with the same options
// and find math with MathJax's own HTML handler, so "what counts as a formula" (text nodes only,
// <pre>/<code>/<script> skipped, entities decoded first) is MathJax's decision, not ours.
//
// One deliberate difference: `noundefined` is removed. In Anki it prints an unknown macro in red
// without raising anything; without it the parser throws "Undefined control sequence", which the
// formatError hook below records. `noerrors` stays (it only changes how an error is drawn; the
// hook still sees every error). The CHTML output jax is loaded (bussproofs needs it) but never run:
// errors are all raised while compiling TeX to MathML, and skipping layout keeps hundreds of
// cards to about a second.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

// The es5 bundles are minified: an uncaught error would print a megabyte of source. Keep it short.
function die(err) {
  process.stderr.write(`typeset.mjs: ${String((err && err.stack) || err).slice(0, 2000)}\n`);
  process.exit(2);
}
process.on('uncaughtException', die);
process.on('unhandledRejection', die);

let current = null; // errors of the formula being compiled; set before each compile

const MathJax = await require('mathjax-full/es5/node-main.js').init({
  loader: {
    load: ['input/tex-full', 'output/chtml'], // = tex-chtml-full, as in Anki
  },
  tex: {
    inlineMath: [['\\(', '\\)']],
    displayMath: [['\\[', '\\]']],
    processEscapes: false,
    processEnvironments: false,
    processRefs: false,
    packages: { '[+]': ['noerrors', 'mathtools'], '[-]': ['textmacros', 'noundefined'] },
    formatError(jax, err) {
      if (current !== null) current.push(err.message);
      return jax.formatError(err);
    },
  },
  startup: { typeset: false },
});

const { mathjax } = MathJax._.mathjax;

// merror nodes that did not come through formatError (rare, but a learner would see them too).
function merrors(node, found) {
  if (node.isKind && node.isKind('merror')) {
    found.push(node.attributes.get('data-mjx-error') || 'merror');
  }
  for (const child of node.childNodes || []) if (child) merrors(child, found);
  return found;
}

async function check(html) {
  const doc = MathJax.startup.getDocument(html);
  doc.findMath();
  const errors = [];
  let formulas = 0;
  for (const item of doc.math) {
    formulas += 1;
    let messages = [];
    // \require{…} may load a package asynchronously; handleRetriesFor re-runs after it arrives.
    try {
      await mathjax.handleRetriesFor(() => {
        messages = [];
        current = messages;
        try {
          item.compile(doc);
        } finally {
          current = null;
        }
      });
    } catch (err) {
      // Not a TeX error but a failure MathJax cannot render past (e.g. \require{nonesuch}).
      messages.push(String((err && err.message) || err).split('\n')[0]);
    }
    if (messages.length === 0 && item.root) messages = merrors(item.root, []);
    for (const message of messages) errors.push({ tex: item.math, message });
  }
  return { formulas, errors };
}

const items = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(items)) throw new Error('expected a JSON array of {"id", "html"}');
const results = [];
for (const { id, html } of items) {
  if (typeof html !== 'string') throw new Error(`item ${JSON.stringify(id)}: html must be a string`);
  results.push({ id, ...(await check(html)) });
}
process.stdout.write(JSON.stringify(results));
