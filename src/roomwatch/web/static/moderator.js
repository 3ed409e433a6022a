// Moderator view: flagged verdicts (abuse, spam, grievance) as they arrive.
import { Channel, el, clock } from "/static/rw.js";

const MAX_ROWS = 500;
const list = document.getElementById("flags");
const status = document.getElementById("status");
const query = document.getElementById("q");
const boxes = [...document.querySelectorAll(".filters input")];
let pending = [];

function visible(v) {
  const labels = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
  if (!labels.has(v.label)) return false;
  const q = query.value.trim().toLowerCase();
  if (!q) return true;
  const user = (v.user && (v.user.name || v.user.id)) || "";
  return v.text.toLowerCase().includes(q) || String(user).toLowerCase().includes(q);
}

function row(v) {
  const user = v.user ? (v.user.name || v.user.id || "") : "";
  const p = v.scores && v.scores[v.label] !== undefined ? Math.round(v.scores[v.label] * 100) : "";
  const li = el("li", { class: `flag ${v.label}`, dataset: { label: v.label } },
    el("span", { class: "badge" }, v.label, p !== "" ? ` ${p}%` : ""),
    el("span", { class: "room" }, v.room),
    el("span", { class: "user" }, user),
    el("span", { class: "text" }, v.text),
    el("span", { class: "when", title: new Date(v.ts * 1000).toISOString() }, clock(v.ts)),
    el("div", { class: "reasons" }, (v.reasons || []).join(" · ")),
  );
  li.hidden = !visible(v);
  li._verdict = v;
  return li;
}

// Render in batches once per frame and keep the DOM bounded.
function flush() {
  if (pending.length) {
    const frag = document.createDocumentFragment();
    for (const v of pending.slice(-MAX_ROWS).reverse()) frag.append(row(v));
    list.prepend(frag);
    pending = [];
    while (list.childElementCount > MAX_ROWS) list.lastElementChild.remove();
  }
  requestAnimationFrame(flush);
}
requestAnimationFrame(flush);

function refilter() {
  for (const li of list.children) li.hidden = !visible(li._verdict);
}
query.addEventListener("input", refilter);
boxes.forEach((b) => b.addEventListener("change", refilter));

new Channel("moderator", {
  onState: (s) => { status.textContent = s; status.dataset.state = s; },
  onMessage: (msg) => {
    if (msg.type === "hello") {
      list.replaceChildren();
      pending = [];
    } else if (msg.type === "snapshot") {
      pending.push(...msg.verdicts);
    } else if (msg.type === "verdict") {
      pending.push(msg.verdict);
    }
  },
});
