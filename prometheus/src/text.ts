/**
 * Rule text with holes: an expression or annotation is literal text and parameters, rendered
 * either with the configured values (prometheus/alerts.yml) or as Helm placeholders (the chart).
 */

export type Param =
  /** The exporter selector, inside a series selector's braces. */
  | { readonly kind: "selector" }
  /** RulesConfig.seriesGapTolerance. */
  | { readonly kind: "gap" }
  /** A setting of the alert being rendered. */
  | { readonly kind: "setting"; readonly key: string };

export type Piece = string | Param;
export type Text = readonly Piece[];

type Hole = string | number | Param | Text;

function isText(value: Hole): value is Text {
  return Array.isArray(value);
}

/** Tagged template: t`rate(${sel("x")}[${setting("window")}])`; nested Texts are spliced in. */
export function t(strings: TemplateStringsArray, ...holes: Hole[]): Text {
  const pieces: Piece[] = [];
  strings.forEach((literal, index) => {
    pieces.push(literal);
    const hole = index < holes.length ? holes[index] : undefined;
    if (hole === undefined) return;
    if (typeof hole === "string" || typeof hole === "number") pieces.push(String(hole));
    else if (isText(hole)) pieces.push(...hole);
    else pieces.push(hole);
  });
  return merge(pieces);
}

/** Adjacent literals joined, empty ones dropped. */
function merge(pieces: readonly Piece[]): Text {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (typeof piece === "string" && typeof last === "string") out[out.length - 1] = last + piece;
    else if (piece !== "") out.push(piece);
  }
  return out;
}

export const SELECTOR: Param = { kind: "selector" };
export const GAP: Param = { kind: "gap" };

export function setting(key: string): Param {
  return { kind: "setting", key };
}

/** `metric{<selector>,extra}`. */
export function sel(metric: string, extra = ""): Text {
  return t`${metric}{${SELECTOR}${extra ? `,${extra}` : ""}}`;
}

/** Indents every line after the first by `spaces`, for nesting a multi-line Text. */
export function indent(text: Text, spaces: number): Text {
  const pad = " ".repeat(spaces);
  return text.map((piece) => (typeof piece === "string" ? piece.replace(/\n/g, `\n${pad}`) : piece));
}
