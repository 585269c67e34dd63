/**
 * The chat screen (Ink). Finished messages are printed once with `<Static>`; only the answer being streamed,
 * the spinner and the input line are redrawn. Keys: Enter sends; Ctrl-C cancels a running answer, clears a
 * typed line, or exits at an empty one; Ctrl-D at an empty line exits.
 */
import { Box, render, Static, Text, useAnimation, useApp, useInput, usePaste } from "ink";
import { useRef, useState, useSyncExternalStore } from "react";
import type { ChatController } from "./controller.ts";
import { formatAnswerFooter, formatToolCall, formatToolResult } from "./format.ts";
import type { AnswerMessage, AnswerPart, ChatMessage } from "./view-model.ts";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function Spinner() {
  const { frame } = useAnimation({ interval: 80 });
  return (
    <Text color="cyan">
      {SPINNER[frame % SPINNER.length]} <Text dimColor>thinking… (Ctrl-C to cancel)</Text>
    </Text>
  );
}

function Part({ part }: { part: AnswerPart }) {
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
      return <Text color="cyan">{formatToolCall(part)}</Text>;
    case "tool-result":
      return <Text color={part.error === undefined ? "green" : "red"}>{formatToolResult(part)}</Text>;
  }
}

function footerColor(answer: AnswerMessage): { color?: string } {
  if (answer.outcome === "error") return { color: "red" };
  if (answer.outcome === "interrupted") return { color: "yellow" };
  return {};
}

function Answer({ answer }: { answer: AnswerMessage }) {
  const footer = formatAnswerFooter(answer);
  return (
    <Box flexDirection="column" marginBottom={answer.outcome === "streaming" ? 0 : 1}>
      {answer.parts.map((part, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: parts are only ever appended
        <Part key={index} part={part} />
      ))}
      {footer === undefined ? null : (
        <Text dimColor={answer.outcome === "completed"} {...footerColor(answer)}>
          {footer}
        </Text>
      )}
    </Box>
  );
}

function Message({ message }: { message: ChatMessage }) {
  switch (message.kind) {
    case "user":
      return (
        <Text bold color="blue">
          {"› "}
          {message.text}
        </Text>
      );
    case "answer":
      return <Answer answer={message} />;
    case "notice":
      return (
        <Text dimColor={message.tone === "info"} {...(message.tone === "error" ? { color: "red" } : {})}>
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
      <Static items={state.messages}>{(message) => <Message key={message.id} message={message} />}</Static>
      {state.current ? <Answer answer={state.current} /> : null}
      {state.busy && state.waiting ? <Spinner /> : null}
      {state.busy ? (
        state.cancelling ? (
          <Text color="yellow">cancelling…</Text>
        ) : null
      ) : (
        <Box flexDirection="column">
          <Text>
            <Text bold color="green">
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
): RenderedChat {
  let code = 0;
  const instance = render(<ChatApp controller={controller} onExit={(value) => (code = value)} />, {
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
