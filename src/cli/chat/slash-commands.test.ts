import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScriptedEngine, script } from "../../testing/scripted-engine.ts";
import { ChatController } from "./controller.ts";
import { appendHistory, HISTORY_LIMIT, readHistory } from "./input-history.ts";
import { engineSessionBackend } from "./session-backend.ts";

function chat() {
  const engine = new ScriptedEngine([script.text("Paris."), script.text("Still Paris.")], {
    recordInputs: true,
  });
  const written: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), "geppetto-slash-"));
  const controller = new ChatController(engineSessionBackend(engine), {
    frameMs: 0,
    writeTerminal: (bytes) => written.push(bytes),
    cwd,
  });
  const notices = () =>
    controller.getState().messages.flatMap((message) => (message.kind === "notice" ? [message.text] : []));
  return { engine, controller, written, cwd, notices };
}

describe("chat slash commands", () => {
  it("are answered locally: an unknown one is never sent to the model", async () => {
    const { engine, controller, notices } = chat();
    await controller.submit("/hepl");
    await controller.submit("/help");
    expect(engine.inputs).toHaveLength(0);
    expect(notices()[0]).toBe(
      "unknown command /hepl (did you mean /help?): not sent to the model; /help lists the commands",
    );
    expect(notices()[1]).toContain("/save FILE");
  });

  it("/retry sends the last prompt again, /save writes the conversation, /copy sets the clipboard over OSC 52", async () => {
    const { engine, controller, written, cwd, notices } = chat();
    await controller.submit("Capital of France?");
    await controller.submit("/retry");
    expect(engine.inputs).toHaveLength(2);
    expect(engine.inputs[1]?.blocks.at(-1)).toMatchObject({
      kind: "user",
      payload: { text: "Capital of France?" },
    });
    await controller.submit("/save chat.md");
    expect(readFileSync(join(cwd, "chat.md"), "utf8")).toBe(
      "> Capital of France?\n\nParis.\n\n> Capital of France?\n\nStill Paris.\n",
    );
    await controller.submit("/copy");
    expect(written).toEqual([`\x1b]52;c;${Buffer.from("Still Paris.").toString("base64")}\x07`]);
    expect(notices().at(-1)).toBe("copied the last answer (12 characters) to the clipboard");
  });

  it("/copy in a chat with no terminal says it cannot copy", async () => {
    const engine = new ScriptedEngine([script.text("Paris.")]);
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    await controller.submit("Capital of France?");
    await controller.submit("/copy");
    const last = controller.getState().messages.at(-1);
    expect(last).toMatchObject({
      kind: "notice",
      text: expect.stringMatching(/^\/copy: cannot copy without a terminal/),
    });
  });

  it("/exit leaves with 0; // sends a prompt starting with /", async () => {
    const { engine, controller } = chat();
    let code: number | undefined;
    controller.onExit = (value) => {
      code = value;
    };
    await controller.submit("//usr/bin is what?");
    expect(engine.inputs[0]?.blocks.at(-1)).toMatchObject({ payload: { text: "/usr/bin is what?" } });
    await controller.submit("/exit");
    expect(code).toBe(0);
  });
});

describe("the chat's prompt history file", () => {
  it("keeps prompts between chats, newest last, at most the limit", () => {
    const file = join(mkdtempSync(join(tmpdir(), "geppetto-history-")), "chat-history.jsonl");
    expect(readHistory(file)).toEqual([]);
    appendHistory(file, "first\nwith a newline");
    appendHistory(file, "second");
    expect(readHistory(file)).toEqual(["first\nwith a newline", "second"]);
    for (let index = 0; index < 2 * HISTORY_LIMIT; index++) appendHistory(file, `p${index}`);
    const kept = readHistory(file);
    expect(kept).toHaveLength(HISTORY_LIMIT);
    expect(kept.at(-1)).toBe(`p${2 * HISTORY_LIMIT - 1}`);
  });
});
