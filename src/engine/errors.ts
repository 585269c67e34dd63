/**
 * Errors say who is at fault: the caller (bad settings, bad input), the provider (HTTP status, retryable or not)
 * or the model (invalid tool arguments, output that breaks its schema). One base class with a stable `code`;
 * `GeppettoError.is` works across duplicated copies of this package (it checks a global symbol, not the class).
 */
import type { Turn } from "../turns/types.ts";

/** Who caused an error. */
export type Fault = "caller" | "provider" | "model";

/**
 * Codes of errors the caller caused: fix the call, the settings or the input.
 *
 * @example
 * new CallerError("temperature must be at most 2", { code: "invalid_inference_config" });
 */
export type CallerErrorCode =
  | "invalid_input"
  | "invalid_argument"
  | "invalid_settings"
  | "invalid_inference_config"
  | "invalid_tool_choice"
  | "invalid_structured_output_config"
  | "invalid_key"
  | "invalid_key_value"
  | "not_json"
  | "invalid_turn_format"
  | "invalid_tool_definition"
  | "tool_already_registered"
  | "missing_base_engine"
  | "missing_api_key"
  | "usage"
  | "empty_session"
  | "no_session"
  | "session_busy"
  | "session_exists"
  | "corrupt_turn"
  | "stream_already_read"
  | "stream_not_kept"
  | "script_exhausted"
  | "aborted"
  | "tool_execution_aborted"
  | "invalid_tool_schema"
  | "store_schema"
  | "no_conversation"
  | "timeline_schema_too_new"
  | "webchat_token_required"
  | "webchat_port_in_use"
  | "webchat_ui_missing"
  | "terminal_ui_missing"
  | "router_overflow"
  | "router_block_timeout"
  | "router_close_timeout"
  | "router_closed"
  | "transport_closed"
  | "invalid_router_option"
  | "invalid_offset"
  | "corrupt_state"
  | "corrupt_timeline"
  | "unknown_variable"
  | "invalid_role"
  | "unsupported_audio"
  | "frame_too_large"
  | "session_closed"
  | "unknown_provider"
  | "unknown_model"
  | "invalid_model_id"
  | "invalid_object_schema"
  | "internal_error";

/**
 * Codes of errors the provider caused (HTTP statuses, broken streams, timeouts).
 *
 * @example
 * new ProviderError("overloaded", { provider: "anthropic", status: 529 }, { code: "provider_unavailable", retryable: true });
 */
export type ProviderErrorCode =
  | "provider_error"
  | "provider_unavailable"
  | "invalid_request"
  | "authentication_failed"
  | "permission_denied"
  | "not_found"
  | "request_timeout"
  | "conflict"
  | "request_too_large"
  | "rate_limited"
  | "stream_interrupted"
  | "stream_error"
  | "invalid_response"
  | "connection_error"
  | "timeout_request"
  | "timeout_first_byte"
  | "timeout_idle"
  | "timeout_tool"
  | "timeout_step"
  | "mcp_unavailable"
  | "mcp_request_failed"
  | "transport_unreachable"
  | "store_unreachable"
  | "scripted_error";

/**
 * Codes of errors the model caused (arguments that break a schema, structured output that fails it).
 *
 * @example
 * new ModelOutputError("answer breaks its schema", { code: "invalid_structured_output" });
 */
export type ModelErrorCode =
  | "invalid_model_output"
  | "invalid_structured_output"
  | "invalid_tool_arguments"
  | "no_object_generated"
  | "guardrail_tripped";

/**
 * Every `code` a GeppettoError can carry. Stable: switch on it, never on messages.
 *
 * @example
 * if (GeppettoError.is(error) && error.code === "rate_limited") retryLater();
 */
export type GeppettoErrorCode = CallerErrorCode | ProviderErrorCode | ModelErrorCode;

const BRAND = Symbol.for("geppetto.error");

/** Options common to every geppetto error. */
export interface GeppettoErrorOptions {
  code: GeppettoErrorCode;
  fault: Fault;
  retryable?: boolean;
  cause?: unknown;
  /** The Turn as far as it got: partial output is never lost. */
  turn?: Turn;
}

/**
 * The base of every error geppetto throws.
 *
 * @example
 * try { await engine.runInference(turn, ctx) }
 * catch (error) { if (GeppettoError.is(error) && error.retryable) retryLater(error.turn) }
 */
export class GeppettoError extends Error {
  override name = "GeppettoError";
  readonly code: GeppettoErrorCode;
  readonly fault: Fault;
  readonly retryable: boolean;
  /** The Turn as far as it got (partial output included), when the error happened during an inference. */
  turn?: Turn;

  constructor(message: string, options: GeppettoErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.fault = options.fault;
    this.retryable = options.retryable ?? false;
    if (options.turn) this.turn = options.turn;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for any geppetto error, even one from another copy of the package. */
  static is(error: unknown): error is GeppettoError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A bad argument, setting or input: fix the call. */
export class CallerError extends GeppettoError {
  override name = "CallerError";
  constructor(message: string, options: { code?: CallerErrorCode; cause?: unknown } = {}) {
    super(message, { code: options.code ?? "invalid_input", fault: "caller", cause: options.cause });
  }
}

/** Details a provider gave about a failed request. */
export interface ProviderErrorDetails {
  provider: string;
  status?: number;
  /** The provider's error type (`invalid_request_error`, `overloaded_error`, `INVALID_ARGUMENT`…). */
  providerType?: string;
  /** The provider's error code (`insufficient_quota`, `unsupported_parameter`…). */
  providerCode?: string;
  /** The request id the provider assigned (for support tickets). */
  requestId?: string;
  /** The parameter the provider complained about. */
  param?: string;
}

/** The provider refused or failed a request, or its stream broke. */
export class ProviderError extends GeppettoError {
  override name = "ProviderError";
  readonly details: ProviderErrorDetails;

  constructor(
    message: string,
    details: ProviderErrorDetails,
    options: { code?: ProviderErrorCode; retryable?: boolean; cause?: unknown; turn?: Turn } = {},
  ) {
    super(message, {
      code: options.code ?? "provider_error",
      fault: "provider",
      retryable: options.retryable ?? false,
      cause: options.cause,
      ...(options.turn ? { turn: options.turn } : {}),
    });
    this.details = details;
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** A time limit was reached. `kind` says which. */
export class TimeoutError extends GeppettoError {
  override name = "TimeoutError";
  constructor(
    message: string,
    readonly kind: "request" | "first-byte" | "idle" | "tool" | "step",
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, {
      code: `timeout_${kind === "first-byte" ? "first_byte" : kind}`,
      fault: "provider",
      retryable: options.retryable ?? true,
      cause: options.cause,
    });
  }
}

/** The model produced something unusable (arguments that break a schema, invalid structured output). */
export class ModelOutputError extends GeppettoError {
  override name = "ModelOutputError";
  constructor(message: string, options: { code?: ModelErrorCode; cause?: unknown; turn?: Turn } = {}) {
    super(message, {
      code: options.code ?? "invalid_model_output",
      fault: "model",
      cause: options.cause,
      ...(options.turn ? { turn: options.turn } : {}),
    });
  }
}

/** Converts anything thrown into a GeppettoError (keeping it when it is one). */
export function toGeppettoError(
  error: unknown,
  fallback: { code?: GeppettoErrorCode; fault?: Fault } = {},
): GeppettoError {
  if (GeppettoError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GeppettoError(message, {
    code: fallback.code ?? "internal_error",
    fault: fallback.fault ?? "caller",
    cause: error,
  });
}
