// Call stagematch from a Node.js tool: the dataset goes in as JSON on standard input, the result
// comes back as JSON on standard output (see docs/schema/result.schema.json).
//
//   node solve.mjs dataset.json
//
// STAGEMATCH may name the command (default: "stagematch" on the PATH).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const dataset = JSON.parse(readFileSync(process.argv[2], "utf8"));
const run = spawnSync(
  process.env.STAGEMATCH ?? "stagematch",
  ["solve", "--json", "-", "--time-limit", "10"],
  {
    input: JSON.stringify(dataset),
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024, // an académie's plan is tens of megabytes
    stdio: ["pipe", "pipe", "inherit"], // progress messages go to our stderr
  },
);
if (run.error) throw run.error; // stagematch is not installed, or not on the PATH

const result = JSON.parse(run.stdout); // always one JSON document, whatever the exit code
switch (result.status) {
  case "optimal":
  case "feasible": {
    const { placed, students, qpv_placed, qpv_students } = result.counts;
    console.log(`${result.status}: ${placed}/${students} placed, QPV ${qpv_placed}/${qpv_students}`);
    for (const a of result.assignments.filter((a) => a.kind === "placement")) {
      console.log(`${a.student_id} -> ${a.item_id} (${a.start}..${a.end}, ${a.travel_min} min)`);
    }
    for (const u of result.unplaced) console.log(`${u.student_id} unplaced: ${u.reason}`);
    break;
  }
  case "infeasible_input":
    for (const p of result.problems) {
      console.error(`${p.table}, row ${p.row ?? "-"}, column ${p.column ?? "-"}: ${p.message}`);
    }
    process.exitCode = 1;
    break;
  default: // "error": an option that cannot be honoured, a file that cannot be written
    console.error(result.message);
    process.exitCode = 1;
}
