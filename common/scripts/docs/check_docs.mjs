// The docs check: renders every ```mermaid block of the given markdown files with mermaid 11 (the
// version the forges use to draw them) and parses every given SVG file as XML, in one headless
// browser. A failure names the file, the block (its first line) and mermaid's own message.
//
// Usage: node check_docs.mjs [--browser PATH] [--png-dir DIR] FILE.md ... FILE.svg ...
// Run it through common/scripts/check_docs.sh, which lists the tracked files and installs what
// this needs.
import { readFileSync, writeFileSync } from "node:fs";
import puppeteer from "puppeteer";
import { renderMermaid } from "@mermaid-js/mermaid-cli";

const args = process.argv.slice(2);
let browserPath = "/usr/bin/chromium";
let pngDir = null; // --png-dir DIR: also save each diagram as a picture, to look at
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--browser") browserPath = args[++i];
  else if (args[i] === "--png-dir") pngDir = args[++i];
  else files.push(args[i]);
}

// A fenced block starts with a line that is exactly ```mermaid (after indentation) and ends at
// the next line that is only ``` : the same rule the forges apply.
function mermaidBlocks(text) {
  const blocks = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```mermaid") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    blocks.push({ line: start, source: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

const browser = await puppeteer.launch({
  executablePath: browserPath,
  headless: true,
  // The flags a root user in a container needs, and none that reach the network.
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"],
});

let diagrams = 0;
let svgs = 0;
const failures = [];
try {
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".svg")) {
      svgs++;
      const page = await browser.newPage();
      const problem = await page.evaluate((svg) => {
        const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
        const err = doc.getElementsByTagName("parsererror")[0];
        if (err) return err.textContent;
        if (doc.documentElement.nodeName !== "svg") return "the root element is not <svg>";
        return null;
      }, text);
      await page.close();
      if (problem) failures.push(`${file}: not well-formed SVG: ${problem.trim()}`);
      continue;
    }
    for (const block of mermaidBlocks(text)) {
      diagrams++;
      try {
        // Mermaid reports a syntax error by throwing; with suppressErrorRendering it does not
        // draw its "syntax error" picture instead, which would count as a successful render.
        const options = { mermaidConfig: { suppressErrorRendering: true } };
        await renderMermaid(browser, block.source, "svg", options);
        if (pngDir) {
          const { data } = await renderMermaid(browser, block.source, "png", options);
          const name = `${file.replaceAll("/", "_")}_line${block.line}.png`;
          writeFileSync(`${pngDir}/${name}`, data);
        }
      } catch (e) {
        // Mermaid's message: the parse error, the offending text and a caret; its list of
        // expected tokens is cut short and its stack trace dropped.
        const message = String(e && e.message ? e.message : e)
          .split("\n")
          .filter((l) => !/^\s+at |Parser\.parseError/.test(l))
          .slice(0, 4)
          .map((l) => (l.length > 160 ? l.slice(0, 157) + "..." : l))
          .join("\n    ");
        failures.push(`${file}:${block.line}: mermaid block starting at line ${block.line} ` +
                      `does not render:\n    ${message}`);
      }
    }
  }
} finally {
  await browser.close();
}

for (const f of failures) console.error(`error: docs: ${f}`);
console.log(`docs check: ${diagrams} mermaid diagrams in ${files.filter((f) => f.endsWith(".md")).length} ` +
            `markdown files, ${svgs} SVG files, ${failures.length} failing`);
process.exit(failures.length ? 1 : 0);
