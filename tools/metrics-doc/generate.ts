import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ALL_METRICS } from "../../src/metrics/all-metrics.js";
import type { MetricContract } from "../../src/metrics/contract.js";
import { METRIC_NOTES } from "./notes.js";
import type { MetricNote } from "./notes.js";

export const METRICS_DOC = fileURLToPath(new URL("../../docs/metrics.md", import.meta.url));

const BLOCK = /(<!-- generated from the metric tables \(npm run docs:metrics\): ([a-z-]+) -->\n)[\s\S]*?(<!-- end generated -->)/g;
const HEADER = "| metric | type | labels | source | example query |\n|---|---|---|---|---|\n";

function row(contract: MetricContract, note: MetricNote): string {
  if (!note.type.startsWith(contract.type)) throw new Error(`${contract.name}: docs note says ${note.type}, the table ${contract.type}`);
  const names = contract.labelNames.map((name) => `\`${name}\``).join(", ");
  const labels = note.labelValues ? (names ? `${names}; ${note.labelValues}` : note.labelValues) : names;
  const cells = [`\`${contract.name}\``, note.type, labels, note.source, note.example];
  return `|${cells.map((cell) => (cell ? ` ${cell} ` : " ")).join("|")}|\n`;
}

/** docs/metrics.md with every generated block made anew from the tables and the notes; throws on drift between the two. */
export function generateMetricsDoc(current: string): string {
  const byName = new Map(ALL_METRICS.map((contract) => [contract.name, contract]));
  const unnoted = ALL_METRICS.filter((contract) => !(contract.name in METRIC_NOTES)).map((contract) => contract.name);
  const unknown = Object.keys(METRIC_NOTES).filter((name) => !byName.has(name));
  if (unnoted.length > 0 || unknown.length > 0) throw new Error(`metric notes out of step with the tables: without a note ${unnoted.join(", ") || "none"}; notes for no metric ${unknown.join(", ") || "none"}`);
  const listed = new Set<string>();
  const doc = current.replace(BLOCK, (_block, opening: string, section: string, closing: string) => {
    const rows = Object.entries(METRIC_NOTES).filter(([, note]) => note.section === section);
    for (const [name] of rows) listed.add(name);
    return `${opening}${HEADER}${rows.map(([name, note]) => row(byName.get(name)!, note)).join("")}${closing}`;
  });
  const missing = Object.keys(METRIC_NOTES).filter((name) => !listed.has(name));
  if (missing.length > 0) throw new Error(`docs/metrics.md has no generated block for the section of ${missing.join(", ")}`);
  return doc;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(METRICS_DOC, generateMetricsDoc(readFileSync(METRICS_DOC, "utf8")));
  console.log(`wrote ${METRICS_DOC}`);
}
