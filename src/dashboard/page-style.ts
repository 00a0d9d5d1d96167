/**
 * The CSS both dashboard pages share (page.css), spliced into each page's `<style>` in place of
 * a marker comment, so every served page stays one self-contained document: no second request,
 * works offline, embedded in the compiled binary. Page rules follow the shared ones.
 */
import pageCss from "./page.css" with { type: "text" };

const MARKER = "/* page.css */";

/** The page with the shared CSS in place of its marker; throws when the marker is not there once. */
export function withSharedStyle(html: string): string {
  const at = html.indexOf(MARKER);
  if (at < 0 || html.indexOf(MARKER, at + 1) >= 0) {
    throw new Error(`page must contain ${JSON.stringify(MARKER)} exactly once`);
  }
  return html.slice(0, at) + pageCss.trimEnd() + html.slice(at + MARKER.length);
}
