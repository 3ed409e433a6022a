// Host view: the ranked question queue, large type, updated in place.
// With a helper (or admin) token the page also shows claim / answer / dismiss / pin.
import { Channel, STATE_TEXT, el, ago } from "/static/rw.js";

const TOP = 8;
const queueEl = document.getElementById("queue");
const emptyEl = document.getElementById("empty");
const roomSel = document.getElementById("room");
const statusEl = document.getElementById("status");
const modeEl = document.getElementById("mode");
const toastEl = document.getElementById("toast");

const rooms = new Map();   // room -> Map(id -> item)
const orders = new Map();  // room -> [ids] best first
const nodes = new Map();   // id -> <li>
let canAct = false;
let me = "";
let dirty = false;
let selectedId = null;  // the helper's keyboard selection (an item id)
let everOpen = false;  // connected once: a later state other than open is stale
let restoring = false;  // between a fresh hello and the first live message

const SLOT_NAMES = {
  link: "链接", size: "尺码", colour: "颜色", color: "颜色", region: "地区", price: "价格",
  product: "商品", day: "日期", height: "身高", weight: "体重", spec: "规格", who: "人群",
  grade: "大小",
};
const LIVE = new Set(["open", "claimed"]);

// The room picked last (kept across reloads and reconnects in this browser).
const ROOM_KEY = "roomwatch.host.room";
function storedRoom() { try { return localStorage.getItem(ROOM_KEY); } catch { return null; } }
function roomItems(room) {
  if (!rooms.has(room)) {
    rooms.set(room, new Map());
    roomSel.append(el("option", { value: room }, room));
    // The room picked last is chosen only while the first snapshot comes in,
    // never by a room that appears mid-session (the helper would be moved).
    if (!roomSel.value || (restoring && room === storedRoom())) roomSel.value = room;
  }
  return rooms.get(room);
}

function toast(text) {
  toastEl.textContent = text;
  toastEl.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { toastEl.hidden = true; }, 3000);
}

const ACTION_TEXT = {
  claim: "认领", unclaim: "放弃", answer: "标记已回答", dismiss: "忽略", pin: "置顶", unpin: "取消置顶",
};
const ERROR_TEXT = {
  already_claimed: "已被别人认领", claimed_by_other: "这是别人认领的", not_found: "这个问题已不在队列里",
  "not connected": "没有连上服务器，请稍候", disconnected: "连接断开了，请稍候再试",
};
async function act(action, item) {
  const other = item.claimed_by && item.claimed_by !== me;
  if (other && (action === "answer" || action === "dismiss")
      && !confirm(`${item.claimed_by} 已认领这个问题，仍要${ACTION_TEXT[action]}吗？`)) return;
  const reply = await channel.send(action, { room: item.room, id: item.id });
  if (reply.type === "ack") {
    if (action === "answer" || action === "dismiss") toast(`已${ACTION_TEXT[action]}：${item.text}`);
    return;
  }
  const by = reply.by ? `（${reply.by}）` : "";
  const why = ERROR_TEXT[reply.error] || reply.error;
  toast(`${ACTION_TEXT[action] || action}没有成功：${why}${by}`);
}

function buildNode(item) {
  const li = el("li", { class: "item", dataset: { id: item.id } });
  li._count = el("div", { class: "count" });
  li._ask = el("div", { class: "ask" });
  li._meta = el("div", { class: "meta" });
  li._slots = el("div", { class: "slots" });
  li._claim = el("div", { class: "claim-by" });
  li._why = el("div", { class: "why" });
  const body = el("div", {}, li._ask, li._slots, li._meta, li._why, li._claim);
  li.append(li._count, body);
  if (canAct) {
    const btn = (label, action, key) =>
      el("button", { type: "button", title: key, onclick: () => act(action, li._item) }, label);
    li._claimBtn = btn("认领", "claim", "c");
    li._pinBtn = btn("置顶", "pin", "p");
    li.append(el("div", { class: "actions" },
      li._claimBtn, btn("已回答", "answer", "a"), btn("忽略", "dismiss", "d"), li._pinBtn));
  }
  return li;
}

function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

function fill(li, item) {
  li._item = item;
  li.className = `item ${item.state}${item.pinned ? " pinned" : ""}`;
  li._count.replaceChildren(String(item.askers), el("small", {}, `人问 · ${item.count} 次`));
  setText(li._ask, item.text);
  const others = item.wordings.length ? ` · 也问：${item.wordings.join(" / ")}` : "";
  const again = item.asked_again ? ` · 回答后又问了 ${item.asked_again} 次` : "";
  setText(li._meta, `${ago(item.last_seen, clockNow())}${again}${others}`);
  setText(li._why, item.why || "");
  const chips = Object.entries(item.slots || {}).map(
    ([k, v]) => el("span", {}, `${SLOT_NAMES[k] || k}: ${v}`));
  li._slots.replaceChildren(...chips);
  setText(li._claim, item.claimed_by ? `${item.claimed_by} 已认领` : "");
  if (li._claimBtn) {
    const mine = item.claimed_by === me;
    li._claimBtn.textContent = mine ? "放弃" : "认领";
    li._claimBtn.hidden = !!item.claimed_by && !mine;  // someone else's: "xx 已认领" says so
    li._claimBtn.onclick = () => act(mine ? "unclaim" : "claim", item);
    li._pinBtn.textContent = item.pinned ? "取消置顶" : "置顶";
    li._pinBtn.onclick = () => act(item.pinned ? "unpin" : "pin", item);
  }
}

// Record time: the newest last_seen we know, moved on by the wall clock.
let newestTs = 0, newestAt = Date.now();
function clockNow() { return newestTs + (Date.now() - newestAt) / 1000; }
function noteTs(item) {
  if (item.last_seen > newestTs) { newestTs = item.last_seen; newestAt = Date.now(); }
}

function render() {
  dirty = false;
  const room = roomSel.value;
  const items = rooms.get(room) || new Map();
  const order = (orders.get(room) || []).filter((id) => items.has(id));
  const rest = [...items.values()].filter((i) => !order.includes(i.id))
    .sort((a, b) => (b.pinned - a.pinned) || (b.score - a.score));
  const ranked = [...order.map((id) => items.get(id)), ...rest]
    .filter((i) => LIVE.has(i.state)).slice(0, TOP);
  const keep = new Set(ranked.map((i) => i.id));
  for (const [id, li] of nodes) if (!keep.has(id)) { li.remove(); nodes.delete(id); }
  // A button moved in the DOM loses focus: note it, and give it back after.
  const focused = queueEl.contains(document.activeElement) ? document.activeElement : null;
  ranked.forEach((item, index) => {
    let li = nodes.get(item.id);
    if (!li) { li = buildNode(item); nodes.set(item.id, li); }
    fill(li, item);
    li.classList.toggle("selected", item.id === selectedId);
    // Move only what is out of place, so nothing flickers.
    if (queueEl.children[index] !== li) queueEl.insertBefore(li, queueEl.children[index] || null);
  });
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus();
  if (selectedId !== null && !keep.has(selectedId)) selectedId = null;  // gone: nothing selected
  emptyEl.hidden = ranked.length > 0;
}

function schedule() { if (!dirty) { dirty = true; requestAnimationFrame(render); } }
setInterval(schedule, 1000);  // keep "x 秒前" fresh
roomSel.addEventListener("change", () => {
  try { localStorage.setItem(ROOM_KEY, roomSel.value); } catch { /* private mode */ }
  queueEl.replaceChildren(); nodes.clear(); selectedId = null; schedule();
});

const wanted = new URLSearchParams(location.search).get("room");
const channel = new Channel("host", {
  rooms: wanted ? [wanted] : null,
  onState: (s) => {
    statusEl.textContent = s === "forbidden" ? "此令牌不能用于主播/场控页 · 房管和舆情请用 /moderator"
      : STATE_TEXT[s] || s;
    statusEl.dataset.state = s;
    // Once a connection is lost the page is stale until it is live again
    // (a retry says "connecting" meanwhile).
    if (s === "open") everOpen = true;
    document.body.classList.toggle("offline", everOpen && s !== "open");
  },
  onMessage: (msg) => {
    if (msg.type !== "hello" && msg.type !== "snapshot") restoring = false;
    switch (msg.type) {
      case "hello":
        canAct = msg.role === "helper" || msg.role === "admin";
        me = msg.user;
        modeEl.textContent = canAct ? `场控 · ${msg.user}` : "主播";
        document.body.classList.toggle("helper", canAct);
        // Resumed: the missed messages follow, so what the page holds stays.
        if (msg.resumed) break;
        restoring = true;
        rooms.clear(); orders.clear(); nodes.clear(); queueEl.replaceChildren();
        roomSel.replaceChildren();
        break;
      case "snapshot": {
        const items = roomItems(msg.room);
        items.clear();
        for (const item of msg.items) { items.set(item.id, item); noteTs(item); }
        orders.set(msg.room, msg.order || []);
        break;
      }
      case "added":
      case "updated":
        roomItems(msg.room).set(msg.item.id, msg.item);
        noteTs(msg.item);
        break;
      case "removed":
        roomItems(msg.room).delete(msg.id);
        break;
      case "reordered":
        orders.set(msg.room, msg.order);
        break;
      default:
        if (msg.item && msg.item.room) roomItems(msg.item.room).set(msg.item.id, msg.item);
        return schedule();
    }
    schedule();
  },
});

// Keyboard for helpers: j/k to move, c/a/d/p to act on the selected item. The
// selection follows the item, not its place (the queue re-ranks live); with
// nothing selected, or with Ctrl/Alt/Cmd held (copy, browser keys), keys act on nothing.
document.addEventListener("keydown", (ev) => {
  if (!canAct || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
  const lis = [...queueEl.children];
  if (!lis.length) return;
  const at = lis.findIndex((li) => li._item.id === selectedId);
  if (ev.key === "j" || ev.key === "k") {
    const next = at < 0 ? 0 : Math.max(0, Math.min(lis.length - 1, at + (ev.key === "j" ? 1 : -1)));
    selectedId = lis[next]._item.id;
    lis.forEach((li, i) => li.classList.toggle("selected", i === next));
    lis[next].scrollIntoView({ block: "nearest" });
    return;
  }
  if (at < 0) return;
  const item = lis[at]._item;
  const action = { c: item.claimed_by === me ? "unclaim" : "claim", a: "answer", d: "dismiss",
                   p: item.pinned ? "unpin" : "pin" }[ev.key];
  if (action) act(action, item);
});
