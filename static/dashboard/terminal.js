// Text the server sends as a terminal printed it (a build's output, colours and all): each
// `pre[data-ansi]` is drawn with the log page's ANSI parser (logview.mjs), and drawn again when
// htmx swaps a fresh one in (a running build's output, every second).
import { appendAnsi } from "./ansi_dom.mjs";

function draw(pre) {
  if (pre.dataset.ansiDrawn) return;
  const fragment = document.createDocumentFragment();
  pre.textContent.split("\n").forEach((line, index) => {
    if (index) fragment.append("\n");
    appendAnsi(fragment, line);
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
