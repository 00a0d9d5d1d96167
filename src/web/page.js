// biome-ignore-all lint/correctness/noUnusedVariables: the two pages this is spliced into use them.
// Shared by the host page (src/dashboard/page.html) and the fleet page (src/fleet/page.html);
// spliced into each page's <script> at load (src/web/page-style.ts), so these helpers
// live inside the page's own closure. Text is always set with textContent (data is never HTML).

const $ = (id) => document.getElementById(id);
const show = (v) => (v === undefined || v === null || v === "" ? "-" : String(v));
const mem = (n) => (typeof n === "number" && n > 0 ? `${n}MB` : "n/a");

/** "updated: <local time>" for an RFC 3339 time; "updated: never" when missing or zero. */
function updatedText(iso) {
  const t = Date.parse(iso || "");
  return !Number.isNaN(t) && t > 0 ? `updated: ${new Date(t).toLocaleTimeString()}` : "updated: never";
}

/** The summary's issue list: the first `reds` red, the rest amber, at most `max`, then "+<n> <more>". */
function renderIssues(issues, reds, max, more) {
  const ul = $("summary-issues");
  ul.textContent = "";
  issues.slice(0, max).forEach((text, i) => {
    const li = document.createElement("li");
    li.className = i < reds ? "red" : "amber";
    li.textContent = text;
    ul.appendChild(li);
  });
  if (issues.length > max) {
    const li = document.createElement("li");
    li.textContent = `+${issues.length - max} ${more}`;
    ul.appendChild(li);
  }
}

/** The connection line in the header (class `conn` plus `live` or `lost`). */
function connStatus(id, text, cls) {
  const el = $(id);
  el.textContent = text;
  el.className = `conn ${cls}`;
}
