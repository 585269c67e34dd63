/**
 * The chat screen (Ink). The scrollback (messages, and each finished line of the answer being streamed) is
 * printed once with `<Static>`; only the line being written, the spinner and the input line are redrawn, so a
 * long answer reaches the terminal's history once. Colors follow `NO_COLOR` (https://no-color.org). Keys: Enter sends; Ctrl-C cancels a running answer, clears a
 * typed line, or exits at an empty one; Ctrl-D at an empty line exits.
 */
import { Box, render, Static, Text, useAnimation, useApp, useInput, usePaste } from "ink";
import { createContext, useContext, useRef, useState, useSyncExternalStore } from "react";
import type { ChatController } from "./controller.ts";
import { formatAnswerFooter, formatToolCall, formatToolResult } from "./format.ts";
import { type ScrollItem, unflushedParts } from "./scrollback.ts";
import type { AnswerMessage, AnswerPart, ChatMessage } from "./view-model.ts";

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
      return <Text>{part.text}</Text>;
    case "thinking":
      return (
        <Text dimColor italic>
          {part.text}
        </Text>
      );
    case "tool-call":
      return <Text {...paint("cyan")}>{formatToolCall(part)}</Text>;
    case "tool-result":
      return <Text {...paint(part.error === undefined ? "green" : "red")}>{formatToolResult(part)}</Text>;
  }
}

function footerColor(answer: AnswerMessage): string | undefined {
  if (answer.outcome === "error") return "red";
  if (answer.outcome === "interrupted") return "yellow";
  return undefined;
}

/** The line under a finished answer (tokens, cost, outcome), and the blank line after it. */
function AnswerEnd({ answer }: { answer: AnswerMessage }) {
  const paint = useColor();
  const footer = formatAnswerFooter(answer);
  return (
    <Box marginBottom={1}>
      {footer === undefined ? null : (
        <Text dimColor={answer.outcome === "completed"} {...paint(footerColor(answer))}>
          {footer}
        </Text>
      )}
    </Box>
  );
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

/** A whole answer (of a resumed conversation). */
function Answer({ answer }: { answer: AnswerMessage }) {
  return (
    <Box flexDirection="column">
      <Parts parts={answer.parts} />
      <AnswerEnd answer={answer} />
    </Box>
  );
}

function ScrollEntry({ item }: { item: ScrollItem }) {
  switch (item.kind) {
    case "message":
      return <Message message={item.message} />;
    case "lines":
      return <Part part={{ kind: item.style, text: item.text === "" ? " " : item.text }} />;
    case "part":
      return <Part part={item.part} />;
    case "end":
      return <AnswerEnd answer={item.answer} />;
  }
}

function Message({ message }: { message: ChatMessage }) {
  const paint = useColor();
  switch (message.kind) {
    case "user":
      return (
        <Text bold {...paint("blue")}>
          {"› "}
          {message.text}
        </Text>
      );
    case "answer":
      return <Answer answer={message} />;
    case "notice":
      return (
        <Text dimColor={message.tone === "info"} {...paint(message.tone === "error" ? "red" : undefined)}>
          {message.text}
        </Text>
      );
  }
}

/** The chat screen; `onExit` is called once with the exit code when the user leaves. */
export function ChatApp({ controller, onExit }: { controller: ChatController; onExit(code: number): void }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  // The line typed so far: a ref holds the truth (keys may come faster than renders), the state redraws it.
  const typedRef = useRef("");
  const [input, setShownInput] = useState("");
  const setInput = (text: string) => {
    typedRef.current = text;
    setShownInput(text);
  };
  const { exit } = useApp();
  const paint = useColor();
  const leave = (code: number) => {
    onExit(code);
    exit();
  };

  const type = (text: string) => {
    // Typed-ahead text may hold Enter (`\r`): the line before it is sent, the rest stays typed.
    const [first = "", ...rest] = text.split(/\r\n|\r|\n/);
    if (rest.length === 0) {
      setInput(typedRef.current + first);
      return;
    }
    const prompt = typedRef.current + first;
    setInput(rest.filter((line) => line !== "").join(" "));
    void controller.submit(prompt);
  };

  useInput((typed, key) => {
    // Read the controller, not the rendered state: keys may arrive before the next render.
    const current = controller.getState();
    if (key.ctrl && typed === "c") {
      if (current.busy) {
        if (current.cancelling) leave(130);
        else controller.cancel();
      } else if (typedRef.current !== "") setInput("");
      else leave(0);
      return;
    }
    if (controller.awaitingApproval) {
      controller.answerApproval(typed === "y" || typed === "Y");
      return;
    }
    if (key.ctrl && typed === "d") {
      if (!current.busy && typedRef.current === "") leave(0);
      return;
    }
    if (current.busy) return;
    if (key.return) {
      const prompt = typedRef.current;
      setInput("");
      void controller.submit(prompt);
      return;
    }
    if (key.backspace || key.delete) {
      setInput(Array.from(typedRef.current).slice(0, -1).join(""));
      return;
    }
    if (key.ctrl && typed === "u") {
      setInput("");
      return;
    }
    if (key.ctrl || key.meta || key.escape || key.tab || key.upArrow || key.downArrow) return;
    if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return;
    if (typed !== "") type(typed);
  });
  usePaste((text) => {
    if (!controller.busy) setInput(typedRef.current + text.replace(/\r?\n/g, " "));
  });

  return (
    <>
      {/* Static reads only `length` and `slice` of its items: the append-only scrollback offers both. */}
      <Static items={state.scroll as unknown as ScrollItem[]}>
        {(item) => <ScrollEntry key={item.id} item={item} />}
      </Static>
      {state.current ? <Parts parts={unflushedParts(state.current, state.flushed)} /> : null}
      {state.busy && state.waiting ? <Spinner /> : null}
      {state.busy ? (
        state.cancelling ? (
          <Text {...paint("yellow")}>cancelling…</Text>
        ) : null
      ) : (
        <Box flexDirection="column">
          <Text>
            <Text bold {...paint("green")}>
              {"> "}
            </Text>
            {input}
            <Text inverse> </Text>
          </Text>
          <Text dimColor>
            Enter to send · Ctrl-C cancels an answer · Ctrl-D or Ctrl-C on an empty line exits
          </Text>
        </Box>
      )}
    </>
  );
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
  options: { color?: boolean } = {},
): RenderedChat {
  let code = 0;
  const app = (
    <ColorContext value={options.color ?? true}>
      <ChatApp controller={controller} onExit={(value) => (code = value)} />
    </ColorContext>
  );
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
    exited: instance.waitUntilExit().then(() => code),
    exit(value) {
      code = value;
      instance.unmount();
    },
  };
}
