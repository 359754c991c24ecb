// One line of terminal text into the page, its colours as spans (logview.mjs parses them), for
// the log page and for build and rollout output alike. Text goes in with textContent, never as HTML.
import { parseAnsi } from "./logview.mjs";

export function appendAnsi(parent, line) {
  for (const segment of parseAnsi(line)) {
    if (!segment.cls && !segment.css) {
      parent.append(segment.text);
      continue;
    }
    const span = document.createElement("span");
    span.className = segment.cls;
    if (segment.css) span.style.cssText = segment.css;
    span.textContent = segment.text;
    parent.append(span);
  }
}
