import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 60;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every function longer than the limit, as `file:line name (lines)`. */
function longFunctions(fileName: string, text: string, limit = MAX_FUNCTION_LINES): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  function visit(node: ts.Node): void {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const lines = lineOf(node.getEnd()) - lineOf(node.getStart(source)) + 1;
      if (lines > limit) {
        const named = "name" in node && node.name && ts.isIdentifier(node.name) ? node.name.text : "(anonymous)";
        found.push(`${relative(ROOT, fileName)}:${lineOf(node.getStart(source))} ${named} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  }
  visit(source);
  return found;
}

const FILES = sourceFiles(join(ROOT, "src"));

describe("the shape of src/", () => {
  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = FILES.map((file) => [relative(ROOT, file), readFileSync(file, "utf8").split("\n").length] as const).filter(([, lines]) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(FILES.flatMap((file) => longFunctions(file, readFileSync(file, "utf8")))).toEqual([]);
  });

  it("finds a long function where there is one (the check itself can fail)", () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, index) => `  const v${index} = ${index};`).join("\n");
    expect(longFunctions(join(ROOT, "src/planted.ts"), `export function planted(): void {\n${body}\n}\n`)).toEqual([`src/planted.ts:1 planted (${MAX_FUNCTION_LINES + 2} lines)`]);
    expect(longFunctions(join(ROOT, "src/planted.ts"), `export const short = () => 1;\n`)).toEqual([]);
  });
});
