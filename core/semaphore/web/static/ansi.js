// ANSI escape codes of a log line turned into styled segments: SGR colours (30-37, 90-97, 40-47,
// 100-107, 256 colours and truecolor mapped to the nearest of the 16), bold, dim, italic,
// underline and reset, as CSS classes (.ansi-fg-1, .ansi-bold, ...): the CSP forbids inline styles.
// Every other escape sequence (cursor moves, titles) is dropped. Each line starts unstyled.

// CSI ... final byte, OSC ... BEL/ST, and two-byte escapes: as the server's strip_ansi.
const ESCAPE = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

// The 16 colours in the xterm palette, for mapping 256-colour and RGB values to the nearest one.
const PALETTE = [
  [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229],
  [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255],
];

function nearest(r, g, b) {
  let best = 0;
  let bestDistance = Infinity;
  PALETTE.forEach(([pr, pg, pb], index) => {
    const distance = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [index, distance];
  });
  return best;
}

function color256(n) {
  if (n < 16) return n;
  if (n >= 232) {
    const level = 8 + (n - 232) * 10;
    return nearest(level, level, level);
  }
  const cube = n - 16;
  const step = (value) => (value === 0 ? 0 : 55 + value * 40);
  return nearest(step(Math.floor(cube / 36)), step(Math.floor(cube / 6) % 6), step(cube % 6));
}

function applySgr(state, params) {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((code) => Number(code) || 0);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) Object.assign(state, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
    else if (code === 1) state.bold = true;
    else if (code === 2) state.dim = true;
    else if (code === 3) state.italic = true;
    else if (code === 4) state.underline = true;
    else if (code === 22) state.bold = state.dim = false;
    else if (code === 23) state.italic = false;
    else if (code === 24) state.underline = false;
    else if (code >= 30 && code <= 37) state.fg = code - 30;
    else if (code >= 90 && code <= 97) state.fg = code - 90 + 8;
    else if (code === 39) state.fg = null;
    else if (code >= 40 && code <= 47) state.bg = code - 40;
    else if (code >= 100 && code <= 107) state.bg = code - 100 + 8;
    else if (code === 49) state.bg = null;
    else if (code === 38 || code === 48) {
      let value = null;
      if (codes[i + 1] === 5) {
        value = color256(codes[i + 2] ?? 0);
        i += 2;
      } else if (codes[i + 1] === 2) {
        value = nearest(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      }
      if (code === 38) state.fg = value;
      else state.bg = value;
    }
  }
}

function classesOf(state) {
  const classes = [];
  if (state.fg !== null) classes.push(`ansi-fg-${state.fg}`);
  if (state.bg !== null) classes.push(`ansi-bg-${state.bg}`);
  if (state.bold) classes.push("ansi-bold");
  if (state.dim) classes.push("ansi-dim");
  if (state.italic) classes.push("ansi-italic");
  if (state.underline) classes.push("ansi-underline");
  return classes.join(" ");
}

// [{text, className}] for one line; className is "" for unstyled text.
export function parseAnsi(line) {
  if (!line.includes("\x1b")) return [{ text: line, className: "" }];
  const segments = [];
  const state = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
  let last = 0;
  for (const match of line.matchAll(ESCAPE)) {
    if (match.index > last) segments.push({ text: line.slice(last, match.index), className: classesOf(state) });
    if (match[2] === "m") applySgr(state, match[1]);
    last = match.index + match[0].length;
  }
  if (last < line.length) segments.push({ text: line.slice(last), className: classesOf(state) });
  return segments;
}

export function stripAnsi(line) {
  return line.includes("\x1b") ? line.replace(ESCAPE, "") : line;
}
