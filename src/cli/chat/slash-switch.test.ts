/**
 * /clear, /system, /model and /profile: answered in the chat, each changing what the next prompt is sent with.
 * Real Sessions on scripted engines; the engine switch chooses engines through a selector as the command does.
 */
import { describe, expect, it } from "vitest";
import type { LoadedSettings } from "../../settings/load.ts";
import { ScriptedEngine, script } from "../../testing/scripted-engine.ts";
import type { SelectedEngine } from "../engine-selection.ts";
import { UsageError } from "../usage.ts";
import { ChatController } from "./controller.ts";
import { KeyChatEngine } from "./engine-choice.ts";
import { engineSwitch } from "./engine-switch.ts";
import { engineSessionBackend } from "./session-backend.ts";

function scripted(...answers: string[]) {
  return new ScriptedEngine(
    answers.flatMap((answer) => [...script.text(answer), script.stop("stop")]),
    { recordInputs: true },
  );
}

function selected(engine: ScriptedEngine, apiType: string, model: string): SelectedEngine {
  const settings = { settings: { chat: { apiType, engine: model } } } as unknown as LoadedSettings;
  return { engine, description: `${apiType} ${model}`, isDefault: false, settings, async close() {} };
}

function notices(controller: ChatController): string[] {
  return controller
    .getState()
    .messages.flatMap((message) => (message.kind === "notice" ? [message.text] : []));
}

describe("chat commands that change the next prompt", () => {
  it("/system shows, replaces and removes the system prompt of the next prompts", async () => {
    const engine = scripted("One.", "Two.", "Three.");
    const controller = new ChatController(engineSessionBackend(engine), { frameMs: 0 });
    await controller.submit("/system");
    expect(notices(controller).at(-1)).toBe("no system prompt");
    await controller.submit("/system Answer in French");
    await controller.submit("Hello");
    expect(engine.inputs[0]?.blocks.map((block) => block.kind)).toEqual(["system", "user"]);
    expect(engine.inputs[0]?.blocks[0]).toMatchObject({ payload: { text: "Answer in French" } });
    await controller.submit("/system Answer in German");
    await controller.submit("/system");
    expect(notices(controller).at(-1)).toBe("system prompt: Answer in German");
    await controller.submit("Again");
    expect(engine.inputs[1]?.blocks.map((block) => block.kind)).toEqual([
      "system",
      "user",
      "llm_text",
      "user",
    ]);
    expect(engine.inputs[1]?.blocks[0]).toMatchObject({ payload: { text: "Answer in German" } });
    await controller.submit("/system -");
    await controller.submit("Last");
    expect(engine.inputs[2]?.blocks.some((block) => block.kind === "system")).toBe(false);
  });

  it("/clear starts a new session: the next prompt goes without the conversation, the system prompt kept", async () => {
    const engine = scripted("One.", "Two.");
    const backend = engineSessionBackend(engine);
    const controller = new ChatController(backend, { frameMs: 0 });
    await controller.submit("/system Be brief");
    await controller.submit("Hello");
    const first = backend.sessionId;
    expect(controller.getState().sessionCost).toBe(0);
    await controller.submit("/clear");
    expect(backend.sessionId).not.toBe(first);
    expect(notices(controller).at(-1)).toBe(
      `New session ${backend.sessionId}: the conversation starts again`,
    );
    expect(controller.getState().messages.filter((message) => message.kind !== "notice")).toEqual([]);
    await controller.submit("Fresh");
    expect(engine.inputs[1]?.blocks.map((block) => block.kind)).toEqual(["system", "user"]);
    expect(engine.inputs[1]?.blocks[1]).toMatchObject({ payload: { text: "Fresh" } });
  });

  it("/model and /profile answer the next prompts on the chosen engine, the conversation kept", async () => {
    const first = scripted("From A.");
    const second = scripted("From B.");
    const third = scripted("From C.");
    const backend = engineSessionBackend(first);
    const asked: Record<string, unknown>[] = [];
    const engines = engineSwitch(
      { "ai-api-type": "openai", "ai-engine": "model-a", "ai-temperature": 0.2 },
      selected(first, "openai", "model-a"),
      async (flags) => {
        asked.push(flags);
        if (flags.profile === "nope") throw new UsageError('unknown profile "nope" (profiles: fast)');
        return flags.profile === "fast"
          ? selected(third, "claude", "claude-x")
          : selected(second, String(flags["ai-api-type"]), String(flags["ai-engine"]));
      },
      backend,
    );
    const controller = new ChatController(backend, { frameMs: 0, engines });
    await controller.submit("Hello");
    await controller.submit("/model");
    expect(notices(controller).at(-1)).toBe("model: openai model-a");
    await controller.submit("/model model-b");
    expect(asked[0]).toEqual({ "ai-api-type": "openai", "ai-engine": "model-b", "ai-temperature": 0.2 });
    expect(notices(controller).at(-1)).toBe("the next prompts go to openai model-b");
    await controller.submit("And now?");
    expect(second.inputs[0]?.blocks.map((block) => block.kind)).toEqual(["user", "llm_text", "user"]);
    expect(KeyChatEngine.get(backend.turns().at(-1)!)).toEqual({ apiType: "openai", engine: "model-b" });

    await controller.submit("/model anthropic:claude-y");
    expect(asked[1]).toEqual({ "ai-api-type": "anthropic", "ai-engine": "claude-y", "ai-temperature": 0.2 });
    await controller.submit("/profile nope");
    expect(notices(controller).at(-1)).toBe('/profile nope: unknown profile "nope" (profiles: fast)');
    await controller.submit("/profile fast");
    expect(notices(controller).at(-1)).toBe("the next prompts go to claude claude-x (profile fast)");
    await controller.submit("Third?");
    expect(third.inputs[0]?.blocks.filter((block) => block.kind === "user")).toHaveLength(3);
    expect(first.inputs).toHaveLength(1);
  });
});
