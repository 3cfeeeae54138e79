// Edit history: "edited" under a message opens the texts its edits replaced, oldest first.
import { timeOf } from "./format.js";
import { button, ctx, el } from "./state.js";

export function editedButton(m) {
  const open = button("(edited)", async () => {
    const item = open.closest("li");
    const shown = item.querySelector(".versions");
    if (shown) { shown.remove(); return; }
    const { versions } = await ctx.api.call(
      "GET", `/api/conversations/${encodeURIComponent(m.conversation_id)}/messages/${encodeURIComponent(m.id)}/history`);
    const list = el("ol", "versions");
    list.setAttribute("data-testid", "versions");
    for (const v of versions) {
      const entry = el("li");
      entry.append(el("span", "when", v.edited_at ? timeOf(v.edited_at) : "first"), " ", v.text);
      list.append(entry);
    }
    item.querySelector(".meta").before(list);
  }, "edited-open");
  open.className = "edited";
  open.title = `edited ${new Date(m.edited_at).toLocaleString()}: show earlier versions`;
  return open;
}
