/**
 * The chat screen (Ink). The scrollback (messages, and each finished row of the answer being streamed) is
 * printed once above Ink's frame (`print.ts`, through Ink's `write`, which keeps the frame below it: Ink's
 * static output without Ink laying out every character); only the row being written, the spinner and the
 * input line are redrawn, so a long answer reaches the terminal's history once. Colors follow `NO_COLOR`
 * (https://no-color.org). The input line is edited with `line-editor.ts` (cursor, Home/End, Ctrl-A/E/W/U, history); it stays while an answer
 * streams, and what is typed meanwhile is kept (sent with Enter once the answer has ended). Ctrl-C cancels a
 * running answer, clears a typed line, or exits at an empty one; Ctrl-D at an empty line exits.
 */
import {
  Box,
  type Key,
  render,
  renderToString,
  Text,
  useAnimation,
  useApp,
  useInput,
  usePaste,
  useStdout,
} from "ink";
import { createContext, useContext, useLayoutEffect, useRef, useState, useSyncExternalStore } from "react";
import type { ChatController } from "./controller.ts";
import { formatGauge, formatToolCall, formatToolResult } from "./format.ts";
import {
  type EditKey,
  edit,
  emptyLine,
  insert,
  type LineState,
  lineText,
  sent,
  splitAtCursor,
} from "./line-editor.ts";
import { inert, ScrollPrinter } from "./print.ts";
import { eraseReflowedFrame } from "./resize.ts";
import type { AnswerPart, ChatState } from "./view-model.ts";

/** Whether the screen uses colors (off with NO_COLOR). */
const ColorContext = createContext(true);

/** The `color` prop, or none when colors are off. */
function useColor(): (color: string | undefined) => { color?: string } {
  const colored = useContext(ColorContext);
  return (color) => (colored && color !== undefined ? { color } : {});
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function Spinner() {
  const { frame } = useAnimation({ interval: 80 });
  const paint = useColor();
  return (
    <Text {...paint("cyan")}>
      {SPINNER[frame % SPINNER.length]} <Text dimColor>thinking… (Ctrl-C to cancel)</Text>
    </Text>
  );
}

function Part({ part }: { part: AnswerPart }) {
  const paint = useColor();
  switch (part.kind) {
    case "text":
      return <Text>{inert(part.text)}</Text>;
    case "thinking":
      return (
        <Text dimColor italic>
          {inert(part.text)}
        </Text>
      );
    case "tool-call":
      return <Text {...paint("cyan")}>{inert(formatToolCall(part))}</Text>;
    case "tool-result":
      return (
        <Text {...paint(part.error === undefined ? "green" : "red")}>{inert(formatToolResult(part))}</Text>
      );
  }
}

/** Parts of an answer, one below the other. */
function Parts({ parts }: { parts: AnswerPart[] }) {
  return (
    <Box flexDirection="column">
      {parts.map((part, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: parts are only ever appended
        <Part key={index} part={part} />
      ))}
    </Box>
  );
}

/** What the chat screen is given. */
export interface ChatAppProps {
  controller: ChatController;
  /** Called once with the exit code when the user leaves. */
  onExit(code: number): void;
  /** Earlier prompts (Up/Down), oldest first. */
  history?: readonly string[];
  /** Called with each prompt sent (to keep the history). */
  onSent?: (prompt: string) => void;
  /** The model's context window (tokens), for the gauge. */
  contextWindow?: number;
  /** Answers as Markdown (default) or as written (`--plain`). */
  markdown?: boolean;
  /** Receives the frame of every render (the resize handling draws it again). */
  shown?: FrameHolder;
}

/** The frame last rendered. */
interface FrameHolder {
  current?: FrameProps;
}

/** The key of Ink's `useInput` that edits the line, if any. */
function editKeyOf(typed: string, key: Key): EditKey | undefined {
  if (key.ctrl) {
    return ({ a: "home", e: "end", w: "delete-word", u: "delete-to-start" } as const)[typed as "a"];
  }
  if (key.backspace || key.delete) return "backspace";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.home) return "home";
  if (key.end) return "end";
  if (key.upArrow) return "history-previous";
  if (key.downArrow) return "history-next";
  return undefined;
}

/** The chat screen; `onExit` is called once with the exit code when the user leaves. */
export function ChatApp({
  controller,
  onExit,
  history = [],
  onSent,
  contextWindow,
  markdown = true,
  shown,
}: ChatAppProps) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const colored = useContext(ColorContext);
  // The scrollback is written once, in order, above the frame: what was added since the last commit.
  const { write } = useStdout();
  const printer = useRef<ScrollPrinter | undefined>(undefined);
  const printed = useRef(0);
  useLayoutEffect(() => {
    if (state.scroll.length === printed.current) return;
    printer.current ??= new ScrollPrinter({ color: colored, markdown });
    const text = printer.current.print(state.scroll.slice(printed.current), state.columns);
    printed.current = state.scroll.length;
    write(text);
  }, [state.scroll, state.columns, colored, markdown, write]);
  // The line typed so far: a ref holds the truth (keys may come faster than renders), the state redraws it.
  const lineRef = useRef<LineState>(emptyLine(history));
  const [line, setShownLine] = useState(lineRef.current);
  const setLine = (next: LineState) => {
    lineRef.current = next;
    setShownLine(next);
  };
  const { exit } = useApp();
  const leave = (code: number) => {
    onExit(code);
    exit();
  };
  controller.onExit = leave;

  const send = () => {
    const prompt = lineText(lineRef.current);
    if (prompt.trim() === "") return;
    onSent?.(prompt.trim());
    setLine(sent(lineRef.current));
    void controller.submit(prompt);
  };

  const type = (text: string) => {
    // Typed-ahead text may hold Enter (`\r`): the line before it is sent (once no answer runs), the rest stays.
    const [first = "", ...rest] = text.split(/\r\n|\r|\n/);
    setLine(insert(lineRef.current, first));
    for (const next of rest) {
      if (controller.busy) setLine(insert(lineRef.current, " "));
      else send();
      setLine(insert(lineRef.current, next));
    }
  };

  useInput((typed, key) => {
    // Read the controller, not the rendered state: keys may arrive before the next render.
    const current = controller.getState();
    const empty = lineRef.current.chars.length === 0;
    if (key.ctrl && typed === "c") {
      if (current.busy) {
        if (current.cancelling) leave(130);
        else controller.cancel();
      } else if (!empty) setLine(edit(lineRef.current, "clear"));
      else leave(0);
      return;
    }
    if (controller.awaitingApproval) {
      controller.answerApproval(typed === "y" || typed === "Y");
      return;
    }
    if (key.ctrl && typed === "d") {
      if (!current.busy && empty) leave(0);
      return;
    }
    if (key.return) {
      // Shift+Enter (where the terminal reports it) or Alt+Enter starts a new line; Enter sends when no answer runs.
      if (key.shift || key.meta) setLine(insert(lineRef.current, "\n"));
      else if (!current.busy) send();
      return;
    }
    const editKey = editKeyOf(typed, key);
    if (editKey !== undefined) {
      setLine(edit(lineRef.current, editKey));
      return;
    }
    if (key.ctrl || key.meta || key.escape || key.tab || key.pageUp || key.pageDown) return;
    if (typed !== "") type(typed);
  });
  // A paste keeps its newlines (pasted CRs become newlines); it is never sent by itself.
  usePaste((text) => setLine(insert(lineRef.current, text)));

  const frame: FrameProps = { state, line, gauge: formatGauge(state, contextWindow) };
  if (shown) shown.current = frame;
  return <ChatFrame {...frame} />;
}

/** What the frame shows (the part of the screen Ink redraws): the answer being written, the input line, hints. */
interface FrameProps {
  state: ChatState;
  line: LineState;
  gauge: string | undefined;
}

/** The frame: drawn by Ink below the scrollback, and drawn again to a string at the old width on a resize. */
function ChatFrame({ state, line, gauge }: FrameProps) {
  const paint = useColor();
  const [before, under, rest] = splitAtCursor(line);
  return (
    <>
      {state.current ? <Parts parts={state.current.parts} /> : null}
      {state.busy && state.waiting ? <Spinner /> : null}
      {state.busy && state.cancelling ? <Text {...paint("yellow")}>cancelling…</Text> : null}
      <Box flexDirection="column">
        <Text>
          <Text bold {...paint("green")}>
            {"> "}
          </Text>
          {before}
          <Text inverse>{under}</Text>
          {rest}
        </Text>
        <Text dimColor wrap="truncate">
          {state.busy
            ? "Ctrl-C cancels the answer · what you type is kept for the next prompt"
            : "Enter to send · Alt+Enter new line · /help · Ctrl-D or Ctrl-C on an empty line exits"}
        </Text>
        {gauge === undefined ? null : (
          <Text dimColor wrap="truncate">
            {gauge}
          </Text>
        )}
      </Box>
    </>
  );
}

/**
 * On a resize (narrower or wider), erases the rows the terminal rewrapped the last frame into (see `resize.ts`;
 * nothing when it did not grow) before Ink redraws, and tells the controller the new width, so the rows still to
 * come are broken at it. Public APIs only: the stream's `resize` event and `columns`, and the last frame drawn again
 * at the old width with Ink's `renderToString`. Registered before Ink's own listener, so it runs first. Returns the
 * function that removes it.
 */
function watchResize(
  stdout: NodeJS.WritableStream,
  controller: ChatController,
  frameAt: (columns: number) => string | undefined,
): () => void {
  const screen = stdout as NodeJS.WritableStream & { columns?: number };
  if (typeof screen.on !== "function") return () => {};
  let columns = screen.columns ?? 0;
  const resized = () => {
    const now = screen.columns ?? 0;
    if (now === columns) return;
    const frame = frameAt(columns);
    if (frame !== undefined) {
      const erase = eraseReflowedFrame(frame, now);
      if (erase !== "") stdout.write(erase);
    }
    columns = now;
    controller.resize(now);
  };
  screen.on("resize", resized);
  return () => screen.off("resize", resized);
}

/** The chat on the terminal: `exited` resolves with the exit code once the user leaves; `exit` leaves now. */
export interface RenderedChat {
  exited: Promise<number>;
  exit(code: number): void;
}

/** Renders the chat on the terminal. */
export function renderChat(
  controller: ChatController,
  streams: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  options: {
    color?: boolean;
    history?: readonly string[];
    onSent?: (prompt: string) => void;
    contextWindow?: number;
    markdown?: boolean;
  } = {},
): RenderedChat {
  let code = 0;
  const shown: FrameHolder = {};
  const app = (
    <ColorContext value={options.color ?? true}>
      <ChatApp
        controller={controller}
        onExit={(value) => (code = value)}
        shown={shown}
        {...(options.history ? { history: options.history } : {})}
        {...(options.onSent ? { onSent: options.onSent } : {})}
        {...(options.contextWindow ? { contextWindow: options.contextWindow } : {})}
        {...(options.markdown === undefined ? {} : { markdown: options.markdown })}
      />
    </ColorContext>
  );
  // The frame last drawn, drawn again at a given width (Ink's log ends every frame with a newline).
  const frameAt = (columns: number) =>
    shown.current &&
    `${renderToString(
      <ColorContext value={options.color ?? true}>
        <ChatFrame {...shown.current} />
      </ColorContext>,
      { columns },
    )}\n`;
  const stopWatching = watchResize(streams.stdout, controller, frameAt);
  const instance = render(app, {
    ...streams,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 30,
    incrementalRendering: true,
    // The command checked for a terminal itself; Ink would otherwise turn non-interactive when CI is set.
    interactive: true,
  });
  return {
    exited: instance.waitUntilExit().then(() => {
      stopWatching();
      return code;
    }),
    exit(value) {
      code = value;
      instance.unmount();
    },
  };
}
