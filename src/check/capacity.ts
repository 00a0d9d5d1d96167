/**
 * Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (default 256) and
 * queues the rest inside the runtime, where a check's timeout keeps running. Bun reads the
 * variable once, while the process starts: setting process.env (or setenv(3)) later has no
 * effect (measured on Bun 1.4.5). So raising the cap means re-executing the process with the
 * variable set: `ensureFetchCapacity` does that with execve(2), keeping the PID, argv, stdio
 * and the rest of the environment. Call it first thing, before opening sockets or files.
 */
import { log } from "../log.ts";

export const FETCH_CAP_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's DNS cache lifetime in seconds (default 30; docs/checks.md, DNS). An operator's value is kept. */
export const DNS_TTL_ENV = "BUN_CONFIG_DNS_TIME_TO_LIVE_SECONDS";
/** Set on the re-executed process so a cap Bun still ignores cannot cause an exec loop. */
export const REEXEC_MARKER_ENV = "JETMON_FETCH_CAP_REEXEC";
export const BUN_DEFAULT_FETCH_CAP = 256;
const MAX_CAP = 65_535;

/** The cap Bun is running with, from the environment this process started with. */
const startupCap = parseCap(process.env[FETCH_CAP_ENV]);

export function parseCap(raw: string | undefined): number {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return BUN_DEFAULT_FETCH_CAP;
  const n = Number(raw.trim());
  return n >= 1 && n <= MAX_CAP ? n : BUN_DEFAULT_FETCH_CAP;
}

/** Requests Bun's fetch will run at once in this process. */
export function fetchCapacity(): number {
  return startupCap;
}

export interface EnsureOptions {
  /**
   * Bun's DNS cache lifetime to run with (BUN_CONFIG_DNS_TIME_TO_LIVE_SECONDS, read once at
   * startup like the cap; default 30 s whatever the record's TTL). When given and the
   * environment does not already say so, the process re-executes with it set.
   */
  dnsTtlSeconds?: number;
  env?: Record<string, string | undefined>;
  /** Replaces the process image; only returns when that failed. Injected by tests. */
  exec?: (path: string, argv: string[], env: Record<string, string>) => void;
  current?: number;
}

/**
 * Makes sure fetch can run at least `n` requests at once. Returns the cap in effect when it
 * already suffices (or cannot be raised: the exec failed, or this process is already the
 * re-executed one); otherwise it re-executes the process and does not return. Budget for
 * every fetch user, not only the check pool: verifier, WPCOM and webhook calls share the cap.
 */
export function ensureFetchCapacity(n: number, opts: EnsureOptions = {}): number {
  const current = opts.current ?? startupCap;
  const want = Math.min(MAX_CAP, Math.max(1, Math.ceil(n)));
  const env = opts.env ?? process.env;
  const dnsTtl =
    opts.dnsTtlSeconds === undefined ? undefined : String(Math.max(0, Math.floor(opts.dnsTtlSeconds)));
  const dnsOk = dnsTtl === undefined || env[DNS_TTL_ENV] !== undefined;
  if (current >= want && dnsOk) return current;
  if (env[REEXEC_MARKER_ENV]) {
    log.warn({ want, cap: current }, "fetch cap still low after re-exec");
    return current;
  }
  const nextEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) nextEnv[k] = v;
  nextEnv[FETCH_CAP_ENV] = String(Math.max(want, current));
  if (dnsTtl !== undefined && nextEnv[DNS_TTL_ENV] === undefined) nextEnv[DNS_TTL_ENV] = dnsTtl;
  nextEnv[REEXEC_MARKER_ENV] = "1";
  try {
    (opts.exec ?? execve)(process.execPath, reexecArgv(), nextEnv);
  } catch (err) {
    log.warn({ want, cap: current, err: String(err) }, "fetch cap re-exec failed");
  }
  return current;
}

/** The argv that starts this same program again (compiled binary or `bun script.ts`). */
export function reexecArgv(
  argv: string[] = process.argv,
  execArgv: string[] = process.execArgv,
  execPath: string = process.execPath,
): string[] {
  // In a `bun build --compile` binary argv[1] is the embedded entry (/$bunfs/...), which the
  // binary adds by itself.
  const compiled = (argv[1] ?? "").startsWith("/$bunfs/");
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, ...argv.slice(1)];
}

const LIBC = process.platform === "darwin" ? ["libc.dylib", "/usr/lib/libSystem.B.dylib"] : ["libc.so.6"];

/** execve(2) through bun:ffi. Throws when libc cannot be opened or the call fails. */
function execve(path: string, argv: string[], env: Record<string, string>): void {
  const ffi = require("bun:ffi") as typeof import("bun:ffi");
  const lib = openLibc(ffi);
  // Keep every buffer referenced until the call: the pointer arrays only hold addresses.
  const cstr = (s: string) => Buffer.from(`${s}\0`, "utf8");
  const pathBuf = cstr(path);
  const argBufs = argv.map(cstr);
  const envBufs = Object.entries(env).map(([k, v]) => cstr(`${k}=${v}`));
  const ptrArray = (bufs: Buffer[]) => {
    const arr = new BigUint64Array(bufs.length + 1);
    bufs.forEach((b, i) => {
      arr[i] = BigInt(ffi.ptr(b));
    });
    return arr;
  };
  const argvArr = ptrArray(argBufs);
  const envArr = ptrArray(envBufs);
  const rc = lib.symbols.execve(ffi.ptr(pathBuf), ffi.ptr(argvArr), ffi.ptr(envArr));
  throw new Error(`execve returned ${rc}`);
}

type Libc = { symbols: { execve: (...args: unknown[]) => number } };

function openLibc(ffi: typeof import("bun:ffi")): Libc {
  let lastErr: unknown;
  for (const name of LIBC) {
    try {
      return ffi.dlopen(name, {
        execve: { args: [ffi.FFIType.ptr, ffi.FFIType.ptr, ffi.FFIType.ptr], returns: ffi.FFIType.i32 },
      }) as unknown as Libc;
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}
