import { describe, expect, test } from "bun:test";
import { KEYWORD_BODY_CAP, scanBody } from "../../src/check/keyword.ts";

/** A required keyword alone, stopping as soon as it is decided: scanBody as the check calls it for check_keyword. */
async function scanForKeyword(body: AsyncIterable<Uint8Array>, keyword: string, cap = KEYWORD_BODY_CAP) {
  const scan = await scanBody(body, { required: keyword, forbidden: [], cap, readToEnd: false });
  const out: { found: boolean; bytesRead: number; readError?: unknown } = {
    found: scan.requiredFound,
    bytesRead: scan.bytesRead,
  };
  if (scan.readError !== undefined) out.readError = scan.readError;
  return out;
}

async function* chunks(...parts: Array<string | Uint8Array>): AsyncIterable<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? new TextEncoder().encode(p) : p;
}

describe("scanForKeyword", () => {
  test("found in one chunk", async () => {
    expect((await scanForKeyword(chunks("hello jetpack world"), "jetpack")).found).toBe(true);
  });

  test("case-sensitive", async () => {
    expect((await scanForKeyword(chunks("hello JetPack"), "jetpack")).found).toBe(false);
  });

  test("keyword split across two chunks", async () => {
    expect((await scanForKeyword(chunks("hello jet", "pack!"), "jetpack")).found).toBe(true);
  });

  test("keyword split across many one-byte chunks", async () => {
    expect((await scanForKeyword(chunks(..."xxjetpackyy".split("")), "jetpack")).found).toBe(true);
  });

  test("multi-byte UTF-8 keyword split inside a character", async () => {
    const bytes = new TextEncoder().encode("prix: 10 €uros");
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte euro sign
    const r = await scanForKeyword(chunks(bytes.subarray(0, cut), bytes.subarray(cut)), "€uros");
    expect(r.found).toBe(true);
  });

  test("stops reading once found", async () => {
    let pulled = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      for (;;) {
        pulled++;
        yield new TextEncoder().encode(pulled === 2 ? "..jetpack.." : "..........");
      }
    }
    expect((await scanForKeyword(endless(), "jetpack")).found).toBe(true);
    expect(pulled).toBe(2);
  });

  test("stops at the cap and ignores bytes past it", async () => {
    const cap = 16;
    let pulled = 0;
    async function* body(): AsyncIterable<Uint8Array> {
      for (const part of ["0123456789", "0123jet", "pack", "jetpack"]) {
        pulled++;
        yield new TextEncoder().encode(part);
      }
    }
    const r = await scanForKeyword(body(), "jetpack", cap);
    expect(r).toEqual({ found: false, bytesRead: cap });
    expect(pulled).toBe(2);
  });

  test("keyword ending exactly at the cap is found", async () => {
    const r = await scanForKeyword(chunks("123456789", "jetpack"), "jetpack", 16);
    expect(r.found).toBe(true);
  });

  test("the default cap is 1 MiB", () => {
    expect(KEYWORD_BODY_CAP).toBe(1_048_576);
  });

  test("a read error ends the scan without throwing", async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode("abc");
      throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
    }
    const r = await scanForKeyword(broken(), "jetpack");
    expect(r.found).toBe(false);
    expect(r.bytesRead).toBe(3);
    expect((r.readError as { code: string }).code).toBe("ECONNRESET");
  });

  test("empty body", async () => {
    expect((await scanForKeyword(chunks(), "jetpack")).found).toBe(false);
  });
});
