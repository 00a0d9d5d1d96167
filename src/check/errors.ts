/**
 * Check error codes. The numbers are a contract: they are stored in check history and sent
 * over the verifier wire protocol (docs/reference/monitor-core.md §2.1).
 */
export enum CheckError {
  None = 0,
  Timeout = 1,
  Connect = 2,
  SSL = 3,
  Redirect = 4,
  Keyword = 5,
  TLSExpired = 6,
  /** Advisory: the server negotiated TLS 1.1 or older. Not a failure by itself. */
  TLSDeprecated = 7,
  /**
   * The headers arrived but the body did not: fewer bytes than Content-Length, a chunked body
   * without its last chunk, or a body that stalled past the timeout. Go's later checker uses 8.
   */
  TruncatedBody = 8,
}

/** True when an error code means the site is failing (anything but None and TLSDeprecated). */
export function isFailure(code: CheckError): boolean {
  return code !== CheckError.None && code !== CheckError.TLSDeprecated;
}

/** True when a check result counts as a failure: not successful, or a failing error code. */
export function isFailedResult(result: { success: boolean; errorCode: CheckError }): boolean {
  return !result.success || isFailure(result.errorCode);
}
