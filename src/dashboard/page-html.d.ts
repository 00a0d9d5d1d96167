/**
 * The dashboard pages are imported as text (`with { type: "text" }`): the binary embeds them. bun-types
 * declares `*.html` as an HTMLBundle; this pattern's longer prefix ("./") wins for `./page.html`.
 */
declare module "./*page.html" {
  const text: string;
  export default text;
}
