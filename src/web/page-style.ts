/**
 * What both dashboard pages share: the CSS (page.css), spliced into each page's `<style>`, and
 * the script helpers (page.js), spliced into each page's `<script>`, each in place of a marker
 * comment, so every served page stays one self-contained document: no second request, works
 * offline, embedded in the compiled binary. Page rules and code follow the shared ones.
 */
import pageCss from "./page.css" with { type: "text" };
import pageJs from "./page.js" with { type: "text" };

function splice(html: string, marker: string, text: string): string {
  const at = html.indexOf(marker);
  if (at < 0 || html.indexOf(marker, at + 1) >= 0) {
    throw new Error(`page must contain ${JSON.stringify(marker)} exactly once`);
  }
  return html.slice(0, at) + text.trimEnd() + html.slice(at + marker.length);
}

/**
 * The page with the shared CSS and script in place of `/* page.css *\/` and `/* page.js *\/`;
 * throws when either marker is not there exactly once.
 */
export function withSharedStyle(html: string): string {
  return splice(splice(html, "/* page.css */", pageCss), "/* page.js */", pageJs);
}
