/**
 * Reads the repository's TypeScript as syntax (no type check): every import and re-export with the
 * names it takes, and every export a file declares. The folder-edge and unused-export tests share it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";
import ts from "typescript";

export const ROOT = resolve(import.meta.dir, "../..");

/** Repo-relative paths matching `pattern`, sorted. */
export function filesMatching(pattern: string): string[] {
  return [...new Glob(pattern).scanSync({ cwd: ROOT })].filter((f) => !f.includes("node_modules/")).sort();
}

/** What one import, re-export or dynamic import takes: named exports, or every export ("*"). */
export type Names = Set<string> | "*";

export interface ImportRef {
  /** The importing file, repo-relative. */
  file: string;
  line: number;
  spec: string;
  /** The resolved repo-relative target for a relative specifier, else null (a package or node: module). */
  target: string | null;
  kind: "import" | "export-from" | "dynamic";
  names: Names;
}

export interface ExportDecl {
  name: string;
  line: number;
  /** For `export { a as b } from "./x"` and `export * from "./x"`: where the binding really lives. */
  from?: { target: string; name: string | "*" };
  /** A type or interface: erased at run time. */
  typeOnly: boolean;
}

export interface ParsedFile {
  file: string;
  imports: ImportRef[];
  exports: ExportDecl[];
  /** Names this file references, counted for its own exports (declaration sites left out). */
  localRefs: Set<string>;
}

const cache = new Map<string, ParsedFile>();

function resolveSpec(file: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const abs = resolve(ROOT, dirname(file), spec);
  for (const cand of [abs, `${abs}.ts`, join(abs, "index.ts")]) {
    if (existsSync(cand) && !cand.endsWith("/")) return relative(ROOT, cand);
  }
  return relative(ROOT, abs);
}

function hasExport(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

function hasDefault(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
  );
}

/** Property names read off `id` in `scope`, or "*" when `id` is also used bare. */
function namesReadOff(id: string, scope: ts.Node): Names {
  const out = new Set<string>();
  let bare = false;
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === id) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === n) out.add(p.name.text);
      else if (!(ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isNamespaceImport(p))) bare = true;
    }
    ts.forEachChild(n, walk);
  };
  walk(scope);
  return bare ? "*" : out;
}

/** The names a dynamic `import(...)` call takes, from how its result is used. */
function dynamicNames(call: ts.CallExpression): Names {
  let n: ts.Node = call;
  if (ts.isAwaitExpression(n.parent)) n = n.parent;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isPropertyAccessExpression(p) && p.expression === n) {
    const name = p.name.text;
    if (name !== "then") return new Set([name]);
    const cb = ts.isCallExpression(p.parent) ? p.parent.arguments[0] : undefined;
    if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) {
      const param = cb.parameters[0];
      if (param && ts.isIdentifier(param.name)) return namesReadOff(param.name.text, cb.body);
      if (param && ts.isObjectBindingPattern(param.name)) return bindingNames(param.name);
    }
    return "*";
  }
  if (ts.isVariableDeclaration(p) && p.initializer === n) {
    if (ts.isObjectBindingPattern(p.name)) return bindingNames(p.name);
    if (ts.isIdentifier(p.name)) return namesReadOff(p.name.text, p.getSourceFile());
  }
  return "*";
}

function bindingNames(b: ts.ObjectBindingPattern): Names {
  const out = new Set<string>();
  for (const e of b.elements) {
    if (e.dotDotDotToken) return "*";
    const key = e.propertyName ?? e.name;
    if (!ts.isIdentifier(key)) return "*";
    out.add(key.text);
  }
  return out;
}

/** Whether `n` is the name being declared (not a reference to a binding). */
function isDeclarationName(n: ts.Identifier): boolean {
  const p = n.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === n) return true;
  if (ts.isQualifiedName(p) && p.right === n) return true;
  if (ts.isPropertyAssignment(p) && p.name === n) return true;
  if (ts.isExportSpecifier(p) || ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p))
    return true;
  if (
    (ts.isFunctionDeclaration(p) ||
      ts.isClassDeclaration(p) ||
      ts.isInterfaceDeclaration(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isEnumDeclaration(p) ||
      ts.isModuleDeclaration(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isBindingElement(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isGetAccessor(p) ||
      ts.isSetAccessor(p) ||
      ts.isEnumMember(p) ||
      ts.isTypeParameterDeclaration(p) ||
      ts.isLabeledStatement(p)) &&
    (p as ts.NamedDeclaration).name === n
  )
    return true;
  return false;
}

export function parseFile(file: string): ParsedFile {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ESNext, true, ts.ScriptKind.TS);
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const imports: ImportRef[] = [];
  const exports: ExportDecl[] = [];
  const localRefs = new Set<string>();
  const add = (n: ts.Node, spec: string, kind: ImportRef["kind"], names: Names) =>
    imports.push({ file, line: lineOf(n), spec, target: resolveSpec(file, spec), kind, names });

  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      const c = st.importClause;
      let names: Names = new Set<string>();
      if (c?.name) names.add("default");
      const nb = c?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) names = namesReadOff(nb.name.text, sf);
      else if (nb) for (const e of nb.elements) names.add((e.propertyName ?? e.name).text);
      add(st, spec, "import", names);
      continue;
    }
    if (ts.isExportDeclaration(st)) {
      const from =
        st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : null;
      const target = from ? resolveSpec(file, from) : null;
      const clause = st.exportClause;
      if (from) {
        const names: Names = clause && ts.isNamedExports(clause) ? new Set<string>() : "*";
        if (clause && ts.isNamedExports(clause))
          for (const e of clause.elements) (names as Set<string>).add((e.propertyName ?? e.name).text);
        add(st, from, "export-from", names);
      }
      if (!clause) {
        if (target)
          exports.push({ name: "*", line: lineOf(st), from: { target, name: "*" }, typeOnly: st.isTypeOnly });
      } else if (ts.isNamedExports(clause)) {
        for (const e of clause.elements) {
          const typeOnly = st.isTypeOnly || e.isTypeOnly;
          const orig = (e.propertyName ?? e.name).text;
          if (target)
            exports.push({ name: e.name.text, line: lineOf(e), from: { target, name: orig }, typeOnly });
          else {
            exports.push({ name: e.name.text, line: lineOf(e), typeOnly });
            localRefs.add(orig);
          }
        }
      }
      continue;
    }
    if (ts.isExportAssignment(st)) {
      exports.push({ name: "default", line: lineOf(st), typeOnly: false });
      continue;
    }
    if (!hasExport(st)) continue;
    const typeOnly = ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st);
    if (hasDefault(st)) exports.push({ name: "default", line: lineOf(st), typeOnly });
    else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) exports.push({ name: d.name.text, line: lineOf(d), typeOnly: false });
        else
          for (const e of d.name.elements)
            if (ts.isBindingElement(e) && ts.isIdentifier(e.name))
              exports.push({ name: e.name.text, line: lineOf(e), typeOnly: false });
      }
    } else {
      const name = (st as unknown as ts.NamedDeclaration).name;
      if (name && ts.isIdentifier(name)) exports.push({ name: name.text, line: lineOf(st), typeOnly });
    }
  }

  const walk = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) add(n, arg.text, "dynamic", dynamicNames(n));
    }
    if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      const q = n.qualifier;
      add(n, n.argument.literal.text, "import", q && ts.isIdentifier(q) ? new Set([q.text]) : "*");
    }
    if (ts.isIdentifier(n) && !isDeclarationName(n)) localRefs.add(n.text);
    if (ts.isShorthandPropertyAssignment(n)) localRefs.add(n.name.text);
    ts.forEachChild(n, walk);
  };
  walk(sf);

  const parsed = { file, imports, exports, localRefs };
  cache.set(file, parsed);
  return parsed;
}

/** The folder of a file under src: `src/<folder>/...` -> folder; a ground-floor `src/x.ts` -> null. */
export function srcFolder(file: string): string | null {
  const parts = file.split("/");
  if (parts[0] !== "src") throw new Error(`not under src: ${file}`);
  return parts.length > 2 ? (parts[1] ?? null) : null;
}
