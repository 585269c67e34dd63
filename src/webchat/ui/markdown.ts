/**
 * Model output as Markdown, inert: raw HTML is escaped (it shows as text), links may not use script or data
 * URLs (markdown-it's link check) and open in a new tab without a referrer, and images are not rendered (their
 * text shows as a link instead), since an image would make the browser fetch a URL of the model's choosing.
 */
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({ html: false, linkify: false, breaks: true });
markdown.disable(["image"]);
const renderLinkOpen =
  markdown.renderer.rules.link_open ??
  ((tokens, index, options, _environment, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, environment, self) => {
  tokens[index]!.attrSet("target", "_blank");
  tokens[index]!.attrSet("rel", "noopener noreferrer");
  return renderLinkOpen(tokens, index, options, environment, self);
};

/**
 * Renders Markdown to HTML in which nothing from the input can run.
 *
 * @example
 * renderMarkdown("<img src=x onerror=alert(1)> **bold**") // "<p>&lt;img src=x onerror=alert(1)&gt; <strong>bold</strong></p>\n"
 */
export function renderMarkdown(text: string): string {
  return markdown.render(text);
}
