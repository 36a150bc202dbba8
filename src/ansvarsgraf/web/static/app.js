// Progressive enhancement: the page works without this file. With it, the question is sent
// without a full reload and only the answer is replaced; the address bar gets the answer's
// permalink (which never holds the question text).
(function () {
  "use strict";
  var form = document.getElementById("fragaform");
  var target = document.getElementById("svar");
  if (!form || !target || !window.fetch) { return; }
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
          window.history.pushState({}, "", result.url);
        }
        var heading = target.querySelector("h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      })
      .catch(function () { form.submit(); });
  });
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
