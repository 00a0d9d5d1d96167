/** The shared page.css and page.js are imported as text (`with { type: "text" }`): the binary embeds them. */
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*/page.js" {
  const text: string;
  export default text;
}
