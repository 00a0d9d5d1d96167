import { describe, expect, test } from "bun:test";
import dashboardHtml from "../../src/dashboard/page.html" with { type: "text" };
import fleetHtml from "../../src/fleet/page.html" with { type: "text" };
import pageCss from "../../src/web/page.css" with { type: "text" };
import { withSharedStyle } from "../../src/web/page-style.ts";

describe("withSharedStyle", () => {
  test.each([
    ["host page", dashboardHtml as unknown as string],
    ["fleet page", fleetHtml as unknown as string],
  ])("%s: the shared CSS replaces the marker inside <style>, before the page's own rules", (_, html) => {
    const page = withSharedStyle(html);
    expect(page).not.toContain("/* page.css */");
    const style = page.slice(page.indexOf("<style>"), page.indexOf("</style>"));
    expect(style).toContain(pageCss.trimEnd());
    expect(style.indexOf("--accent: #77b7d9")).toBeLessThan(style.indexOf("@media"));
    expect(page).not.toContain("<link");
  });

  test("a page without the marker, or with two, is an error at load", () => {
    expect(() => withSharedStyle("<style></style>")).toThrow(
      'page must contain "/* page.css */" exactly once',
    );
    expect(() => withSharedStyle("<style>/* page.css */ /* page.css */</style>")).toThrow("exactly once");
  });
});
