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

/** Arithmetic and comparison operators between two operands (spaces around, as the generator writes them). */
const ARITHMETIC = "(?:[-+*/%^]|==|!=|>=|<=|>|<)";
/** What may follow a binary operator before its right operand: bool, on/ignoring (…), group_left/group_right (…). */
const MODIFIERS = /^(?:bool\s+)?(?:(?:on|ignoring)\s*\([^)]*\)\s*)?(?:(group_left|group_right)\s*(?:\([^)]*\))?\s*)?/;

/** The operands of the top-level arithmetic and comparison operators, and the group modifier of a single one. */
function operands(expr: string): { parts: string[]; group?: string } {
  const found = topLevel(expr, new RegExp(`^\\s${ARITHMETIC}\\s`));
  const parts: string[] = [];
  let group: string | undefined;
  let start = 0;
  for (const { index, length } of found) {
    parts.push(expr.slice(start, index));
    start = index + length;
  }
  parts.push(expr.slice(start));
  const stripped = parts.map((part, index) => {
    const modifiers = index === 0 ? undefined : MODIFIERS.exec(part.trim());
    if (modifiers?.[1]) group = modifiers[1];
    return (modifiers ? part.trim().slice(modifiers[0].length) : part).trim();
  });
  return { parts: stripped, group: stripped.length === 2 ? group : undefined };
}

/** Functions that return one series per series of their first argument. */
const ONE_TO_ONE = new Set(["label_replace", "label_join", "floor", "ceil", "round", "abs", "clamp", "clamp_min", "clamp_max", "sort", "sort_desc", "timestamp"]);

function firstArgument(args: string): string {
  const comma = topLevel(args, /^,/)[0];
  return comma ? args.slice(0, comma.index) : args;
}

/**
 * True when `expr` returns at most one series per exporter, at most `$limit` series, or only the
 * picked tenants: topk/bottomk($limit, …), an aggregation that drops customer_tenant_id, an `and`
 * with such a side (an `unless` with such a left side), a join whose many side (group_left: the
 * left) is such, arithmetic between such operands, a one-to-one function of such, or every
 * per-tenant selector filtered by the tenant variable.
 */
export function tenantBounded(expr: string, perTenantMetrics: ReadonlySet<string>): boolean {
  const bounded = (part: string) => tenantBounded(part, perTenantMetrics);
  const inner = unwrap(expr);
  const alternatives = split(inner, "or");
  if (alternatives.length > 1) return alternatives.every(bounded);
  const conjunction = split(inner, "and");
  if (conjunction.length > 1) return conjunction.some(bounded);
  const exception = split(inner, "unless");
  if (exception.length > 1) return bounded(exception[0] ?? "");
  const selectors = [...inner.matchAll(/\b([a-z_:][a-z0-9_:]*)(\{[^}]*\})?/g)].filter((match) => perTenantMetrics.has(match[1] ?? ""));
  if (selectors.length === 0) return true;
  const { parts, group } = operands(inner);
  if (group === "group_left") return bounded(parts[0] ?? "");
  if (group === "group_right") return bounded(parts[1] ?? "");
  if (parts.length > 1) return parts.every(bounded);
  const outer = call(inner);
  if (outer && ONE_TO_ONE.has(outer.name)) return bounded(firstArgument(outer.args));
  if (outer && /^(topk|bottomk)$/.test(outer.name)) return /^\s*\$limit\s*,/.test(outer.args);
  if (outer && /^(sum|count|max|min|avg|group)$/.test(outer.name)) {
    if (!outer.grouping) return true;
    const namesTenant = outer.grouping.labels.includes("customer_tenant_id");
    return (outer.grouping.by ? !namesTenant : namesTenant) || tenantBounded(outer.args, perTenantMetrics);
  }
  return selectors.every((match) => (match[2] ?? "").includes(TENANT_MATCHER));
}
