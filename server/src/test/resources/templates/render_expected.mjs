// Renders every template in this folder against every conversation in cases.json with
// @huggingface/jinja (the Jinja engine of transformers.js), the reference the Java tests compare to.
//
// Regenerate after changing a template or cases.json (run from this folder):
//   node render_expected.mjs /tmp/tjs/node_modules/@huggingface/jinja
// Writes expected/<template>/<conversation>.txt, or <conversation>.error.txt holding the
// message when the reference throws (for example raise_exception).
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const jinjaDir = process.argv[2];
if (!jinjaDir) {
  console.error("usage: node render_expected.mjs <path to node_modules/@huggingface/jinja>");
  process.exit(2);
}
const { Template } = await import(pathToFileURL(join(jinjaDir, "dist", "index.js")).href);

const here = dirname(fileURLToPath(import.meta.url));
const cases = JSON.parse(readFileSync(join(here, "cases.json"), "utf8"));
rmSync(join(here, "expected"), { recursive: true, force: true });

for (const [name, specialTokens] of Object.entries(cases.templates)) {
  const template = new Template(readFileSync(join(here, `${name}.jinja`), "utf8"));
  const outDir = join(here, "expected", name);
  mkdirSync(outDir, { recursive: true });
  for (const conversation of cases.conversations) {
    const context = {
      ...specialTokens,
      ...(conversation.extra ?? {}),
      messages: conversation.messages,
      add_generation_prompt: conversation.add_generation_prompt,
    };
    try {
      writeFileSync(join(outDir, `${conversation.name}.txt`), template.render(context));
    } catch (error) {
      writeFileSync(join(outDir, `${conversation.name}.error.txt`), error.message);
    }
  }
}
