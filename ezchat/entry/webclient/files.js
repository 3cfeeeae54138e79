// Files in the web client: uploads with their progress (XMLHttpRequest: fetch reports none),
// the files staged in the composer until the message goes, and attachments as people expect
// them: images as thumbnails that open full size, other files as a chip with name and size.

export function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

// POST /api/files with the file as the body; resolves with the File, rejects with an Error
// carrying the server's message and status (0: the server could not be reached).
export function uploadFile(api, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const name = encodeURIComponent(file.name || "pasted");
    xhr.open("POST", `${api.base}/api/files?name=${name}`);
    if (api.token) xhr.setRequestHeader("Authorization", `Bearer ${api.token}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON: a proxy's page */ }
      if (xhr.status === 201 && data) { onProgress(1); resolve(data); return; }
      const err = new Error((data && data.error && data.error.message) || `upload failed (${xhr.status})`);
      err.status = xhr.status;
      reject(err);
    };
    xhr.onerror = () => {
      const err = new Error("cannot reach the server to upload");
      err.status = 0;
      reject(err);
    };
    xhr.send(file);
  });
}

// A file's link, absolute: the API may be on another origin than the page.
function absolute(url, base) {
  return new URL(url, base || window.location.origin).toString();
}

export function attachmentView(a, base) {
  const url = absolute(a.url, base);
  if (a.thumbnail_url) {
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.className = "image";
    link.setAttribute("data-testid", "attachment");
    link.dataset.kind = "image";
    const img = document.createElement("img");
    img.src = absolute(a.thumbnail_url, base);
    img.alt = a.name;
    img.loading = "lazy";
    if (a.width && a.height) {
      const scale = Math.min(1, 320 / Math.max(a.width, a.height));
      img.width = Math.max(1, Math.round(a.width * scale));
      img.height = Math.max(1, Math.round(a.height * scale));
    }
    link.append(img);
    return link;
  }
  const chip = document.createElement("a");
  chip.className = "file-chip";
  chip.setAttribute("data-testid", "attachment");
  chip.dataset.kind = "file";
  chip.href = url;
  chip.rel = "noopener noreferrer";
  if (a.file_id) chip.download = a.name; else chip.target = "_blank";
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = a.name;
  const size = document.createElement("span");
  size.className = "file-size";
  size.textContent = humanSize(a.size);
  chip.append("📎 ", name, " ", size);
  return chip;
}

// What a conversation's list entry shows for a message with no text.
export function attachmentsSummary(attachments) {
  if (!attachments.length) return "";
  const first = attachments[0].name;
  return attachments.length === 1 ? `📎 ${first}` : `📎 ${first} +${attachments.length - 1}`;
}

// Files chosen for the next message: each starts uploading at once; the message goes when
// every one is up (or says which failed). ``render`` is called whenever something changes.
export class Staged {
  constructor(api, render) {
    this.api = api;
    this.render = render;
    this.items = []; // {key, name, size, progress, file, error, done: Promise}
    this.nextKey = 1;
  }

  add(files) {
    for (const file of files) {
      const item = { key: this.nextKey++, name: file.name || "pasted image", size: file.size, progress: 0, file: null, error: null };
      item.done = uploadFile(this.api, file, (p) => { item.progress = p; this.render(); })
        .then((f) => { item.file = f; this.render(); return f; })
        .catch((err) => { item.error = err; this.render(); throw err; });
      item.done.catch(() => {});
      this.items.push(item);
    }
    this.render();
  }

  remove(key) {
    this.items = this.items.filter((i) => i.key !== key);
    this.render();
  }

  get empty() { return this.items.length === 0; }

  // The attachments to send ({file_id}), once every upload is done; an upload that failed
  // stops the send and stays shown with its error.
  async take() {
    const items = [...this.items];
    await Promise.all(items.map((i) => i.done));
    this.items = this.items.filter((i) => !items.includes(i));
    this.render();
    return items.map((i) => ({ file_id: i.file.id, name: i.name }));
  }

  view() {
    const out = [];
    for (const item of this.items) {
      const row = document.createElement("li");
      row.setAttribute("data-testid", "staged-file");
      row.className = item.error ? "failed" : (item.file ? "uploaded" : "uploading");
      const label = document.createElement("span");
      label.textContent = `${item.name} (${humanSize(item.size)}) `;
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = item.progress;
      bar.setAttribute("data-testid", "upload-progress");
      row.append(label, bar);
      if (item.error) row.append(` ${item.error.message}`);
      const drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = "✕";
      drop.title = "remove";
      drop.addEventListener("click", () => this.remove(item.key));
      row.append(drop);
      out.push(row);
    }
    return out;
  }
}
