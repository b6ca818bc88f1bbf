// Builds static/build/: our Sass on top of GOV.UK Frontend (Arial, no GDS Transport), the
// GOV.UK Frontend JavaScript, and a manifest of content hashes used for cache-busting URLs.
import * as sass from "sass";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, copyFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "build");
mkdirSync(out, { recursive: true });

const css = sass.compile(join(root, "static", "src", "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "app.css"), css.css);

const govukJs = join(root, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js");
copyFileSync(govukJs, join(out, "govuk-frontend.min.js"));

const manifest = {};
for (const name of ["app.css", "govuk-frontend.min.js"]) {
  manifest[name] = createHash("sha256").update(readFileSync(join(out, name))).digest("hex").slice(0, 12);
}
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
console.log("built static/build:", Object.keys(manifest).join(", "));
