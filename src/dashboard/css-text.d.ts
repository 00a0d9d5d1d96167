/** CSS files are imported as text (`with { type: "text" }`) so the compiled binary embeds them. */
declare module "*.css" {
  const text: string;
  export default text;
}
