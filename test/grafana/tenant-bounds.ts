/**
 * Whether a dashboard query can return one series per customer tenant, read from its PromQL: the
 * static half of "no default query draws thousands of series" (the e2e counts them for real).
 */

const TENANT_MATCHER = 'customer_tenant_id=~"$customer_tenant_id"';

/** Positions of `word` in `expr` outside parentheses, braces, brackets and strings. */
function topLevel(expr: string, word: RegExp): Array<{ index: number; length: number }> {
  const found: Array<{ index: number; length: number }> = [];
  let depth = 0;
  let quote = "";
  for (let i = 0; i < expr.length; i++) {
    const char = expr[i] ?? "";
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = "";
    } else if (char === '"' || char === "'") quote = char;
    else if ("({[".includes(char)) depth++;
    else if (")}]".includes(char)) depth--;
    else if (depth === 0) {
      const match = word.exec(expr.slice(i));
      if (match?.index === 0) {
        found.push({ index: i, length: match[0].length });
        i += match[0].length - 1;
      }
    }
  }
  return found;
}

function split(expr: string, operator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const { index, length } of topLevel(expr, new RegExp(`^\\s${operator}\\s`))) {
    parts.push(expr.slice(start, index));
    start = index + length;
  }
  parts.push(expr.slice(start));
  // A vector-matching modifier belongs to the operator, not to the right operand.
  return parts.map((part) => part.trim().replace(/^(?:on|ignoring)\s*\([^)]*\)\s*/, ""));
}

/** The index of the parenthesis closing the one at `open`, strings skipped; -1 if none. */
function closing(expr: string, open: number): number {
  let depth = 0;
  let quote = "";
  for (let i = open; i < expr.length; i++) {
    const char = expr[i] ?? "";
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = "";
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0) return i;
  }
  return -1;
}

function unwrap(expr: string): string {
  const trimmed = expr.trim();
  return trimmed.startsWith("(") && closing(trimmed, 0) === trimmed.length - 1 ? unwrap(trimmed.slice(1, -1)) : trimmed;
}

/** `name(...)` or `name by (...) (...)` spanning all of `expr`: the name, its grouping and its arguments. */
function call(expr: string): { name: string; grouping?: { by: boolean; labels: string[] }; args: string } | undefined {
  const head = /^(\w+)\s*(?:(by|without)\s*\(([^)]*)\)\s*)?\(/.exec(expr);
  if (!head) return undefined;
  const open = head[0].length - 1;
  if (closing(expr, open) !== expr.length - 1) return undefined;
  const grouping = head[2] ? { by: head[2] === "by", labels: (head[3] ?? "").split(",").map((label) => label.trim()) } : undefined;
  return { name: head[1] ?? "", grouping, args: expr.slice(open + 1, -1) };
}

/**
 * True when `expr` returns at most one series per exporter, at most `$limit` series, or only the
 * picked tenants: topk/bottomk($limit, …), an aggregation that drops customer_tenant_id, an `and`
 * with such a side, or every per-tenant selector filtered by the tenant variable.
 */
export function tenantBounded(expr: string, perTenantMetrics: ReadonlySet<string>): boolean {
  const inner = unwrap(expr);
  const alternatives = split(inner, "or");
  if (alternatives.length > 1) return alternatives.every((part) => tenantBounded(part, perTenantMetrics));
  const conjunction = split(inner, "and");
  if (conjunction.length > 1) return conjunction.some((part) => tenantBounded(part, perTenantMetrics));
  const selectors = [...inner.matchAll(/\b([a-z_:][a-z0-9_:]*)(\{[^}]*\})?/g)].filter((match) => perTenantMetrics.has(match[1] ?? ""));
  if (selectors.length === 0) return true;
  const outer = call(inner);
  if (outer && /^(topk|bottomk)$/.test(outer.name)) return /^\s*\$limit\s*,/.test(outer.args);
  if (outer && /^(sum|count|max|min|avg|group)$/.test(outer.name)) {
    if (!outer.grouping) return true;
    const namesTenant = outer.grouping.labels.includes("customer_tenant_id");
    return (outer.grouping.by ? !namesTenant : namesTenant) || tenantBounded(outer.args, perTenantMetrics);
  }
  return selectors.every((match) => (match[2] ?? "").includes(TENANT_MATCHER));
}
