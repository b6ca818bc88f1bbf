// Replaces GOV.UK Frontend's inline script (our Content-Security-Policy allows no inline script).
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
import("/static/build/govuk-frontend.min.js").then(({ initAll }) => initAll());
