// Replaces GOV.UK Frontend's inline script (our Content-Security-Policy allows no inline script).
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
import("/static/build/govuk-frontend.min.js").then(({ initAll }) => initAll());

// Long forms (data-warn-unsaved) ask before the page is left with changes not yet saved. Without
// JavaScript nothing is lost either: every button on such a form saves what is above it.
for (const form of document.querySelectorAll("form[data-warn-unsaved]")) {
  let changed = false;
  const mark = () => { changed = true; };
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form.addEventListener("submit", () => { changed = false; });
  window.addEventListener("beforeunload", (event) => {
    if (changed) {
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show their own "leave site?" question
    }
  });
}
