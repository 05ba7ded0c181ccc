// demo.js: the Hearthly demo page's "sign in as a demo customer" control. It asks journeybot's demo endpoint
// (served only when demo.enabled is set) for a signed identity and hands it to the widget, as a real site would
// after its own login: the hash is computed on the server, never in the page.
(function () {
  "use strict";
  var section = document.getElementById("demo-signin");
  if (!section || !window.fetch) return;
  var button = section.querySelector("button");
  var status = section.querySelector("[role=status]");
  var identity = null;

  fetch("/demo/identity", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (id) {
      if (!id) return; // demo sign-in is off: the section stays hidden
      identity = id;
      section.hidden = false;
    })
    .catch(function () {});

  function widget() {
    return window.JourneybotChat && typeof window.JourneybotChat.identify === "function" ? window.JourneybotChat : null;
  }

  button.addEventListener("click", function () {
    var chat = widget();
    if (!identity || !chat) return;
    button.disabled = true;
    status.textContent = "Signing in…";
    var answer = chat.identify({ id: identity.user_id, name: identity.name, email: identity.email,
      hash: identity.hash });
    if (typeof chat.open === "function") chat.open(); // the claims are sent once the chat connects
    answer.then(function (res) {
      if (res && res.verified) {
        status.textContent = "Signed in as " + identity.name + ". " + identity.story;
        button.textContent = "Signed in as " + identity.name;
      } else {
        status.textContent = "The sign-in was not verified; the chat goes on as an anonymous visitor.";
        button.disabled = false;
      }
    }).catch(function () {
      status.textContent = "The sign-in failed; try again.";
      button.disabled = false;
    });
  });
})();
