/** The benchmark's results: figures against their targets, written as bench/results.md and .json. */
import { writeFileSync } from "node:fs";
import type { Machine } from "./machine";
import { round, type Summary } from "./stats";

export interface Figure {
  /** Stable id, e.g. "workers.list.p50". */
  id: string;
  /** The row of the issue's table this belongs to. */
  row: string;
  /** What exactly was measured. */
  what: string;
  value: number;
  unit: string;
  /** The target, as a bound on `value`. */
  target: { op: "<=" | ">="; limit: number; text: string } | null;
  /** Sample statistics, when `value` is a median of samples. */
  summary?: Summary;
  baseline?: { what: string; value: number; unit: string; summary?: Summary };
  /** value compared with the baseline: how many times faster (baseline / value) or better. */
  ratio?: { value: number; target: number | null; text: string };
  note?: string;
  /** What limits this figure: printed when the target is missed. */
  limits?: string;
}

export function passes(f: Figure): boolean {
  const t = f.target;
  const valueOk = !t || (t.op === "<=" ? f.value <= t.limit : f.value >= t.limit);
  const ratioOk = !f.ratio || f.ratio.target === null || f.ratio.value >= f.ratio.target;
  return valueOk && ratioOk && Number.isFinite(f.value);
}

/** "missed by 12 ms (24 %)" */
export function missBy(f: Figure): string | null {
  if (passes(f) || !f.target) return null;
  const over = Math.abs(f.value - f.target.limit);
  const parts: string[] = [];
  if (!(f.target.op === "<=" ? f.value <= f.target.limit : f.value >= f.target.limit)) {
    parts.push(`missed by ${fmt(over, f.unit)} (${round((over / f.target.limit) * 100, 0)} %)`);
  }
  if (f.ratio && f.ratio.target !== null && f.ratio.value < f.ratio.target) parts.push(`ratio ${round(f.ratio.value, 1)}x < ${f.ratio.target}x`);
  return parts.join("; ");
}

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  const n = v >= 10_000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(digits);
  return unit ? `${n} ${unit}` : n;
}

function measuredText(f: Figure): string {
  let s = `**${fmt(f.value, f.unit)}**`;
  if (f.summary && f.summary.n > 1) s += ` (median of ${f.summary.n}; p90 ${fmt(f.summary.p90, f.unit)}; IQR ${round(f.summary.spread * 100, 0)} % of median)`;
  if (f.baseline) s += `; baseline ${f.baseline.what}: ${fmt(f.baseline.value, f.baseline.unit)}`;
  if (f.ratio) s += `; **${f.ratio.text}**`;
  return s;
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: Machine;
  figures: Figure[];
  /** Extra detail per section (free text, markdown). */
  sections: { title: string; body: string }[];
  noise: string;
}

const HOW_TO = `## How to run

\`\`\`sh
npm ci
bash scripts/ensure-system-deps.sh   # redis-server, python3-celery, python3-redis, chromium (as root: installs them)
npm run bench                        # about 6 minutes on 2 cores; writes bench/results.md and bench/results.json
npm run bench -- --only=live,tasks   # sections: build, live, ingest, tasks, queues (default: all)
\`\`\`

Everything runs on this machine against real software: a private \`redis-server\` on a free port (never
6379), real Celery workers (\`/usr/bin/python3 -m celery\`, Debian's python3-celery) from
\`test/fixtures/celery_app\`, the agent started as \`node --import tsx agent/cli.ts\` like the tests do, and
headless Chromium with the built extension. Figures are medians of repeated runs; a baseline, where the
issue names one, is measured in the same run, interleaved with the agent's samples. The suite reports, it
does not fail on noise: see \`bench/README.md\` for what each figure measures and how.
`;

export function writeReport(r: Report, mdPath: string, jsonPath: string): void {
  const m = r.machine;
  const lines: string[] = [];
  lines.push("# Celery Panel benchmark results", "");
  lines.push(HOW_TO);
  lines.push("## This run", "");
  lines.push(`- started ${r.startedAt}, took ${Math.round(r.durationS)} s`);
  lines.push(`- machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB memory, ${m.os}`);
  lines.push(
    `- versions: node ${m.versions.node}, redis-server ${m.versions.redis}, celery ${m.versions.celery} (python ${m.versions.python}), ${m.versions.chromium}, agent ${m.versions.agent}`,
  );
  lines.push(`- noise: ${r.noise}`);
  const met = r.figures.filter((f) => f.target || f.ratio).filter(passes).length;
  const total = r.figures.filter((f) => f.target || f.ratio).length;
  lines.push(`- **${met} of ${total} targets met**`, "");
  lines.push("| what | measured | target | result |", "|---|---|---|---|");
  for (const f of r.figures) {
    const target = [f.target?.text, f.ratio?.target ? `>= ${f.ratio.target}x` : null].filter(Boolean).join("; ") || "(reported)";
    const result = !f.target && !f.ratio ? "—" : passes(f) ? "met" : `**MISSED**: ${missBy(f)}${f.limits ? `. Why: ${f.limits}` : ""}`;
    lines.push(`| **${f.row}**: ${f.what} | ${measuredText(f)} | ${target} | ${result} |`);
  }
  lines.push("");
  const notes = r.figures.filter((f) => f.note);
  if (notes.length) {
    lines.push("## Notes on the figures", "");
    for (const f of notes) lines.push(`- **${f.row}** (${f.what}): ${f.note}`);
    lines.push("");
  }
  for (const s of r.sections) lines.push(`## ${s.title}`, "", s.body.trim(), "");
  writeFileSync(mdPath, lines.join("\n"));
  writeFileSync(jsonPath, `${JSON.stringify({ ...r, figures: r.figures.map((f) => ({ ...f, pass: passes(f) })) }, null, 2)}\n`);
}
