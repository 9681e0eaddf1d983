// The top bar's menu button: below ~900 px (a phone, or the desk at 200 % zoom) the navigation,
// the desk's status and Sign out fold behind it. The button is a disclosure (aria-expanded);
// Escape closes the menu and gives the focus back to the button.
"use strict";

(() => {
  const button = document.querySelector(".menu-toggle");
  const bar = document.querySelector(".topbar");
  if (!button || !bar) return;
  const narrow = window.matchMedia("(max-width: 900px)");
  function show(open) {
    button.setAttribute("aria-expanded", String(open));
    bar.classList.toggle("open", open);
  }
  button.hidden = false;
  bar.classList.add("has-menu");
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  bar.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && narrow.matches && bar.classList.contains("open")) {
      e.stopPropagation();
      show(false);
      button.focus();
    }
  });
  narrow.addEventListener("change", () => show(false));
})();
