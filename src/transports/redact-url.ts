/** A server address as it may appear in messages: its password (or, without one, its user name) masked. */

/**
 * A server address with any password or token replaced by `***`, for messages.
 *
 * @example
 * redactUrl("redis://app:secret@cache:6379/0") // "redis://app:***@cache:6379/0"
 */
export function redactUrl(address: string): string {
  try {
    const url = new URL(address);
    if (url.password) url.password = "***";
    else if (url.username) url.username = "***";
    return url.toString().replace(/\/$/, "");
  } catch {
    return address.replace(/\/\/[^@/]*@/, "//***@");
  }
}
