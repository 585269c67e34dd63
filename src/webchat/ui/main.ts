/**
 * The web chat page: follows one conversation (named in the URL hash, `#conv=<id>`) over a WebSocket.
 *
 * Hydration: the socket opens first and buffers frames; the timeline (`since_version` = what this page already
 * has) gives the current state of every changed entity and the version it reflects; then the buffered frames
 * newer than that version are applied, and every later frame likewise. No frame is applied twice, none is lost.
 * When the socket closes (a server restart, say) the page reconnects and hydrates again; a frame that skips a seq
 * (relayed from another instance ahead of the stored timeline) makes it hydrate again before going on.
 */
import {
  applyFrame,
  type ConversationSummary,
  type Entity,
  type Frame,
  type TimelineSnapshot,
} from "../frames.ts";
import { createEntityElement, renderEntity } from "./view.ts";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const messages = byId<HTMLDivElement>("messages");
const input = byId<HTMLTextAreaElement>("message");
const stopButton = byId<HTMLButtonElement>("stop");
const notice = byId<HTMLParagraphElement>("notice");
const connectionStatus = byId<HTMLSpanElement>("connection");
const conversationList = byId<HTMLUListElement>("conversations");

interface View {
  convId: string | undefined;
  entities: Map<string, Entity>;
  elements: Map<string, HTMLElement>;
  version: number;
  socket: WebSocket | undefined;
}

const view: View = {
  convId: undefined,
  entities: new Map(),
  elements: new Map(),
  version: 0,
  socket: undefined,
};
const dirty = new Set<string>();
let renderScheduled = false;
let pendingPost = false;

function showNotice(text: string): void {
  notice.textContent = text;
  notice.hidden = text === "";
}

function isStreaming(): boolean {
  for (const entity of view.entities.values()) if (entity.status === "streaming") return true;
  return false;
}

function updateControls(): void {
  stopButton.hidden = !(pendingPost || isStreaming());
}

/**
 * Inserts an element in display order (entities mostly arrive last, so the search starts at the end). An
 * answer's reasoning goes before the answer: its first frame comes after the answer's start.
 */
function place(element: HTMLElement, entity: Entity): void {
  if (entity.kind === "reasoning") {
    const answer = view.elements.get(`msg:${entity.id.slice("reasoning:".length)}`);
    if (answer?.isConnected) {
      messages.insertBefore(element, answer);
      return;
    }
  }
  const order = entity.order;
  let before: Element | null = null;
  for (let node = messages.lastElementChild; node; node = node.previousElementSibling) {
    if (Number((node as HTMLElement).dataset.order) > order) before = node;
    else break;
  }
  messages.insertBefore(element, before);
}

function render(): void {
  renderScheduled = false;
  // Measured before the change: at the bottom (or never scrolled) means follow the stream; scrolled up means stay.
  const stickToBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 32;
  for (const id of dirty) {
    const entity = view.entities.get(id);
    if (!entity) continue;
    let element = view.elements.get(id);
    if (!element) {
      element = createEntityElement(entity);
      view.elements.set(id, element);
      place(element, entity);
    }
    renderEntity(element, entity);
  }
  dirty.clear();
  if (stickToBottom) messages.scrollTop = messages.scrollHeight;
  updateControls();
}

function changed(id: string): void {
  dirty.add(id);
  if (renderScheduled) return;
  renderScheduled = true;
  window.setTimeout(render, 16);
}

function applyLive(frame: Frame): void {
  if (frame.convId !== view.convId || frame.seq <= view.version) return;
  view.version = frame.seq;
  view.entities.set(frame.id, applyFrame(view.entities.get(frame.id), frame));
  changed(frame.id);
  if (frame.status !== undefined && frame.status !== "streaming" && frame.kind === "assistant") {
    void refreshConversations();
  }
}

function applySnapshot(snapshot: TimelineSnapshot): void {
  for (const entity of snapshot.entities) {
    view.entities.set(entity.id, entity);
    changed(entity.id);
  }
  view.version = Math.max(view.version, snapshot.version);
}

let reconnectDelay = 250;

function connect(convId: string): void {
  const buffered: Frame[] = [];
  let hydrated = false;
  const socket = new WebSocket(`ws://${location.host}/ws?conv_id=${encodeURIComponent(convId)}`);
  view.socket = socket;
  const hydrate = async (): Promise<void> => {
    const response = await fetch(
      `/api/timeline?conv_id=${encodeURIComponent(convId)}&since_version=${view.version}`,
    );
    if (!response.ok) throw new Error(((await response.json()) as { error: string }).error);
    if (view.socket !== socket) return;
    applySnapshot((await response.json()) as TimelineSnapshot);
    hydrated = true;
    for (const frame of buffered.splice(0)) deliver(frame);
  };
  // A frame past a gap (relayed from the instance writing the answer before it stored the frames in between)
  // waits for the timeline to have them: the page hydrates again, then goes on.
  const deliver = (frame: Frame): void => {
    if (!hydrated) {
      buffered.push(frame);
    } else if (frame.convId === view.convId && frame.seq > view.version + 1) {
      hydrated = false;
      buffered.push(frame);
      window.setTimeout(() => hydrate().catch(() => socket.close()), 100);
    } else {
      applyLive(frame);
    }
  };
  socket.onmessage = (message) => {
    const data = JSON.parse(String(message.data)) as Frame | Frame[];
    for (const frame of Array.isArray(data) ? data : [data]) deliver(frame);
  };
  socket.onopen = async () => {
    try {
      await hydrate();
      if (view.socket !== socket) return;
      reconnectDelay = 250;
      connectionStatus.textContent = "";
      connectionStatus.dataset.state = "connected";
      void refreshConversations();
    } catch (error) {
      showNotice(`Could not load the conversation: ${(error as Error).message}`);
      socket.close();
    }
  };
  socket.onclose = () => {
    if (view.socket !== socket) return;
    connectionStatus.textContent = "Reconnecting…";
    connectionStatus.dataset.state = "reconnecting";
    window.setTimeout(() => {
      if (view.socket === socket) connect(convId);
    }, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 2_000);
  };
}

function open(convId: string | undefined): void {
  if (convId === view.convId) return;
  const previous = view.socket;
  view.socket = undefined;
  previous?.close();
  view.convId = convId;
  view.entities.clear();
  view.elements.clear();
  view.version = 0;
  messages.replaceChildren();
  showNotice("");
  updateControls();
  if (convId) connect(convId);
  void refreshConversations();
}

function convIdFromHash(): string | undefined {
  return new URLSearchParams(location.hash.slice(1)).get("conv") ?? undefined;
}

async function refreshConversations(): Promise<void> {
  const response = await fetch("/api/conversations");
  if (!response.ok) return;
  const { conversations } = (await response.json()) as { conversations: ConversationSummary[] };
  conversationList.replaceChildren(
    ...conversations.map((conversation) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#conv=${encodeURIComponent(conversation.convId)}`;
      link.textContent = conversation.title || "(untitled)";
      link.title = conversation.title;
      if (conversation.convId === view.convId) link.setAttribute("aria-current", "page");
      item.append(link);
      return item;
    }),
  );
}

async function post(path: string, body: Record<string, string | boolean>): Promise<Response> {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function send(): Promise<void> {
  const prompt = input.value;
  if (prompt.trim() === "") return;
  showNotice("");
  pendingPost = true;
  updateControls();
  try {
    const response = await post("/chat", { prompt, ...(view.convId ? { conv_id: view.convId } : {}) });
    const body = (await response.json()) as { conv_id?: string; error?: string; code?: string };
    if (!response.ok) {
      showNotice(response.status === 409 ? `Busy: ${body.error}` : `Not sent: ${body.error}`);
      return;
    }
    input.value = "";
    if (body.conv_id && body.conv_id !== view.convId)
      location.hash = `conv=${encodeURIComponent(body.conv_id)}`;
  } catch (error) {
    showNotice(`Not sent: ${(error as Error).message}`);
  } finally {
    pendingPost = false;
    updateControls();
  }
}

byId<HTMLFormElement>("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void send();
  }
});
stopButton.addEventListener("click", () => {
  if (view.convId) void post("/chat/cancel", { conv_id: view.convId });
});
// Approve / Deny on a call waiting for approval (the buttons are drawn by view.ts).
messages.addEventListener("click", (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-approve]");
  if (!button || !view.convId) return;
  button.parentElement?.querySelectorAll("button").forEach((each) => {
    each.disabled = true;
  });
  const body = {
    conv_id: view.convId,
    call_id: button.dataset.callId ?? "",
    approved: button.dataset.approve === "true",
  };
  void post("/chat/approve", body).then(async (response) => {
    if (!response.ok) showNotice(`Not decided: ${((await response.json()) as { error: string }).error}`);
  });
});
byId<HTMLButtonElement>("new-conversation").addEventListener("click", () => {
  location.hash = "";
  input.focus();
});
window.addEventListener("hashchange", () => open(convIdFromHash()));
open(convIdFromHash());
input.focus();
