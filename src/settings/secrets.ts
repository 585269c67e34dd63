/**
 * Secrets in settings redact themselves: the provider endpoints of loaded settings (`api.openai`, `api.claude`…)
 * print their key as `<redacted>` under `JSON.stringify`, `util.inspect` and `console.log`, and their base URL
 * without user info or credential query parameters (`?key=`). The key stays readable as a property, for the
 * engine factory.
 */

/** What a secret prints as. */
export const REDACTED = "<redacted>";

const SECRET_QUERY_NAME = /key|token|secret|password|auth|sig/i;

/**
 * A URL with its user info and credential-like query values (`key`, `api_key`, `token`…) replaced by
 * `<redacted>`; text that is not a URL is returned as it is.
 *
 * @example
 * redactURL("https://user:sk-1@example.com/v1?key=abc&alt=sse") // "https://<redacted>@example.com/v1?key=<redacted>&alt=sse"
 */
export function redactURL(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let out = text;
  if (url.username || url.password) out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${REDACTED}@`);
  if (url.search) {
    out = out.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, separator: string, name: string) =>
      SECRET_QUERY_NAME.test(decodeURIComponentSafe(name)) ? `${separator}${name}=${REDACTED}` : whole,
    );
  }
  return out;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** A provider endpoint of loaded settings: its key and base URL, printed redacted. */
class RedactingEndpoint {
  apiKey?: string;
  baseURL?: string;

  /** What `JSON.stringify` writes. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this)) {
      if (typeof value !== "string") continue;
      out[name] = name === "apiKey" ? REDACTED : name === "baseURL" ? redactURL(value) : value;
    }
    return out;
  }

  /** What `util.inspect` and `console.log` show. */
  [INSPECT](): Record<string, string> {
    return this.toJSON();
  }
}

/** The `store` of loaded settings: its URL printed without credentials. */
class RedactingStore {
  kind?: string;
  url?: string;

  toJSON(): Record<string, string> {
    return { ...(this.kind ? { kind: this.kind } : {}), ...(this.url ? { url: redactURL(this.url) } : {}) };
  }

  [INSPECT](): Record<string, string> {
    return this.toJSON();
  }
}

/**
 * The settings with every `api.<provider>` endpoint (and the `store`) made self-redacting (same values, same shape).
 *
 * @example
 * JSON.stringify(withSelfRedactingSecrets({ api: { openai: { apiKey: "sk-1" } } })) // '{"api":{"openai":{"apiKey":"<redacted>"}}}'
 */
export function withSelfRedactingSecrets<T extends { api?: Record<string, object | undefined> | undefined }>(
  settings: T,
): T {
  const holder = settings as { store?: object };
  if (holder.store && !(holder.store instanceof RedactingStore)) {
    holder.store = Object.assign(new RedactingStore(), holder.store);
  }
  const api = settings.api;
  if (!api) return settings;
  for (const [provider, endpoint] of Object.entries(api)) {
    if (endpoint === undefined || endpoint instanceof RedactingEndpoint) continue;
    api[provider] = Object.assign(new RedactingEndpoint(), endpoint);
  }
  return settings;
}
