// Search over every conversation one is in (the server's full-text search): results with
// their snippet, a click opens the message in its conversation.
import { openConversation, title } from "./conversations.js";
import { dayOf, timeOf } from "./format.js";
import { jumpTo } from "./messages.js";
import { $, ctx, displayName, el, guarded, state } from "./state.js";

// The server's snippet is HTML (the text escaped, matches in <mark>): read in an inert
// document and rebuilt from its text and marks only, so nothing else could ever get in.
function snippetView(html) {
  const out = el("div", "snippet");
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  for (const node of doc.body.childNodes) {
    if (node.nodeName === "MARK") out.append(el("mark", "", node.textContent));
    else out.append(node.textContent);
  }
  return out;
}

async function search(q) {
  const { messages } = await ctx.api.call("GET", `/api/search?q=${encodeURIComponent(q)}&limit=30`);
  const items = messages.map((m) => {
    const item = el("li");
    item.setAttribute("data-testid", "search-result");
    const conv = state.conversations.get(m.conversation_id);
    const where = `${conv ? title(conv) : "?"} · ${displayName(m.sender_id)} · ${dayOf(m.created_at)} ${timeOf(m.created_at)}`;
    item.append(el("div", "where", where), snippetView(m.snippet));
    item.addEventListener("click", guarded(async () => {
      $("#search-results").hidden = true;
      await openConversation(m.conversation_id);
      await jumpTo(m.conversation_id, m.id, m.seq);
    }));
    return item;
  });
  if (!items.length) items.push(el("li", "none", "nothing found"));
  $("#search-results").replaceChildren(...items);
  $("#search-results").hidden = false;
}

export function wireSearch() {
  $("#search").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const q = $("#search-input").value.trim();
    if (q) await search(q);
  }));
  $("#search-input").addEventListener("input", () => {
    if (!$("#search-input").value) $("#search-results").hidden = true;
  });
}
