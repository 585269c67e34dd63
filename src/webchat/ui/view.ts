/**
 * Renders timeline entities as DOM elements: one element per entity, kept in a map by entity id, so a frame
 * updates exactly the element it concerns. Every message carries `data-role` and `data-status`.
 */
import type { Entity, FrameValue } from "../frames.ts";
import { renderMarkdown } from "./markdown.ts";

const ROLES = new Set(["user", "assistant", "reasoning", "tool", "approval"]);

function child(parent: HTMLElement, tag: string, className: string): HTMLElement {
  let element = parent.querySelector<HTMLElement>(`:scope > .${className}`);
  if (!element) {
    element = document.createElement(tag);
    element.className = className;
    parent.append(element);
  }
  return element;
}

function json(value: FrameValue | undefined): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? {}, null, 2);
}

function number(value: FrameValue | undefined): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** The line under an answer: status, tokens, cost, model. */
export function answerMeta(entity: Entity): string {
  const pieces: string[] = [];
  if (entity.status === "cancelled")
    pieces.push(entity.data.interrupted === true ? "interrupted" : "cancelled");
  const usage = entity.data.usage;
  if (usage && typeof usage === "object" && !Array.isArray(usage)) {
    const input = number(usage.inputTokens);
    const output = number(usage.outputTokens);
    if (input !== undefined) pieces.push(`${input} in`);
    if (output !== undefined) pieces.push(`${output} out`);
  }
  const cost = number(entity.data.cost);
  if (cost !== undefined) pieces.push(`$${cost < 0.01 ? cost.toFixed(6) : cost.toFixed(4)}`);
  if (typeof entity.data.model === "string") pieces.push(entity.data.model);
  return pieces.join(" · ");
}

function renderAssistant(element: HTMLElement, entity: Entity): void {
  child(element, "div", "content").innerHTML = renderMarkdown(entity.text);
  child(element, "div", "meta").textContent = entity.status === "streaming" ? "" : answerMeta(entity);
  const error = typeof entity.data.error === "string" ? entity.data.error : "";
  const errorElement = child(element, "div", "error");
  errorElement.textContent = error;
  errorElement.hidden = error === "";
  // A step that only called tools has no text: its tool cards say everything.
  element.hidden = entity.status === "done" && entity.text === "";
}

function renderTool(element: HTMLElement, entity: Entity): void {
  child(element, "div", "name").textContent = String(entity.data.name ?? "tool");
  child(element, "pre", "args").textContent = json(entity.data.args);
  const result = child(element, "pre", "result");
  const error = entity.data.error;
  result.textContent =
    error !== undefined
      ? `error: ${json(error)}`
      : entity.data.result === undefined
        ? "running…"
        : json(entity.data.result);
}

/**
 * A call waiting for approval: the tool and its arguments, and Approve / Deny while it waits (the page posts
 * the decision); afterwards the decision. Everything from the model is set as text.
 */
function renderApproval(element: HTMLElement, entity: Entity): void {
  child(element, "div", "name").textContent = `Allow tool "${String(entity.data.name ?? "tool")}"?`;
  child(element, "pre", "args").textContent = json(entity.data.args);
  const buttons = child(element, "div", "decide");
  if (entity.status === "streaming" && buttons.childElementCount === 0) {
    for (const [label, approved] of [
      ["Approve", "true"],
      ["Deny", "false"],
    ] as const) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.dataset.approve = approved;
      button.dataset.callId = String(entity.data.callId ?? "");
      buttons.append(button);
    }
  }
  buttons.hidden = entity.status !== "streaming";
  const decision = entity.data.decision;
  child(element, "div", "decision").textContent =
    entity.status === "streaming" ? "" : typeof decision === "string" ? decision : entity.status;
}

function renderReasoning(element: HTMLElement, entity: Entity): void {
  if (!element.querySelector("summary")) {
    const summary = document.createElement("summary");
    summary.textContent = "Reasoning";
    element.prepend(summary);
  }
  child(element, "div", "content").textContent = entity.text;
}

/** Creates the element of an entity (not yet in the document). */
export function createEntityElement(entity: Entity): HTMLElement {
  const element = document.createElement(entity.kind === "reasoning" ? "details" : "div");
  element.className = "message";
  element.dataset.role = ROLES.has(entity.kind) ? entity.kind : "other";
  element.dataset.entityId = entity.id;
  element.dataset.order = String(entity.order);
  return element;
}

/** Brings an entity's element up to date. */
export function renderEntity(element: HTMLElement, entity: Entity): void {
  element.dataset.status = entity.status;
  if (entity.kind === "assistant") renderAssistant(element, entity);
  else if (entity.kind === "tool") renderTool(element, entity);
  else if (entity.kind === "approval") renderApproval(element, entity);
  else if (entity.kind === "reasoning") renderReasoning(element, entity);
  else if (entity.kind === "user") child(element, "div", "content").textContent = entity.text;
  else {
    child(element, "div", "name").textContent = entity.kind;
    child(element, "pre", "content").textContent = entity.text || json(entity.data);
  }
}
