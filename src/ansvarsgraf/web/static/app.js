// Progressive enhancement: the page works without this file. With it, the question is sent
// without a full reload and only the answer is replaced; the address bar gets the answer's
// permalink (which never holds the question text).
(function () {
  "use strict";

  // The skip link: focus the main content itself, so the next Tab starts there (a fragment
  // link alone moves the view in some browsers but leaves focus at the top).
  var skip = document.querySelector("a.skip");
  var main = document.getElementById("innehall");
  if (skip && main) {
    skip.addEventListener("click", function () { main.focus(); });
  }

  // Show the answer: when its opening sentence is not on screen (on a phone the form fills
  // the first screen), scroll its top to the top; focus its heading, for screen readers and
  // keyboards.
  function showAnswer(target) {
    var heading = target.querySelector("h2");
    var verdict = target.querySelector(".verdict") || heading;
    if (verdict && verdict.getBoundingClientRect().bottom > window.innerHeight) {
      target.scrollIntoView({ block: "start" });
    }
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }

  var form = document.getElementById("fragaform");
  var target = document.getElementById("svar");
  if (!form || !target || !window.fetch) { return; }
  if (window.location.hash === "#svar") { showAnswer(target); }
  // The address whose answer is on screen: going back or forward to another one reloads it;
  // a change of the fragment only (the skip link, #svar) does not.
  var shown = window.location.pathname + window.location.search;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    target.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: body, headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) { return { url: response.url, html: html }; });
      })
      .then(function (result) {
        var doc = new DOMParser().parseFromString(result.html, "text/html");
        var fresh = doc.getElementById("svar");
        target.innerHTML = fresh ? fresh.innerHTML : "";
        target.removeAttribute("aria-busy");
        if (result.url && result.url.indexOf("/svar?") !== -1) {
          var url = new URL(result.url);
          window.history.pushState({ svar: true }, "", url.pathname + url.search + "#svar");
          shown = url.pathname + url.search;
        }
        showAnswer(target);
      })
      .catch(function () { form.submit(); });
  });
  window.addEventListener("popstate", function () {
    if (window.location.pathname + window.location.search !== shown) { window.location.reload(); }
  });
})();
