/**
 * The `tools` and `toolConfig` of a Gemini request: the offered tools as function declarations and the tool
 * choice as a function-calling mode (a named choice is `ANY` with that one allowed name).
 */
import { CallerError } from "../../engine/errors.ts";
import type { ToolConfig } from "../../engine/inference-config.ts";
import type { ToolDescription } from "../../engine/tools.ts";
import type { JsonObject } from "../../turns/json.ts";
import type { GeminiInferenceConfig } from "./descriptor.ts";
import type { GeminiRequestBody } from "./wire.ts";

/**
 * The tools part of one request (nothing when no tool is offered); warnings for settings Gemini cannot take.
 *
 * @example
 * toolsAndConfig(tools, { toolChoice: "required" }, {}, warnings).toolConfig // { functionCallingConfig: { mode: "ANY" } }
 */
export function toolsAndConfig(
  offered: ToolDescription[],
  toolConfig: ToolConfig,
  gemini: GeminiInferenceConfig,
  warnings: string[],
): Pick<GeminiRequestBody, "tools" | "toolConfig"> {
  const allowed = toolConfig.allowedTools;
  if (offered.length === 0) return {};
  const declarations = offered.map((tool) => {
    const declaration: JsonObject = { name: tool.name, description: tool.description };
    if (Object.keys(tool.parameters).length > 0) declaration.parameters = tool.parameters;
    return declaration;
  });
  const calling: JsonObject = {};
  const choice = toolConfig.toolChoice;
  if (choice === "auto") calling.mode = "AUTO";
  else if (choice === "none") calling.mode = "NONE";
  else if (choice === "required") calling.mode = "ANY";
  else if (choice !== undefined) {
    if (!offered.some((tool) => tool.name === choice.name)) {
      throw new CallerError(`toolChoice names ${JSON.stringify(choice.name)}, which is not an offered tool`, {
        code: "invalid_tool_choice",
      });
    }
    calling.mode = "ANY";
    calling.allowedFunctionNames = [choice.name];
  }
  if (calling.mode === "ANY" && allowed && calling.allowedFunctionNames === undefined) {
    calling.allowedFunctionNames = offered.map((tool) => tool.name);
  }
  if (gemini.streamFunctionCallArguments) calling.streamFunctionCallArguments = true;
  if (toolConfig.parallelToolCalls === false) {
    warnings.push("parallelToolCalls not sent: Gemini has no switch for parallel function calls");
  }
  const result: Pick<GeminiRequestBody, "tools" | "toolConfig"> = {
    tools: [{ functionDeclarations: declarations }],
  };
  if (Object.keys(calling).length > 0) result.toolConfig = { functionCallingConfig: calling };
  return result;
}
