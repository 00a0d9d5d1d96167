/**
 * The line vocabulary of the rollout gates (docs/reference/cli-rollout-api.md §2.2) and the JSON envelope that
 * `--output=json` prints. A gate writes lines and throws `GateError` to fail; the runner
 * decides whether the lines stream to stdout (text) or are captured into JSON.
 */

import { errorText } from "../error-text.ts";
import { rfc3339Nano } from "../time.ts";

/** A gate failure: the message becomes `FAIL <message>` (text) or a `failures` entry (JSON). */
export class GateError extends Error {}

export type OutputMode = "text" | "json";

/** Writes the gate's lines. `section` adds the blank line that follows every `## title`. */
export class Lines {
  constructor(private readonly write: (line: string) => void) {}
  pass(msg: string): void {
    this.write(`PASS ${msg}`);
  }
  info(msg: string): void {
    this.write(`INFO ${msg}`);
  }
  warn(msg: string): void {
    this.write(`WARN ${msg}`);
  }
  section(title: string): void {
    this.write(`## ${title}`);
    this.write("");
  }
  text(line: string): void {
    this.write(line);
  }
}

export type LineLevel = "pass" | "warn" | "info" | "fail" | "section" | "output";

export interface ReportLine {
  level: LineLevel;
  message: string;
}

export interface GateJson {
  ok: boolean;
  command: string;
  generated_at: string;
  lines?: ReportLine[];
  failures?: string[];
}

const PREFIXES: [string, LineLevel][] = [
  ["PASS ", "pass"],
  ["WARN ", "warn"],
  ["INFO ", "info"],
  ["FAIL ", "fail"],
];

/** Splits captured text into typed lines: blanks dropped, prefixes turned into levels. */
export function parseReportLines(text: string): ReportLine[] {
  const out: ReportLine[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("## ")) {
      out.push({ level: "section", message: line.slice(3).trim() });
      continue;
    }
    const prefix = PREFIXES.find(([p]) => line.startsWith(p));
    out.push(
      prefix
        ? { level: prefix[1], message: line.slice(prefix[0].length).trim() }
        : { level: "output", message: line },
    );
  }
  return out;
}

export function gateJson(
  command: string,
  capturedText: string,
  failure: string | undefined,
  nowMs: number,
): GateJson {
  const doc: GateJson = { ok: failure === undefined, command, generated_at: rfc3339Nano(nowMs) };
  const lines = parseReportLines(capturedText);
  if (lines.length > 0) doc.lines = lines;
  if (failure !== undefined) doc.failures = [failure];
  return doc;
}

/**
 * Runs a gate body. Text: lines go to `out` as written, a failure is `FAIL <msg>` on `err`.
 * JSON: lines are captured and one indented document goes to `out`; nothing goes to `err`.
 * Exit code 0 on success, 1 on failure.
 */
export async function runGate(
  command: string,
  mode: OutputMode,
  io: { out: (line: string) => void; err: (line: string) => void; now: () => number },
  body: (lines: Lines) => Promise<void>,
): Promise<number> {
  const captured: string[] = [];
  const lines = new Lines(mode === "text" ? io.out : (l) => captured.push(l));
  let failure: string | undefined;
  try {
    await body(lines);
  } catch (err) {
    failure = errorText(err);
  }
  if (mode === "json") {
    io.out(JSON.stringify(gateJson(command, captured.join("\n"), failure, io.now()), null, 2));
  } else if (failure !== undefined) {
    io.err(`FAIL ${failure}`);
  }
  return failure === undefined ? 0 : 1;
}

/** `--output`: trimmed, lower-cased, empty means text. */
export function parseOutputMode(raw: string): OutputMode | undefined {
  const v = raw.trim().toLowerCase();
  if (v === "" || v === "text") return "text";
  if (v === "json") return "json";
  return undefined;
}
