// Prints "<passed> <failed>" from a bun test JUnit report; a missing or empty report counts as one failure.
const path = process.argv[2] ?? ".test-results/junit.xml";
const file = Bun.file(path);
if (!(await file.exists())) {
  console.log("0 1");
  process.exit(0);
}
const xml = await file.text();
let passed = 0;
let failed = 0;
for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const body = m[2] ?? "";
  if (/<(failure|error)\b/.test(body)) failed++;
  else if (!/<skipped\b/.test(body)) passed++;
}
if (passed + failed === 0) failed = 1;
console.log(`${passed} ${failed}`);

export {};
