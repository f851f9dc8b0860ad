import { describe, expect, it } from "vitest";
import { renderLanding } from "../../src/server/landing.js";

describe("the landing page", () => {
  it("is the whole page, with the name, version and links", () => {
    expect(renderLanding({ name: "partner-security-exporter", version: "1.2.3", links: [{ href: "/metrics", text: "Metrics" }, { href: "/healthz", text: "Health" }] })).toBe(
      `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>partner-security-exporter 1.2.3</title></head>
<body>
<h1>partner-security-exporter 1.2.3</h1>
<p>Prometheus exporter for the Microsoft Graph partner security score.</p>
<ul>
<li><a href="/metrics">Metrics</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</body>
</html>
`,
    );
  });

  it("escapes every character that could start markup or end an attribute, in every place text goes", () => {
    const hostile = `a&b<c>d"e'f`;
    const html = renderLanding({ name: hostile, version: hostile, links: [{ href: `/m?x=${hostile}`, text: hostile }] });
    const escaped = "a&amp;b&lt;c&gt;d&quot;e&#39;f";
    expect(html).toContain(`<title>${escaped} ${escaped}</title>`);
    expect(html).toContain(`<h1>${escaped} ${escaped}</h1>`);
    expect(html).toContain(`<li><a href="/m?x=${escaped}">${escaped}</a></li>`);
    expect(html).not.toContain(hostile);
  });
});
