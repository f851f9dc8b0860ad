import { writeFileSync } from "node:fs";
import { buildDashboards, serialize } from "./dashboards.js";

// `npm run dashboards`: writes grafana/dashboards/*.json from the code.
for (const [file, dashboard] of Object.entries(buildDashboards())) {
  const path = new URL(`../dashboards/${file}`, import.meta.url);
  writeFileSync(path, serialize(dashboard));
  process.stdout.write(`wrote grafana/dashboards/${file}\n`);
}
