/**
 * MCP resources and prompts: list a server's resources and read one as an attachment (a user block: text
 * resources as text, images as images); list its prompts and get one, filled with arguments, as Turn blocks
 * (a prompt is a template the server fills).
 */
import { newAssistantTextBlock, newUserMultimodalBlock, newUserTextBlock } from "../turns/builders.ts";
import type { Block, ImagePart, UserBlock } from "../turns/types.ts";
import type { McpConnection } from "./connection.ts";
import { McpRequestError } from "./errors.ts";

/** A resource a server offers. */
export interface McpResourceInfo {
  uri: string;
  name: string;
  mediaType?: string;
  description?: string;
}

/** A prompt a server offers, with its arguments. */
export interface McpPromptInfo {
  name: string;
  description?: string;
  arguments: { name: string; description?: string; required: boolean }[];
}

/**
 * Every resource of a server (all pages).
 *
 * @example
 * const resources = await listMcpResources(mcp.connection("files")!);
 */
export async function listMcpResources(connection: McpConnection): Promise<McpResourceInfo[]> {
  const out: McpResourceInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await connection.request((client, options) =>
      client.listResources(cursor === undefined ? {} : { cursor }, options),
    );
    for (const resource of page.resources) {
      const info: McpResourceInfo = { uri: resource.uri, name: resource.name };
      if (resource.mimeType !== undefined) info.mediaType = resource.mimeType;
      if (resource.description !== undefined) info.description = resource.description;
      out.push(info);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/**
 * Reads a resource as a user block to attach to a Turn: text contents as text (each headed by its URI), image
 * contents as images; other binary contents are named in the text.
 *
 * @example
 * const attachment = await readMcpResource(mcp.connection("files")!, "file:///notes.txt");
 * const turn = newTurn([attachment, newUserTextBlock("Summarize the notes")]);
 */
export async function readMcpResource(connection: McpConnection, uri: string): Promise<UserBlock> {
  const result = await connection.request((client, options) => client.readResource({ uri }, options));
  const texts: string[] = [];
  const images: ImagePart[] = [];
  for (const content of result.contents) {
    const mediaType = content.mimeType ?? "application/octet-stream";
    if ("text" in content && typeof content.text === "string")
      texts.push(`[${content.uri}]\n${content.text}`);
    else if ("blob" in content && typeof content.blob === "string" && mediaType.startsWith("image/"))
      images.push({ mediaType, data: content.blob });
    else texts.push(`[${content.uri}: ${mediaType}, binary, not attached]`);
  }
  const text = texts.join("\n\n");
  return images.length > 0 ? newUserMultimodalBlock(text, images) : newUserTextBlock(text);
}

/**
 * Every prompt of a server (all pages).
 *
 * @example
 * (await listMcpPrompts(connection)).map((prompt) => prompt.name)
 */
export async function listMcpPrompts(connection: McpConnection): Promise<McpPromptInfo[]> {
  const out: McpPromptInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await connection.request((client, options) =>
      client.listPrompts(cursor === undefined ? {} : { cursor }, options),
    );
    for (const prompt of page.prompts) {
      const info: McpPromptInfo = {
        name: prompt.name,
        arguments: (prompt.arguments ?? []).map((argument) => ({
          name: argument.name,
          required: argument.required === true,
          ...(argument.description === undefined ? {} : { description: argument.description }),
        })),
      };
      if (prompt.description !== undefined) info.description = prompt.description;
      out.push(info);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/**
 * A prompt filled by the server, as blocks to start or continue a Turn with: user messages become user blocks
 * (with their images), assistant messages assistant text blocks; embedded resources are inlined as text.
 *
 * @example
 * const blocks = await getMcpPrompt(connection, "review_code", { code: "let x = 1" });
 * const turn = newTurn(blocks);
 */
export async function getMcpPrompt(
  connection: McpConnection,
  name: string,
  args: Record<string, string> = {},
): Promise<Block[]> {
  const result = await connection.request((client, options) =>
    client.getPrompt({ name, arguments: args }, options),
  );
  return result.messages.map((message, index) => {
    const { content } = message;
    let text: string;
    const images: ImagePart[] = [];
    if (content.type === "text") text = content.text;
    else if (content.type === "image") {
      text = "";
      images.push({ mediaType: content.mimeType, data: content.data });
    } else if (content.type === "resource" && "text" in content.resource) {
      text = `[${content.resource.uri}]\n${String(content.resource.text)}`;
    } else if (content.type === "resource_link") text = `[resource link ${content.uri}]`;
    else {
      throw new McpRequestError(
        connection.name,
        `prompt "${name}" message ${index}: ${content.type} content has no Turn form`,
      );
    }
    if (message.role === "assistant") return newAssistantTextBlock(text);
    return images.length > 0 ? newUserMultimodalBlock(text, images) : newUserTextBlock(text);
  });
}
