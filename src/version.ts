import pkg from "../package.json" with { type: "json" };

// build.ts replaces these identifiers at compile time with --define; from source they are absent.
declare const JETMON_BUILD_VERSION: string | undefined;
declare const JETMON_BUILD_COMMIT: string | undefined;
declare const JETMON_BUILD_DATE: string | undefined;

export const VERSION: string = typeof JETMON_BUILD_VERSION === "string" ? JETMON_BUILD_VERSION : pkg.version;
export const COMMIT: string = typeof JETMON_BUILD_COMMIT === "string" ? JETMON_BUILD_COMMIT : "unknown";
export const BUILD_DATE: string = typeof JETMON_BUILD_DATE === "string" ? JETMON_BUILD_DATE : "unknown";
export const RUNTIME_VERSION = `bun ${Bun.version}`;

/** The line `jetmon2 version` prints; scripts parse it. */
export function versionLine(): string {
  return `jetmon2 ${VERSION} (commit ${COMMIT}, built ${BUILD_DATE}, ${RUNTIME_VERSION})`;
}

/** What identifies this build to webhook receivers. */
export const USER_AGENT = `jetmon2/${VERSION} (+https://github.com/Automattic/jetmon)`;

/**
 * What every check sends (Go jetmon2's exact string): site firewalls allowlist it, so it is the
 * default for checks and verifier checks alike (docs/compatibility.md).
 */
export const CHECK_USER_AGENT = "jetmon/2.0 (Jetpack Site Uptime Monitor by WordPress.com)";
