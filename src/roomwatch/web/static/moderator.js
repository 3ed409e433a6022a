// 房管台 — the moderator's live triage dashboard.
// Viewer text only ever enters the page as text nodes (el() from rw.js).
import { Channel, STATE_TEXT, el, token } from "/static/rw.js";

const LABELS = ["question", "grievance", "abuse", "spam", "chatter"];
const LABEL_ZH = { question: "问题", grievance: "不满", abuse: "辱骂", spam: "广告", chatter: "闲聊" };
const ACT_ZH = {
  confirm: "确认", false_positive: "误判", hide: "隐藏", mute: "禁言", ban: "封禁",
  ignore: "忽略", undo: "撤销", unhide: "取消隐藏", unmute: "解除禁言", unban: "解封",
};
const STATUS_ZH = { done: "完成", pending: "发送中", sent: "已发送", failed: "失败", undone: "已撤销" };
const MAX_ROWS = 300;      // stream rows in the DOM while paused (scroll back through them)
const LIVE_ROWS = 60;      // stream rows in the DOM while live (more than the panel shows)
const PER_FRAME = 20;      // rows added per stream update: a burst scrolls in over a few
const STREAM_EVERY_MS = 100;   // stream updates at most 10 times a second: readable, and
                               // the browser isn't repainting a moving list 60 times a second
const QUEUE_EVERY_MS = 250;    // arrivals/evictions redraw the queue at most 4 times a second;
                               // the moderator's own moves and actions redraw at once
const BACKLOG = 120;       // rows waiting to scroll in; beyond that the oldest are skipped
                           // (they stay in the ring: pause or filter to see every one)
const RING = 2000;         // comments kept for re-filtering
const MAX_AUDIT = 100;
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

const state = {
  me: "", canAct: false, config: { raid_window_s: 60, series_bucket_s: 10, series_minutes: 30 },
  rooms: new Map(),            // room -> {rate, mood, total, chip}
  selectedRooms: new Set(),    // empty = all
  ring: [], fresh: [], rebuild: true, paused: false, pausedNew: 0,
  labels: new Set(LABELS), query: "",
  queue: new Map(),            // id -> {item, node}
  cursor: null, selected: new Set(), anchor: null,
  series: new Map(),           // room -> Map(start -> bucket)
  decisions: new Map(),        // id -> {d, node}
  myLast: [],                  // my decision ids, newest last
  acted: new Set(),            // stream comments acted on from the stream
  alerts: new Map(),
  moodDirty: true, queueDirty: true, alertsDirty: true,
  frames: 0,
};
window.__rw = state;  // for tests and the benchmark

// A stream row is an array (the hot path): see config.row_fields.
const ID = 0, ROOM = 1, TS = 2, LABEL = 3, USER_ID = 6, USER_NAME = 7, TEXT = 8;

// "08:21:07" of a record ts, without toLocaleTimeString (slow at 2,000 rows/s).
const pad = (n) => (n < 10 ? "0" : "") + n;
function clock(ts) {
  const d = new Date(ts * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function roomVisible(room) { return state.selectedRooms.size === 0 || state.selectedRooms.has(room); }
function uname(u) { return (u && (u.name || u.id)) || "?"; }
function pct(p) { return `${Math.round((p || 0) * 100)}%`; }

// ---------------------------------------------------------------- toast
let toastTimer = 0;
function toast(text, kind = "") {
  const t = $("toast");
  t.textContent = text;
  t.dataset.kind = kind;
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 3500);
}

// ---------------------------------------------------------------- rooms
function moodClass(m) {
  if (m === null || m === undefined) return "mood-none";
  return m < -0.25 ? "mood-bad" : m > 0.15 ? "mood-good" : "mood-ok";
}
function room(name) {
  let r = state.rooms.get(name);
  if (!r) {
    const rate = el("span", { class: "r-rate" }, "0/s");
    const mood = el("span", { class: "r-mood mood-none" }, "–");
    const chip = el("button", { type: "button", class: "room-chip", "aria-pressed": "false",
      title: name, dataset: { room: name } }, el("span", { class: "r-name" }, name), rate, mood);
    chip.addEventListener("click", (ev) => toggleRoom(name, ev.shiftKey || ev.ctrlKey || ev.metaKey));
    r = { rate: 0, mood: null, total: 0, chip, rateNode: rate, moodNode: mood };
    state.rooms.set(name, r);
    const chips = [...state.rooms.keys()].sort();
    $("rooms").replaceChildren(...chips.map((n) => state.rooms.get(n).chip));
  }
  return r;
}
function setRoomStats(name, s) {
  const r = room(name);
  r.rate = s.rate || 0; r.mood = s.mood; r.total = s.total || 0;
  r.rateNode.textContent = `${r.rate.toFixed(1)}/s`;
  r.moodNode.textContent = s.mood === null || s.mood === undefined ? "–" : (s.mood >= 0 ? "+" : "") + s.mood.toFixed(2);
  r.moodNode.className = `r-mood ${moodClass(s.mood)}`;
  let total = 0;
  for (const [n, x] of state.rooms) if (roomVisible(n)) total += x.rate;
  $("rate").textContent = `${total.toFixed(1)} 条/秒`;
}
function toggleRoom(name, multi) {
  if (!multi) {
    const only = state.selectedRooms.size === 1 && state.selectedRooms.has(name);
    state.selectedRooms.clear();
    if (!only) state.selectedRooms.add(name);
  } else if (state.selectedRooms.has(name)) state.selectedRooms.delete(name);
  else state.selectedRooms.add(name);
  for (const [n, r] of state.rooms) r.chip.setAttribute("aria-pressed", String(state.selectedRooms.has(n)));
  state.rebuild = true; state.moodDirty = true; state.queueDirty = true; state.alertsDirty = true;
}

// ---------------------------------------------------------------- live stream
const streamList = $("stream");
function matches(c) {
  if (!state.labels.has(c[LABEL]) || !roomVisible(c[ROOM])) return false;
  const q = state.query;
  if (!q) return true;
  return c[TEXT].toLowerCase().includes(q) || String(c[USER_NAME] || "").toLowerCase().includes(q)
    || String(c[USER_ID] || "").toLowerCase().includes(q);
}
function streamRow(c) {
  const label = c[LABEL];
  const li = document.createElement("li");
  li.className = `row ${label}`;
  li.dataset.id = c[ID];
  li.dataset.label = label;
  li.dataset.room = c[ROOM];
  if (c[USER_ID]) li.dataset.user = c[USER_ID];
  if (state.acted.has(c[ID])) li.classList.add("acted");
  li.append(
    el("span", { class: "t" }, clock(c[TS])),
    el("span", { class: "tag" }, LABEL_ZH[label] || label),
    state.rooms.size > 1 ? el("span", { class: "rm" }, c[ROOM]) : "",
    el("bdi", { class: "u" }, c[USER_NAME] || c[USER_ID] || "?"),
    el("bdi", { class: "x" }, c[TEXT]));
  return li;
}
function addComments(rows) {
  for (const c of rows) {
    state.ring.push(c);
    if (state.paused && matches(c)) state.pausedNew++;
  }
  if (state.ring.length > RING * 1.5) state.ring.splice(0, state.ring.length - RING);
  if (!state.rebuild) {
    for (const c of rows) state.fresh.push(c);
    if (state.fresh.length > BACKLOG * 4) state.fresh.splice(0, state.fresh.length - BACKLOG);
  }
}
let streamAt = 0;
function renderStream(now) {
  if (!state.rebuild && now - streamAt < STREAM_EVERY_MS) return;
  streamAt = now;
  if (state.paused) {
    // Say how many matching comments arrived since the pause, without drawing them.
    pausedNew.textContent = state.pausedNew ? ` · ${state.pausedNew} 条新评论 new` : "";
    if (!state.pausedFull) {
      // Paused: show the last MAX_ROWS matching comments to scroll through.
      state.pausedFull = true;
      state.rebuild = true;
    }
    if (!state.rebuild) return;
  }
  if (state.rebuild) {
    const out = [];
    const limit = state.paused ? MAX_ROWS : LIVE_ROWS;
    for (let i = state.ring.length - 1; i >= 0 && out.length < limit; i--) {
      if (matches(state.ring[i])) out.push(streamRow(state.ring[i]));
    }
    streamList.replaceChildren(...out);
    state.rebuild = false; state.fresh = [];
    return;
  }
  if (!state.fresh.length) return;
  const fresh = state.fresh;
  if (fresh.length > BACKLOG) fresh.splice(0, fresh.length - BACKLOG);
  // Oldest waiting rows first, newest on top.
  const rows = [];
  let taken = 0;
  while (taken < fresh.length && rows.length < PER_FRAME) {
    const c = fresh[taken++];
    if (matches(c)) rows.push(streamRow(c));
  }
  fresh.splice(0, taken);
  if (rows.length) {
    rows.reverse();
    const frag = document.createDocumentFragment();
    frag.append(...rows);
    streamList.prepend(frag);
  }
  let extra = streamList.childElementCount - LIVE_ROWS;
  while (extra-- > 0) streamList.lastElementChild.remove();
}
streamList.addEventListener("mouseenter", () => setPaused(true));

// A comment the model let through: click its row to hide it, or to mute or ban
// its writer (the action names the writer; docs/moderation.md). What it was
// (insult or ad) goes with the action and becomes a training example
// ("missed" feedback); "other" acts without one, and is what a question or a
// grievance starts at (a complaint hidden is not an insult to learn).
const rowMenu = el("div", { class: "rowmenu", role: "menu", "aria-label": "act on this comment" });
rowMenu.hidden = true;
document.body.append(rowMenu);
function closeRowMenu() { rowMenu.hidden = true; rowMenu.replaceChildren(); }
streamList.addEventListener("click", (ev) => {
  const li = ev.target.closest("li.row");
  if (!li || !state.canAct || !li.dataset.user) return;
  const target = { room: li.dataset.room, id: li.dataset.id, user: li.dataset.user };
  const text = li.querySelector(".x")?.textContent || "";
  const who = li.querySelector(".u")?.textContent || target.user;
  const reasons = el("fieldset", { class: "why" }, el("legend", {}, "这是 what is it"));
  for (const [value, text] of [["abuse", "辱骂 insult"], ["spam", "广告 ad"], ["", "其他 other"]]) {
    const input = el("input", { type: "radio", name: "why", value });
    const said = li.dataset.label;
    if (value === (said === "question" || said === "grievance" ? "" : "abuse")) input.checked = true;
    reasons.append(el("label", {}, input, text));
  }
  const go = (action, extra = {}) => async () => {
    const why = reasons.querySelector("input:checked")?.value || "";
    closeRowMenu();
    const body = { room: target.room, ids: [target.id], user: target.user, ...extra };
    if (why) body.label = why;
    if (await decide(action, body, () => who)) {
      state.acted.add(target.id);
      // (the row clicked may have been redrawn since: mark the one shown)
      for (const n of streamList.querySelectorAll(`li.row[data-id="${CSS.escape(target.id)}"]`)) {
        n.classList.add("acted");
      }
    }
  };
  const ban = el("button", { type: "button", class: "danger" }, "封禁 ban");
  ban.addEventListener("click", () => {
    if (ban.dataset.armed) return go("ban")();
    ban.dataset.armed = "1";
    ban.textContent = `再点一次封禁 ${who} · click again`;
  });
  const hide = el("button", { type: "button" }, "隐藏 hide");
  hide.addEventListener("click", go("hide"));
  const mute = el("button", { type: "button" }, "禁言 10 分钟 mute");
  mute.addEventListener("click", go("mute", { duration_s: 600 }));
  const close = el("button", { type: "button", class: "close", "aria-label": "close" }, "×");
  close.addEventListener("click", closeRowMenu);
  rowMenu.replaceChildren(
    el("p", { class: "what" }, el("bdi", {}, who), "：", el("bdi", {}, text)),
    reasons, hide, mute, ban, close);
  const box = li.getBoundingClientRect();
  rowMenu.style.top = `${Math.min(box.bottom + 2, window.innerHeight - 120)}px`;
  rowMenu.style.left = `${Math.max(4, Math.min(box.left + 40, window.innerWidth - 440))}px`;
  rowMenu.hidden = false;
  hide.focus();
});
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && !rowMenu.hidden) closeRowMenu(); });
document.addEventListener("click", (ev) => {
  if (!rowMenu.hidden && !rowMenu.contains(ev.target) && !streamList.contains(ev.target)) closeRowMenu();
});
streamList.addEventListener("mouseleave", () => setPaused(false));
const pausedNew = $("paused-new");
function setPaused(p) {
  state.paused = p;
  state.pausedFull = false;
  state.pausedNew = 0;
  pausedNew.textContent = "";
  $("paused").hidden = !p;
  if (!p) state.rebuild = true;
}
for (const b of document.querySelectorAll(".filters .lbl")) {
  b.addEventListener("click", () => {
    const l = b.dataset.label;
    if (state.labels.has(l)) state.labels.delete(l); else state.labels.add(l);
    b.setAttribute("aria-pressed", String(state.labels.has(l)));
    state.rebuild = true;
  });
}
$("stream-q").addEventListener("input", (ev) => { state.query = ev.target.value.trim().toLowerCase(); state.rebuild = true; });

// ---------------------------------------------------------------- review queue
const queueList = $("queue");
function queueRow(it) {
  const li = el("li", { class: `qi ${it.label}`, tabindex: "-1", dataset: { id: it.id, label: it.label, room: it.room } },
    el("input", { type: "checkbox", class: "sel", "aria-label": "select", tabindex: "-1" }),
    el("span", { class: "tag" }, `${LABEL_ZH[it.label] || it.label} ${pct(it.p)}`),
    el("bdi", { class: "u" }, uname(it.user)),
    el("span", { class: "t" }, clock(it.ts)),
    el("bdi", { class: "x" }, it.text),
    el("div", { class: "why" }, (it.reasons || []).join(" · ") || "—"));
  li.addEventListener("click", (ev) => {
    if (ev.shiftKey && state.anchor) selectRange(state.anchor, it.id);
    else if (ev.target.classList.contains("sel") || ev.ctrlKey || ev.metaKey) toggleSelect(it.id);
    setCursor(it.id, !ev.shiftKey);
  });
  return li;
}
function addReview(items, urgent = false) {
  for (const it of items) {
    if (state.queue.has(it.id)) continue;
    state.queue.set(it.id, { item: it, node: null });  // the row is built when first shown
  }
  if (urgent) state.queueDirty = true; else state.queueStale = true;
}
function removeReview(removed, urgent = false) {
  for (const r of removed) {
    const q = state.queue.get(r.id);
    if (!q) continue;
    if (state.cursor === r.id) {
      if (r.reason === "evicted") state.cursor = null;  // back to the top
      else {
        // decided: move on to the next item, as a keyboard user expects
        const order = visibleQueue();
        const i = order.indexOf(r.id);
        state.cursor = order[i + 1] || order[i - 1] || null;
      }
    }
    state.selected.delete(r.id);
    if (q.node) q.node.remove();
    state.queue.delete(r.id);
  }
  if (urgent) state.queueDirty = true; else state.queueStale = true;
}
// Newest first (arrival order, reversed; an undone item comes back on top).
function visibleQueue(limit = Infinity) {
  const ids = [...state.queue.keys()];
  const out = [];
  for (let i = ids.length - 1; i >= 0 && out.length < limit; i--) {
    if (roomVisible(state.queue.get(ids[i]).item.room)) out.push(ids[i]);
  }
  return out;
}
function visibleCount() {
  if (state.selectedRooms.size === 0) return state.queue.size;
  let n = 0;
  for (const q of state.queue.values()) if (roomVisible(q.item.room)) n++;
  return n;
}
const QUEUE_DOM = 40;       // review rows in the DOM; the rest wait below (j/k pages to them)
let shownCursor = null;
let queueAt = 0;
function renderQueue(now) {
  if (!state.queueDirty && !(state.queueStale && now - queueAt >= QUEUE_EVERY_MS)) return;
  state.queueDirty = false;
  state.queueStale = false;
  queueAt = now;
  if (state.cursor && !state.queue.has(state.cursor)) state.cursor = null;
  let ids = visibleQueue(QUEUE_DOM);
  if (!state.cursor && ids.length) state.cursor = ids[0];
  if (state.cursor && !ids.includes(state.cursor)) {
    // keep the cursor and its neighbours in the DOM when browsing deep
    const all = visibleQueue();
    const i = all.indexOf(state.cursor);
    const from = Math.max(0, i - QUEUE_DOM + 10);
    ids = all.slice(from, from + QUEUE_DOM);
  }
  // Reorder only when needed; nodes are kept (no flicker, no lost focus).
  let prev = null;
  for (const id of ids) {
    const q = state.queue.get(id);
    if (!q.node) q.node = queueRow(q.item);
    const node = q.node;
    const want = prev ? prev.nextSibling : queueList.firstChild;
    if (want !== node) queueList.insertBefore(node, want);
    prev = node;
  }
  if (!prev) queueList.replaceChildren();
  else while (prev.nextSibling) prev.nextSibling.remove();
  for (const id of ids) {
    const node = state.queue.get(id).node;
    const sel = state.selected.has(id);
    if (node.classList.contains("selected") !== sel) { node.classList.toggle("selected", sel); node.firstChild.checked = sel; }
  }
  if (shownCursor !== state.cursor) {
    const old = shownCursor && state.queue.get(shownCursor);
    if (old && old.node) old.node.classList.remove("cursor");
    const cur = state.cursor && state.queue.get(state.cursor);
    if (cur && cur.node) cur.node.classList.add("cursor");
    shownCursor = state.cursor;
  }
  $("queue-count").textContent = String(visibleCount());
  const sc = $("sel-count");
  sc.hidden = state.selected.size === 0;
  sc.textContent = `已选 ${state.selected.size}`;
  renderDetail();
}
let detailFor = null;
function renderDetail() {
  const box = $("detail");
  const q = state.cursor && state.queue.get(state.cursor);
  if (!q) { box.replaceChildren(el("p", { class: "hint" }, "队列为空 · nothing to review")); detailFor = null; return; }
  if (detailFor === q.item.id) return;
  detailFor = q.item.id;
  const it = q.item;
  const scores = Object.entries(it.scores || {}).sort((a, b) => b[1] - a[1])
    .map(([l, p]) => el("span", { class: `sc ${l}` }, `${LABEL_ZH[l] || l} ${pct(p)}`));
  const recent = (it.recent || []).map((c) =>
    el("li", { class: c.label }, el("span", { class: "t" }, clock(c.ts)), " ",
      el("span", { class: "tag" }, LABEL_ZH[c.label] || c.label), " ", el("bdi", {}, c.text)));
  const hist = el("ol", { class: "hist" }, el("li", { class: "hint" }, "…"));
  box.replaceChildren(
    el("div", { class: `d-head ${it.label}` }, el("span", { class: "tag" }, `${LABEL_ZH[it.label]} ${pct(it.p)}`),
      " ", el("bdi", { class: "u" }, uname(it.user)), it.user && it.user.level ? el("span", { class: "lv" }, ` Lv${it.user.level}`) : null,
      el("span", { class: "rm" }, ` · ${it.room} · ${clock(it.ts)}`)),
    el("p", { class: "d-text" }, el("bdi", {}, it.text)),
    el("div", { class: "d-why", title: (it.reasons || []).join(" · ") },
      el("b", {}, "依据 why: "), readableReasons(it.reasons || []).join(" · ") || "—"),
    el("div", { class: "d-scores" }, ...scores),
    el("h3", {}, "此前发言 · earlier in this room"),
    recent.length ? el("ol", { class: "recent" }, ...recent) : el("p", { class: "hint" }, "无 none"),
    el("h3", {}, "历史处理 · previous actions"),
    hist);
  if (state.canAct && it.user && it.user.id) {
    stream.send("history", { room: it.room, user: it.user.id, before: it.id }).then((r) => {
      if (detailFor !== it.id) return;
      const rows = (r.actions || []).map((a) => el("li", {},
        el("span", { class: "t" }, clock(a.ts)), " ",
        a.type === "feedback" ? `反馈 ${a.kind} → ${a.label}` : `${ACT_ZH[a.action] || a.action} · ${STATUS_ZH[a.status] || a.status}`,
        " · ", el("bdi", {}, a.actor || "")));
      hist.replaceChildren(...(rows.length ? rows : [el("li", { class: "hint" }, "无 none")]));
    });
  }
}
function setCursor(id, anchor = true) {
  state.cursor = id;
  if (anchor) state.anchor = id;
  state.queueDirty = true;
  renderQueue(performance.now());
  const q = state.queue.get(id);
  if (q && q.node) q.node.scrollIntoView({ block: "nearest" });
}
function move(delta) {
  const ids = visibleQueue();
  if (!ids.length) return;
  const i = Math.max(0, ids.indexOf(state.cursor));
  setCursor(ids[Math.min(ids.length - 1, Math.max(0, i + delta))]);
}
function toggleSelect(id) {
  if (state.selected.has(id)) state.selected.delete(id); else state.selected.add(id);
  state.queueDirty = true;
}
function selectRange(a, b) {
  const ids = visibleQueue();
  let i = ids.indexOf(a), j = ids.indexOf(b);
  if (i < 0 || j < 0) return;
  if (i > j) [i, j] = [j, i];
  for (const id of ids.slice(i, j + 1)) state.selected.add(id);
  state.queueDirty = true;
}
function selectRaid() {
  const q = state.cursor && state.queue.get(state.cursor);
  if (!q) return;
  const key = q.item.raid, w = state.config.raid_window_s;
  let n = 0;
  for (const [id, o] of state.queue) {
    if (o.item.room === q.item.room && key && o.item.raid === key && Math.abs(o.item.ts - q.item.ts) <= w) {
      state.selected.add(id); n++;
    }
  }
  state.queueDirty = true;
  renderQueue(performance.now());
  toast(`已选中同文 ${n} 条 · selected ${n} near-identical`);
}
$("raid-btn").addEventListener("click", selectRaid);

async function act(action, extra = {}) {
  if (!state.canAct) { toast("此令牌不能操作 · this token can't act", "error"); return; }
  const ids = state.selected.size ? [...state.selected] : state.cursor ? [state.cursor] : [];
  if (!ids.length) return;
  const byRoom = new Map();
  for (const id of ids) {
    const q = state.queue.get(id);
    if (!q) continue;
    if (!byRoom.has(q.item.room)) byRoom.set(q.item.room, []);
    byRoom.get(q.item.room).push(id);
  }
  state.selected.clear();
  for (const [roomName, roomIds] of byRoom) {
    for (const id of roomIds) { const q = state.queue.get(id); if (q && q.node) q.node.classList.add("acting"); }
    const ok = await decide(action, { room: roomName, ids: roomIds, ...extra }, (d) => `${d.count} 条`);
    if (!ok) {
      for (const id of roomIds) { const q = state.queue.get(id); if (q && q.node) q.node.classList.remove("acting"); }
    }
  }
  state.queueDirty = true;
}
// One decision sent: on success it is mine to undo and shown in the audit;
// the toast names what it took (`what(decision)`) or why it failed.
async function decide(action, body, what) {
  const reply = await stream.send(action, body);
  if (reply.ok) {
    state.myLast.push(reply.decision.id);
    upsertDecision(reply.decision);
    toast(`${ACT_ZH[action]} ${what(reply.decision)} · u 撤销`);
  } else {
    const wait = reply.retry_after ? ` (${reply.retry_after}s)` : "";
    toast(`${ACT_ZH[action] || action} 失败: ${reply.detail || reply.error}${wait}`, "error");
  }
  return reply.ok;
}
async function undo(decisionId) {
  const id = decisionId || [...state.myLast].reverse().find((d) => {
    const x = state.decisions.get(d); return x && !x.d.undone_by && !x.d.undo_of;
  });
  if (!id) { toast("没有可撤销的操作 · nothing to undo"); return; }
  const reply = await stream.send("undo", { decision: id });
  if (reply.ok) { upsertDecision(reply.decision); toast(`已撤销 · undone`); }
  else toast(`撤销失败: ${reply.error}`, "error");
}
for (const b of document.querySelectorAll(".toolbar [data-act]")) {
  b.addEventListener("click", () => {
    const extra = b.dataset.duration ? { duration_s: Number(b.dataset.duration) } : {};
    act(b.dataset.act, extra);
  });
}
$("undo-btn").addEventListener("click", () => undo());

// ---------------------------------------------------------------- audit (decisions)
const auditList = $("audit");
function decisionNode(d) {
  // An undo names what it took back (撤销 禁言), not the decision's id (d-2).
  const undone = d.action === "undo" && state.decisions.get(d.undo_of);
  const what = d.action === "mute" && d.duration_s ? `${ACT_ZH.mute} ${fmtDur(d.duration_s)}` :
    d.action === "undo" ? `撤销 ${undone ? ACT_ZH[undone.d.action] || undone.d.action : "操作"}`
      : ACT_ZH[d.action] || d.action;
  const status = d.undone_by ? "undone" : d.status;
  const first = d.items && d.items[0];
  const undoBtn = !d.undone_by && !d.undo_of && state.canAct
    ? el("button", { type: "button", class: "ghost small undo", onclick: () => undo(d.id) }, "撤销") : null;
  const errors = (d.outbound || []).filter((o) => o.status === "failed").map((o) => o.error).filter(Boolean);
  return el("li", { class: `dec ${d.action}`, dataset: { id: d.id, status } },
    el("span", { class: "t" }, clock(d.ts)), " ",
    el("b", {}, what), d.count > 1 ? ` ×${d.count}` : "", " ",
    el("span", { class: `st st-${status}`, title: errors.join("; ") }, STATUS_ZH[status] || status), " ",
    el("bdi", { class: "who" }, d.actor), " ",
    first ? el("bdi", { class: "x" }, `${uname(first.user)}: ${first.text}`) : null, " ", undoBtn);
}
function fmtDur(s) { return s >= 86400 ? `${s / 86400}天` : s >= 3600 ? `${s / 3600}时` : `${Math.round(s / 60)}分`; }
function upsertDecision(d) {
  const old = state.decisions.get(d.id);
  const node = decisionNode(d);
  if (old) old.node.replaceWith(node);
  else auditList.prepend(node);
  state.decisions.set(d.id, { d, node });
  while (auditList.childElementCount > MAX_AUDIT) {
    const last = auditList.lastElementChild;
    state.decisions.delete(last.dataset.id);
    last.remove();
  }
}
$("export").addEventListener("click", async () => {
  const resp = await fetch("/moderation/audit.csv", { headers: { Authorization: `Bearer ${token()}` } });
  if (!resp.ok) { toast(`导出失败 HTTP ${resp.status}`, "error"); return; }
  const url = URL.createObjectURL(await resp.blob());
  const a = el("a", { href: url, download: "roomwatch-audit.csv" });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
});

// ---------------------------------------------------------------- mood chart (hand-drawn SVG)
const moodSvg = $("mood");
function mergeSeries(name, buckets) {
  let m = state.series.get(name);
  if (!m) { m = new Map(); state.series.set(name, m); }
  for (const b of buckets) m.set(b[0], b);
  const keep = state.config.series_minutes * 60;
  let newest = 0;
  for (const k of m.keys()) newest = Math.max(newest, k);
  for (const k of [...m.keys()]) if (k < newest - keep) m.delete(k);
  state.moodDirty = true;
}
function svg(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}
function renderMood() {
  if (!state.moodDirty) return;
  state.moodDirty = false;
  const step = state.config.series_bucket_s, span = state.config.series_minutes * 60;
  const agg = new Map();
  let newest = 0;
  for (const [name, m] of state.series) {
    if (!roomVisible(name)) continue;
    for (const [k, b] of m) {
      newest = Math.max(newest, k);
      const a = agg.get(k) || [0, 0, 0, 0, 0, 0, 0];
      for (let i = 0; i < 7; i++) a[i] += b[i + 1];
      agg.set(k, a);
    }
  }
  const W = 600, H = 180, top = 8, mid = 120, n = Math.round(span / step), bw = W / n;
  let max = 1;
  for (const a of agg.values()) max = Math.max(max, a[0] + a[1] + a[2] + a[3] + a[4]);
  const paths = LABELS.map(() => []);
  const line = [];
  for (const [k, a] of [...agg.entries()].sort((x, y) => x[0] - y[0])) {
    const x = W - ((newest - k) / step + 1) * bw;
    if (x < -bw) continue;
    let y = mid;
    // stack: abuse and spam at the bottom where they are seen first
    for (const i of [2, 3, 1, 0, 4]) {
      const h = (a[i] / max) * (mid - top);
      if (h > 0) { y -= h; paths[i].push(`M${x.toFixed(1)} ${y.toFixed(1)}h${(bw * 0.85).toFixed(1)}v${h.toFixed(1)}h${(-bw * 0.85).toFixed(1)}z`); }
    }
    if (a[6] > 0) {
      const s = a[5] / a[6];
      line.push(`${line.length ? "L" : "M"}${(x + bw / 2).toFixed(1)} ${(150 - s * 25).toFixed(1)}`);
    }
  }
  const nodes = [
    svg("line", { x1: 0, y1: mid + 0.5, x2: W, y2: mid + 0.5, class: "axis" }),
    svg("line", { x1: 0, y1: 150, x2: W, y2: 150, class: "zero" }),
    ...LABELS.map((l, i) => svg("path", { d: paths[i].join("") || "M0 0", class: `bar ${l}` })),
    svg("path", { d: line.join("") || "M0 150", class: "sentiment" }),
    svg("text", { x: 4, y: 16, class: "lab" }, ),
    svg("text", { x: 4, y: 176, class: "lab" }),
  ];
  nodes[nodes.length - 2].textContent = `峰值 ${max} 条/${step}s`;
  nodes[nodes.length - 1].textContent = "−30 分钟 · 情绪 −1…+1";
  moodSvg.replaceChildren(...nodes);
}

// ---------------------------------------------------------------- reasons
// A verdict's reasons as a 房管 reads them: the evidence named in words, the
// model's own bookkeeping (feature:+lex:…, the n-grams of a term already
// named) left out; the raw reasons stay in the tooltip.
const LIST_ZH = {
  insult: "辱骂词", profanity: "脏话", sexual: "色情词", ad: "广告词", grievance: "投诉词",
  question: "提问词", positive: "正面词", "room-abuse": "本房间屏蔽词", "room-spam": "本房间广告词",
  "room-question": "本房间提问词",
};
const PATTERN_ZH = {
  phone: "电话号码", qq: "QQ号", wechat: "微信号", url: "链接", taokouling: "淘口令", digits: "联系数字",
  cnnum: "中文数字号码", curse: "诅咒", ask_spec: "提问句式", search_id: "搜索号", domain_ad: "网址广告",
};
function readableReasons(reasons) {
  const out = [];
  const named = [];
  for (const r of reasons) {
    const [kind, ...rest] = r.split(":");
    const what = rest.join(":");
    if (kind === "lexicon") {
      const [list, ...term] = what.split(":");
      named.push(term.join(":"));
      out.push(`${LIST_ZH[list] || list}「${term.join(":")}」`);
    } else if (kind === "pattern") {
      const [name, ...text] = what.split(":");
      out.push(`${PATTERN_ZH[name] || name}「${text.join(":")}」`);
    } else if (kind === "norm" && what.startsWith("evasion:")) {
      const [from, to] = what.slice(8).split("→");
      out.push(`变体写法「${from}」即「${to}」`);
    } else if (kind === "target") out.push(`针对「${what}」`);
    else if (kind === "adform") out.push(`广告句式「${what}」`);
    else if (kind === "ask" || kind === "to") out.push(`提问「${what}」`);
    else if (kind === "rhetoric") out.push(`反问/感叹「${what}」`);
    else if (kind === "weak") out.push("证据不足");
    else if (kind === "feature" && !what.startsWith("+lex:") && !what.startsWith("+pat:")) {
      const gram = what.slice(1).replace(/[\^$]/g, "").replace(/ /g, "");
      if (!named.some((t) => t.includes(gram) || gram.includes(t))) out.push(`模型特征「${gram}」`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- alerts
const alertList = $("alerts");
const MAX_ALERTS = 50;
const SEVERITY_TEXT = { critical: "严重", warning: "警告", info: "提示" };
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
const DETECTOR_TEXT = {
  grievance_topic: "集中投诉", negative_spike: "负面情绪激增", abuse_raid: "辱骂/刷屏攻击",
  watchlist: "关注词激增", volume_drop: "弹幕中断", volume_surge: "弹幕激增", system: "系统",
};
// The comments an alert rests on, folded away: comms staff open it to see why.
function alertEvidence(a) {
  const samples = (a.evidence && a.evidence.samples) || [];
  if (!samples.length) return null;
  return el("details", { class: "a-evidence" },
    el("summary", {}, `依据：${samples.length} 条弹幕`),
    el("ul", {}, ...samples.map((s) => el("li", {},
      el("span", { class: "t" }, clock(s.ts || 0)), " ",
      el("span", { class: "lbl" }, LABEL_ZH[s.label] || s.label || ""), " ",
      el("bdi", {}, s.text || "")))));
}
function renderAlerts() {
  if (!state.alertsDirty) return;
  state.alertsDirty = false;
  // Most severe first, then the most recently changed.
  const items = [...state.alerts.values()].filter((a) => a.state !== "resolved" && roomVisible(a.room))
    .sort((a, b) => ((SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3))
      || ((b.updated_at || 0) - (a.updated_at || 0)));
  alertList.replaceChildren(...items.slice(0, MAX_ALERTS).map((a) => el("li", { class: `alert sev-${a.severity} ${a.acked_by ? "acked" : ""}`, dataset: { id: a.id } },
    el("div", { class: "a-head" }, el("b", {}, SEVERITY_TEXT[a.severity] || a.severity || ""), " ",
      el("span", { title: a.detector || "" }, DETECTOR_TEXT[a.detector] || a.detector || ""), " · ",
      el("bdi", {}, a.room || ""), " · ", el("span", { class: "t" }, clock(a.started_at || a.updated_at || 0))),
    el("div", { class: "a-sum" }, el("bdi", {}, a.summary || "")),
    alertEvidence(a),
    a.acked_by ? el("div", { class: "hint" }, "已确认 · ", el("bdi", {}, a.acked_by))
      : el("button", { type: "button", class: "small ack", onclick: () => ackAlert(a.id) }, "确认"))));
  $("alerts-count").textContent = String(items.length);
  $("alerts-empty").hidden = items.length > 0;
}
async function ackAlert(id) {
  const reply = await alerts.send("ack", { id });
  if (!reply.ok && reply.type !== "ack") toast(`确认失败: ${reply.detail || reply.error}`, "error");
  else if (reply.alert) { state.alerts.set(reply.alert.id, reply.alert); state.alertsDirty = true; }
}
// A token that can't follow the stream (comms) sees the alerts alone; the
// panels it can't fill are hidden rather than left "connecting…".
const STREAM_PANELS = [".stream-panel", ".queue-panel", ".mood-panel", ".audit-panel", "#rate", "#rooms"];
const chanState = { stream: "connecting", alerts: "connecting" };
let everOpen = false;
function showState() {
  const s = chanState.stream === "forbidden" ? chanState.alerts : chanState.stream;
  const node = $("status");
  node.textContent = chanState.stream === "forbidden" && chanState.alerts === "forbidden"
    ? "此令牌不能用于房管台 · this token can't use this page" : STATE_TEXT[s] || s;
  node.dataset.state = s;
  // Once a connection is lost the page is stale until both channels it follows
  // are live again (a retry says "connecting" meanwhile).
  const live = (c) => chanState[c] === "open" || chanState[c] === "forbidden";
  if (live("stream") && live("alerts")) everOpen = true;
  document.body.classList.toggle("offline", everOpen && !(live("stream") && live("alerts")));
  const noStream = chanState.stream === "forbidden";
  document.body.classList.toggle("no-stream", noStream);
  for (const sel of STREAM_PANELS) for (const n of document.querySelectorAll(sel)) n.hidden = noStream;
  $("help-btn").hidden = noStream;
  // Comms staff (alerts only) get their desk's name, not the moderator's.
  const desk = noStream && chanState.alerts !== "forbidden" ? "舆情台" : "房管台";
  document.title = `roomwatch · ${desk}`;
  const sub = document.querySelector("h1 .sub");
  if (sub) sub.textContent = desk;
  const alertsPanel = document.querySelector(".alerts-panel");
  if (alertsPanel) alertsPanel.hidden = chanState.alerts === "forbidden";
  if (noStream && chanState.alerts !== "forbidden") followGrievances();
}
const alerts = new Channel("alerts", {
  onState: (s) => { chanState.alerts = s; showState(); },
  onMessage: (msg) => {
    if (msg.type === "hello") { if (!msg.resumed) state.alerts.clear(); }  // resumed: keep them
    else if (msg.type === "snapshot") { for (const a of msg.alerts || []) state.alerts.set(a.id, a); }
    else if (msg.alert && ["open", "update", "ack"].includes(msg.type)) state.alerts.set(msg.alert.id, msg.alert);
    else if (msg.type === "resolve" && msg.alert) state.alerts.delete(msg.alert.id);
    else return;
    state.alertsDirty = true;
  },
});

// ---------------------------------------------------------------- grievances (comms)
// Comms staff answer people's grievances: every one, alerted or not, newest
// first (the moderator channel's flagged verdicts, grievances only).
const MAX_GRIEVANCES = 200;
const grievanceList = $("grievances");
const grievanceIds = new Set();
function addGrievance(v, atTop = true) {
  if (!v || v.label !== "grievance" || grievanceIds.has(v.id)) return;
  grievanceIds.add(v.id);
  const li = el("li", { class: "row grievance", "data-id": v.id },
    el("span", { class: "t" }, clock(v.ts)),
    el("span", { class: "rm" }, v.room),
    el("bdi", { class: "u" }, uname(v.user)),
    el("bdi", { class: "x" }, v.text));
  li.title = readableReasons(v.reasons || []).join("；");
  if (atTop) grievanceList.prepend(li); else grievanceList.append(li);
  while (grievanceList.childElementCount > MAX_GRIEVANCES) {
    const last = grievanceList.lastElementChild;
    grievanceIds.delete(last.dataset.id);
    last.remove();
  }
  $("grievances-count").textContent = String(grievanceList.childElementCount);
  $("grievances-empty").hidden = grievanceList.childElementCount > 0;
}
let flagged = null;  // opened for comms tokens only (moderators see the stream)
function followGrievances() {
  if (flagged) return;
  document.querySelector(".grievances-panel").hidden = false;
  flagged = new Channel("moderator", {
    onState: () => {},
    onMessage: (msg) => {
      if (msg.type === "hello" && !msg.resumed) {
        grievanceList.replaceChildren(); grievanceIds.clear();
        $("grievances-count").textContent = "0"; $("grievances-empty").hidden = false;
      } else if (msg.type === "snapshot") {
        const rows = (msg.verdicts || []).filter((v) => v.label === "grievance");
        rows.sort((a, b) => b.ts - a.ts);
        for (const v of rows) addGrievance(v, false);
      } else if (msg.type === "verdict") addGrievance(msg.verdict);
    },
  });
}

// ---------------------------------------------------------------- the stream channel
const stream = new Channel("stream", {
  onState: (s) => { chanState.stream = s; showState(); },
  onMessage: (msg) => {
    switch (msg.type) {
      case "hello":
        state.me = msg.user;
        break;
      case "snapshot":
        state.canAct = !!msg.can_act;
        document.body.classList.toggle("read-only", !state.canAct);
        Object.assign(state.config, msg.config || {});
        state.ring = []; state.rebuild = true;
        for (const q of state.queue.values()) if (q.node) q.node.remove();
        state.queue.clear(); state.selected.clear();
        state.series.clear();
        for (const [name, s] of Object.entries(msg.rooms || {})) { setRoomStats(name, s); mergeSeries(name, s.series || []); }
        addComments(msg.recent || []);
        addReview(msg.review || [], true);
        auditList.replaceChildren(); state.decisions.clear();
        for (const d of msg.decisions || []) upsertDecision(d);
        break;
      case "batch":
        if (!state.rooms.has(msg.room)) room(msg.room);
        addComments(msg.comments);
        if (msg.review) { addReview(msg.review.added || []); removeReview(msg.review.removed || []); }
        break;
      case "review":  // a moderator's action: show it at once
        addReview(msg.added || [], true); removeReview(msg.removed || [], true);
        break;
      case "stats":
        setRoomStats(msg.room, msg); mergeSeries(msg.room, msg.series || []);
        break;
      case "decision":
        upsertDecision(msg.decision);
        break;
      case "dropped":
        // lost frames: the next reconnect brings a fresh snapshot
        stream.ws && stream.ws.close();
        break;
    }
  },
});

state.stream = stream;

// ---------------------------------------------------------------- keyboard
// A ban is the heaviest action: from the keyboard it takes b twice within two
// seconds, so a stray key bans nobody (the button and undo stay as they were).
// Armed for the selection of the first press only: any other key, a held-down
// key (auto-repeat) or a change of selection disarms it.
let banArmed = null;
function selectionKey() {
  return [...state.selected].sort().join(",") || (state.cursor ? `@${state.cursor}` : "");
}
function banKey(ev) {
  const now = Date.now();
  if (banArmed && now - banArmed.at < 2000 && banArmed.key === selectionKey()) {
    banArmed = null;
    act("ban");
    return;
  }
  banArmed = { at: now, key: selectionKey() };
  toast("再按一次 b 确认封禁 · press b again to ban");
}
const help = $("help");
$("help-btn").addEventListener("click", () => help.showModal());
document.addEventListener("keydown", (ev) => {
  if (ev.target instanceof HTMLInputElement && ev.target.type !== "checkbox") {
    if (ev.key === "Escape") ev.target.blur();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (help.open && ev.key !== "?") return;
  const keys = {
    j: () => move(1), k: () => move(-1), ArrowDown: () => move(1), ArrowUp: () => move(-1),
    x: () => { if (state.cursor) { toggleSelect(state.cursor); state.anchor = state.cursor; } },
    r: selectRaid, c: () => act("confirm"), f: () => act("false_positive"), h: () => act("hide"),
    1: () => act("mute", { duration_s: 600 }), 2: () => act("mute", { duration_s: 3600 }),
    3: () => act("mute", { duration_s: 86400 }), b: banKey, i: () => act("ignore"),
    u: () => undo(), p: () => setPaused(!state.paused),
    "/": () => $("stream-q").focus(),
    "?": () => (help.open ? help.close() : help.showModal()),
    Escape: () => { state.selected.clear(); state.queueDirty = true; },
  };
  if (ev.key !== "b") banArmed = null;
  else if (ev.repeat) { ev.preventDefault(); return; }  // a held b bans nobody
  const fn = keys[ev.key];
  if (fn) { ev.preventDefault(); fn(); }
});

// ---------------------------------------------------------------- one render per animation frame
function frame(now) {
  state.frames++;
  renderStream(now);
  renderQueue(now);
  renderMood();
  renderAlerts();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
