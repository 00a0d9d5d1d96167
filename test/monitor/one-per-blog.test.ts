/** One site per blog_id: the lowest site id wins, the rest are reported (issue 15). */
import { expect, test } from "bun:test";
import { type DuplicateBlog, onePerBlog, type Site } from "../../src/monitor/sites.ts";

const site = (siteId: number, blogId: number): Site =>
  ({ siteId, blogId, url: `http://s${siteId}` }) as unknown as Site;

test.each([
  ["no duplicates", [site(1, 10), site(2, 20)], [1, 2], []],
  [
    "lowest id wins whatever the order",
    [site(9, 10), site(3, 10), site(5, 10)],
    [3],
    [{ blogId: 10, keptSiteId: 3, ignoredSiteIds: [5, 9] }],
  ],
  [
    "two blogs, one duplicated",
    [site(4, 20), site(2, 10), site(1, 20)],
    [1, 2],
    [{ blogId: 20, keptSiteId: 1, ignoredSiteIds: [4] }],
  ],
  ["empty", [], [], []],
] as Array<[string, Site[], number[], DuplicateBlog[]]>)("%s", (_name, input, kept, dups) => {
  const r = onePerBlog(input);
  expect(r.sites.map((s) => s.siteId).sort((a, b) => a - b)).toEqual(kept);
  expect(r.duplicates).toEqual(dups);
});
