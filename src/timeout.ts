/**
 * The one bounded-promise helper: race work against a timer that is always cleared. `work`
 * gets a signal that aborts at the bound, so work that can stop early (fetch, a killable
 * transaction) does; work that cannot is simply no longer waited for.
 */

/** Resolves with `work`'s value, or rejects with `Error(message)` (default `timed out after <ms>ms`) at `ms`. */
export async function withTimeout<T>(
  ms: number,
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  message = `timed out after ${ms}ms`,
): Promise<T> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new Error(message);
      ac.abort(reason);
      reject(reason);
    }, ms);
  });
  try {
    return await Promise.race([typeof work === "function" ? work(ac.signal) : work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `work` to settle, at most `ms`; never rejects. For "give it a moment" waits. */
export async function settleWithin(ms: number, work: Promise<unknown>): Promise<void> {
  await withTimeout(
    ms,
    work.then(
      () => {},
      () => {},
    ),
  ).catch(() => {});
}
