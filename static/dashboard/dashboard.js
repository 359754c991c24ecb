// htmx settings for the dashboard. An error answer (4xx, 5xx) carries a message that the server
// retargets to #flash (dashboard/http.py): swap it in rather than dropping it, as htmx would.
document.addEventListener("DOMContentLoaded", () => {
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ];
  // Something the user does replaces the last message; a poll (a rollout's progress) does not.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const flash = document.getElementById("flash");
    if (flash && event.detail.elt.matches("form, button, select")) flash.replaceChildren();
  });
});
