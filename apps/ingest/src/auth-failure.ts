/**
 * Whether an `error` status is Polygon refusing the key or the plan, which
 * no retry can fix: the older auth-failure text "authentication failed" and
 * "not authorized" (an unentitled subscription), as the whole message. Any
 * other error, even one that mentions authentication ("Upstream
 * re-authentication in progress"), is logged and the connection kept: a
 * substring match made every replica exit 1 on such a message.
 */
export function isAuthFailureMessage(message: string): boolean {
  return /^\s*(?:authentication failed\.?|not authorized\b.*)\s*$/is.test(
    message,
  );
}
