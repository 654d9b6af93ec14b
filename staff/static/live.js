// The handover pages' live parts: every element with data-live="<url>" is fetched anew every few
// seconds (same origin, same session) and replaced when it changed. The server renders and escapes
// the fragment; this script only swaps it in. The regions are aria-live, so a screen reader
// announces a new citizen in the queue or a new message, and nothing reloads under the keyboard.
(function () {
  "use strict";
  var SECONDS = 2;
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  var stopped = false;
  function stop(region) {
    // Signed out (the fetch was sent to the sign-in page) or the conversation is no longer ours:
    // say so once and stop asking, rather than pour a whole page into the region every round.
    stopped = true;
    region.textContent = "Deze lijst werkt niet meer bij: laad de pagina opnieuw (of meld je opnieuw aan).";
  }
  function refresh(region) {
    return fetch(region.getAttribute("data-live"), { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (answer) {
        if (answer.type === "opaqueredirect" || !answer.ok) { stop(region); return null; }
        return answer.text();
      })
      .then(function (html) {
        if (html !== null && html !== region.getAttribute("data-shown")) {
          region.setAttribute("data-shown", html);
          region.innerHTML = html;
          if (region.hasAttribute("data-scroll")) { region.scrollTop = region.scrollHeight; }
        }
      })
      .catch(function () { /* the next round tries again */ });
  }
  function round() {
    Promise.all(regions.map(refresh)).then(function () { if (!stopped) { window.setTimeout(round, SECONDS * 1000); } });
  }
  if (regions.length) { round(); }
})();
