// Message text as the person wrote it, made safe: plain text nodes only, links (http and https)
// clickable and opened without handing this page over, `inline code` in a code element. Line
// breaks are kept by the stylesheet (white-space: pre-wrap). Nothing else of markdown.

const TOKEN = /(`[^`\n]+`)|(https?:\/\/[^\s<>"'`]+)/g;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function renderText(text) {
  const out = document.createDocumentFragment();
  let at = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > at) out.append(text.slice(at, match.index));
    if (match[1]) {
      const code = document.createElement("code");
      code.textContent = match[1].slice(1, -1);
      out.append(code);
      at = match.index + match[0].length;
      continue;
    }
    let url = match[2];
    const tail = (url.match(TRAILING) || [""])[0]; // "see https://x.org." ends before the dot
    url = url.slice(0, url.length - tail.length);
    let safe = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") safe = parsed.href;
    } catch { /* not a URL after all: text */ }
    if (safe) {
      const a = document.createElement("a");
      a.href = safe;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      out.append(a);
    } else {
      out.append(url);
    }
    at = match.index + url.length;
  }
  if (at < text.length) out.append(text.slice(at));
  return out;
}

export function timeOf(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function dayOf(iso) {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return "Today";
  if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
  return d.toLocaleDateString([], { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

// A link's preview as the server read it: text only (the page's image is not loaded: this
// page's policy lets images come from its own API alone, and the site would see the reader).
export function previewCard(p) {
  let href = null;
  try {
    const parsed = new URL(p.url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
  } catch { /* not a URL: no link */ }
  const card = document.createElement(href ? "a" : "div");
  card.className = "preview";
  card.setAttribute("data-testid", "link-preview");
  if (href) { card.href = href; card.target = "_blank"; card.rel = "noopener noreferrer"; }
  for (const [cls, text] of [["site", p.site_name], ["title", p.title], ["description", p.description]]) {
    if (!text) continue;
    const line = document.createElement("div");
    line.className = `preview-${cls}`;
    line.textContent = text;
    card.append(line);
  }
  return card;
}
