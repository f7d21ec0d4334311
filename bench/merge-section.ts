/**
 * Replaces one section's figures in a full run's results with those of a later run of that section
 * alone (`npm run bench -- --only=<section> --out=DIR`), and rewrites the report, saying so:
 *   npx tsx bench/merge-section.ts <later results.json> <figure id prefix> <section title prefix>
 * For when one section is fixed and measured again without rerunning the others.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../test/harness/deployment";
import { type Report, writeReport } from "./lib/report";

const [laterPath, idPrefix, titlePrefix] = process.argv.slice(2);
if (!laterPath || !idPrefix || !titlePrefix) throw new Error("usage: merge-section.ts <later results.json> <figure id prefix> <section title prefix>");
const mdPath = join(REPO_ROOT, "bench", "results.md");
const jsonPath = join(REPO_ROOT, "bench", "results.json");
const full = JSON.parse(readFileSync(jsonPath, "utf8")) as Report;
const later = JSON.parse(readFileSync(laterPath, "utf8")) as Report;
const merged: Report = {
  ...full,
  figures: [...full.figures.filter((f) => !f.id.startsWith(idPrefix)), ...later.figures.filter((f) => f.id.startsWith(idPrefix))],
  sections: [
    ...full.sections.filter((s) => !s.title.startsWith(titlePrefix)),
    ...later.sections.filter((s) => s.title.startsWith(titlePrefix)),
    {
      title: `${titlePrefix}: measured again`,
      body: `The figures whose ids start with \`${idPrefix}\` come from a run of that section alone, started ${later.startedAt} (${Math.round(later.durationS)} s; noise: ${later.noise}).`,
    },
  ],
};
writeReport(merged, mdPath, jsonPath);
