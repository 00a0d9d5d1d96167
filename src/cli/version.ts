import { versionLine } from "../version.ts";
import type { Command } from "./context.ts";

export const versionCommand: Command = async (ctx) => {
  ctx.out(versionLine());
  return 0;
};
