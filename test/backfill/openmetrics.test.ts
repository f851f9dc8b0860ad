import { describe, expect, it } from "vitest";
import { parseLabels, parseUntil } from "../../src/backfill/backfill.js";
import { renderHistory } from "../../src/backfill/openmetrics.js";
import { ConfigError } from "../../src/config-error.js";

const DAY = 86_400;
const ENTRIES = [
  { createdSeconds: 10 * DAY, score: 40, compliantRequirements: 2, totalRequirements: 5 },
  { createdSeconds: 11 * DAY, score: 45.5, compliantRequirements: undefined, totalRequirements: 5 },
];

describe("the backfill's OpenMetrics", () => {
  it("writes every entry at its date, with the labels (escaped) and the partner's info series, ending in # EOF", () => {
    const text = renderHistory(ENTRIES, { labels: [["job", "pse"], ["namespace", 'a"b\\c']], partnerTenantId: "p" });
    const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(samples).toEqual([
      `partner_security_history_score{job="pse",namespace="a\\"b\\\\c"} 40 ${10 * DAY}`,
      `partner_security_history_score{job="pse",namespace="a\\"b\\\\c"} 45.5 ${11 * DAY}`,
      `partner_security_history_compliant_requirements{job="pse",namespace="a\\"b\\\\c"} 2 ${10 * DAY}`,
      `partner_security_history_requirements{job="pse",namespace="a\\"b\\\\c"} 5 ${10 * DAY}`,
      `partner_security_history_requirements{job="pse",namespace="a\\"b\\\\c"} 5 ${11 * DAY}`,
      `partner_security_score{job="pse",namespace="a\\"b\\\\c"} 40 ${10 * DAY}`,
      `partner_security_score{job="pse",namespace="a\\"b\\\\c"} 45.5 ${11 * DAY}`,
      `partner_security_exporter_partner_info{job="pse",namespace="a\\"b\\\\c",partner_tenant_id="p"} 1 ${10 * DAY}`,
      `partner_security_exporter_partner_info{job="pse",namespace="a\\"b\\\\c",partner_tenant_id="p"} 1 ${11 * DAY}`,
    ]);
    expect(text.endsWith("# EOF\n")).toBe(true);
  });
});

describe("the backfill's own flags", () => {
  it.each([
    ["job", "not name=value"],
    ["1job=x", "not name=value"],
    ["__name__=x", "not name=value"],
    ["partner_tenant_id=x", "written by the backfill itself"],
    ["job=", "has an empty value"],
  ])("refuses --label %s naming the flag", (text, message) => {
    expect(() => parseLabels([text])).toThrow(ConfigError);
    expect(() => parseLabels([text])).toThrow(message);
  });

  it("refuses a label given twice, and keeps = in values", () => {
    expect(() => parseLabels(["job=a", "job=b"])).toThrow("job is given twice");
    expect(parseLabels(["job=a=b"])).toEqual([["job", "a=b"]]);
  });

  it("reads --until as a date-time, now by default", () => {
    expect(parseUntil(undefined, 5000)).toBe(5);
    expect(parseUntil("2026-12-01T00:00:00Z", 0)).toBe(Date.parse("2026-12-01T00:00:00Z") / 1000);
    expect(() => parseUntil("yesterday", 0)).toThrow('--until: "yesterday" is not a date-time');
  });
});
