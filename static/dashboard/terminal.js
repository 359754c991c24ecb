// Text the server sends as a terminal printed it (a build's output, colours and all): each
// `pre[data-ansi]` is drawn with the log page's ANSI parser (logview.mjs), and drawn again when
// htmx swaps a fresh one in (a running build's output, every second). The text stays text:
// segments go in with textContent, never as HTML.
import { parseAnsi } from "./logview.mjs";

function draw(pre) {
  if (pre.dataset.ansiDrawn) return;
  const fragment = document.createDocumentFragment();
  pre.textContent.split("\n").forEach((line, index) => {
    if (index) fragment.append("\n");
    for (const segment of parseAnsi(line)) {
      if (!segment.cls && !segment.css) {
        fragment.append(segment.text);
        continue;
      }
      const span = document.createElement("span");
      span.className = segment.cls;
      if (segment.css) span.style.cssText = segment.css;
      span.textContent = segment.text;
      fragment.append(span);
    }
  });
  pre.replaceChildren(fragment);
  pre.dataset.ansiDrawn = "1";
}

function drawWithin(root) {
  if (root.matches?.("pre[data-ansi]")) draw(root);
  root.querySelectorAll?.("pre[data-ansi]").forEach(draw);
}

drawWithin(document);
document.addEventListener("htmx:load", (event) => drawWithin(event.detail.elt));
