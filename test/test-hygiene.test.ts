import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const TEST_DIR = fileURLToPath(new URL("./", import.meta.url));

interface EarlyReturn {
  readonly file: string;
  readonly line: number;
  readonly test: string;
}

/** `it`, `test`, `it.skipIf(…)`, `it.each(…)`: the identifier a call chain starts from. */
function rootName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression) || ts.isCallExpression(expression)) return rootName(expression.expression);
  return undefined;
}

function isExpectCall(node: ts.Node): boolean {
  return ts.isCallExpression(node) && rootName(node.expression)?.startsWith("expect") === true;
}

function containsExpect(node: ts.Node): boolean {
  return isExpectCall(node) || (ts.forEachChild(node, (child) => (containsExpect(child) ? true : undefined)) ?? false);
}

/**
 * Tests whose body returns before its first assertion: such a test passes with nothing asserted
 * (a missing tool must skip with it.skipIf, so a skip shows as a skip and CI fails it). A `return`
 * inside a nested function, or one that returns an assertion, is not one.
 */
export function earlyReturns(file: string, source: string): EarlyReturn[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: EarlyReturn[] = [];
  function visitTest(name: string, body: ts.Node): void {
    let firstExpect = Number.POSITIVE_INFINITY;
    const returns: ts.ReturnStatement[] = [];
    function walk(node: ts.Node, nested: boolean): void {
      if (isExpectCall(node)) firstExpect = Math.min(firstExpect, node.getStart(tree));
      if (!nested && ts.isReturnStatement(node) && !(node.expression && containsExpect(node.expression))) returns.push(node);
      ts.forEachChild(node, (child) => walk(child, nested || ts.isFunctionLike(child)));
    }
    walk(body, false);
    for (const statement of returns) {
      if (statement.getStart(tree) < firstExpect) found.push({ file, line: tree.getLineAndCharacterOfPosition(statement.getStart(tree)).line + 1, test: name });
    }
  }
  function visit(node: ts.Node): void {
    if (ts.isCallExpression(node) && ["it", "test"].includes(rootName(node.expression) ?? "")) {
      const [title] = node.arguments;
      const callback = node.arguments.at(-1);
      if (callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))) {
        visitTest(title && ts.isStringLiteralLike(title) ? title.text : "?", callback.body);
      }
    }
    ts.forEachChild(node, visit);
  }
  visit(tree);
  return found;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("the test files", () => {
  it("have no test that returns before its first assertion", () => {
    const files = testFiles(TEST_DIR);
    expect(files.length).toBeGreaterThan(30);
    const found = files.flatMap((path) => earlyReturns(relative(TEST_DIR, path), readFileSync(path, "utf8")));
    expect(found).toEqual([]);
  });

  it("the check finds a planted early return, and passes a return after an assertion or in a helper", () => {
    const planted = [
      'it("needs a tool", () => {',
      '  if (!hasTool("promtool")) return;',
      "  expect(check()).toBe(0);",
      "});",
      'it.skipIf(x)("returns later", async () => {',
      "  expect(a).toBe(1);",
      "  if (done) return;",
      "  const run = () => { return 1; };",
      "  return expect(run()).resolves.toBe(1);",
      "});",
      'test("returns nothing asserted", () => {',
      "  return;",
      "});",
    ].join("\n");
    expect(earlyReturns("planted.test.ts", planted)).toEqual([
      { file: "planted.test.ts", line: 2, test: "needs a tool" },
      { file: "planted.test.ts", line: 12, test: "returns nothing asserted" },
    ]);
  });
});
