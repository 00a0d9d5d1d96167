/**
 * Go time formats the rollout gates print: durations (`15m`, `2m0s`), RFC3339 and RFC3339Nano
 * in UTC. Operators and scripts compare these strings with what the Go jetmon2 printed.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** time.ParseDuration; returns milliseconds (fractional below 1 ms), or undefined if invalid. */
export function parseGoDuration(input: string): number | undefined {
  let s = input;
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  while (s !== "") {
    const m = /^(\d*)(\.\d*)?(ns|us|µs|μs|ms|s|m|h)/.exec(s);
    const unitMs = UNIT_MS[m?.[3] ?? ""];
    if (!m || unitMs === undefined || (m[1] === "" && (m[2] === undefined || m[2] === "."))) return undefined;
    total += Number(`${m[1] || "0"}${m[2] ?? ""}`) * unitMs;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** time.Duration.String() for a whole number of seconds (`0s`, `45s`, `2m0s`, `1h0m5s`). */
export function formatGoSeconds(totalSeconds: number): string {
  const neg = totalSeconds < 0;
  let s = Math.abs(Math.round(totalSeconds));
  if (s === 0) return "0s";
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? `-${body}` : body;
}

/** time.RFC3339 in UTC: second precision, `Z`. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** time.RFC3339Nano in UTC: fraction with trailing zeros dropped, none when whole. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

/** time.Parse(time.RFC3339, s): a date, `T`, a time with optional fraction, `Z` or ±hh:mm. */
export function parseRfc3339(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return undefined;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const frac = m[7] ? `.${m[7].slice(1, 4).padEnd(3, "0")}` : "";
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}${m[8]}`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-31 over into March; Go rejects it.
  if (new Date(Date.UTC(Number(m[1]), month - 1, day)).getUTCDate() !== day) return undefined;
  return ms;
}

/** Milliseconds since the epoch; injected so tests move time instead of sleeping. */
export type Clock = () => number;
