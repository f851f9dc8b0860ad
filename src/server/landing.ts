export interface LandingPage {
  readonly name: string;
  readonly version: string;
  readonly links: ReadonlyArray<{ readonly href: string; readonly text: string }>;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** The landing page, built once from data. */
export function renderLanding(page: LandingPage): string {
  const title = `${escapeHtml(page.name)} ${escapeHtml(page.version)}`;
  const items = page.links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></li>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<p>Prometheus exporter for the Microsoft Graph partner security score.</p>
<ul>
${items}
</ul>
</body>
</html>
`;
}
