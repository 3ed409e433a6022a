// roomwatch page helpers: token handling, a resuming WebSocket, safe DOM building.
// Everything that came from a viewer is put in the page as text nodes only.
"use strict";

export function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  const fromQuery = new URLSearchParams(location.search).get("token");
  const t = fromHash || fromQuery || sessionStorage.getItem("roomwatch-token") || "";
  if (t) sessionStorage.setItem("roomwatch-token", t);
  // Keep the token out of the address bar (and out of screenshots).
  if (fromHash || fromQuery) history.replaceState(null, "", location.pathname);
  return t;
}

// el("div", {class: "x", title: "y"}, child, "text", ...) — strings become text nodes.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// Wall-clock time of a record, e.g. "08:21:07" (record time, not "now").
export function clock(ts) {
  return new Date(ts * 1000).toLocaleTimeString("zh-CN", { hour12: false });
}

export function ago(ts, now = Date.now() / 1000) {
  const s = Math.max(0, Math.round(now - ts));
  if (s < 60) return `${s} 秒前`;
  if (s < 3600) return `${Math.floor(s / 60)} 分钟前`;
  return `${Math.floor(s / 3600)} 小时前`;
}

// What the status line says for each channel state.
export const STATE_TEXT = {
  connecting: "连接中… connecting…", open: "已连接 live", closed: "已断开 · 重连中 reconnecting…",
  refused: "令牌被拒绝 · token refused", forbidden: "此令牌无权查看 · not for this token",
};

// Who the token is ({role, user, rooms, channels, actions}), or {refused: 401|403},
// or {error} when the server can't be reached. A browser's WebSocket can't see
// a refused handshake (401/403 look like any failed connection), so pages ask
// this before connecting, and again when a connection fails before it opened.
let sessionAnswer = null;
export function session(again = false) {
  if (sessionAnswer && !again) return sessionAnswer;
  sessionAnswer = (async () => {
    const t = token();
    if (!t) return { refused: 401 };
    try {
      const resp = await fetch("/auth/whoami", { headers: { Authorization: `Bearer ${t}` }, cache: "no-store" });
      if (resp.status === 401 || resp.status === 403) return { refused: resp.status };
      if (!resp.ok) return { error: `HTTP ${resp.status}` };
      return await resp.json();
    } catch (err) {
      return { error: String(err) };
    }
  })();
  return sessionAnswer;
}

// A small form to enter a token: it is kept for this tab and the page reconnects.
export function askForToken(status) {
  if (document.getElementById("rw-login")) return;
  const input = el("input", { id: "rw-token", type: "password", autocomplete: "off", required: true,
    placeholder: "令牌 token", "aria-label": "token" });
  const form = el("form", { id: "rw-login", class: "login", "aria-labelledby": "rw-login-h" },
    el("p", { id: "rw-login-h" }, status === 401 ? "需要令牌 · a token is required" : "令牌被拒绝 · token refused"),
    input, el("button", { type: "submit" }, "连接 connect"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    sessionStorage.setItem("roomwatch-token", value);
    location.reload();
  });
  document.body.prepend(form);
  input.focus();
}

// Follow a hub channel. Reconnects with backoff and resumes with ?since=seq.
// A refused token stops it (state "refused", and the token form is shown);
// a channel the token may not follow is never opened (state "forbidden").
export class Channel {
  constructor(name, { rooms = null, onMessage, onState } = {}) {
    this.name = name;
    this.rooms = rooms;
    this.onMessage = onMessage || (() => {});
    this.onState = onState || (() => {});
    this.seq = null;
    this.epoch = null;  // the server process the seq belongs to
    this.lost = false;  // told "dropped": the next connect takes a snapshot
    this.droppedAt = 0;
    this.attempt = 0;
    this.pending = new Map();
    this.nextRef = 1;
    this.closed = false;
    this.open();
  }
  url() {
    const u = new URL(`/ws/${this.name}`, location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("token", token());
    if (this.rooms) u.searchParams.set("rooms", this.rooms.join(","));
    if (this.seq !== null) {
      u.searchParams.set("since", String(this.seq));
      if (this.epoch) u.searchParams.set("epoch", this.epoch);  // the same server process
    }
    return u.toString();
  }
  async open() {
    this.onState("connecting");
    const me = await session(this.attempt > 0);
    if (me.refused) { this.stop("refused"); askForToken(me.refused); return; }
    if (me.channels && !me.channels.includes(this.name)) { this.stop("forbidden"); return; }
    if (this.closed) return;
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      // A page told "dropped" within the last half minute keeps its backoff, so
      // a client that stays too slow does not reload a snapshot twice a second.
      if (!(this.droppedAt && Date.now() - this.droppedAt < 30000)) this.attempt = 0;
      this.lost = false;
      this.onState("open");
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg.type === "hello") this.epoch = msg.epoch || null;
      if (typeof msg.seq === "number" && !this.lost) this.seq = msg.seq;
      if (msg.ref !== undefined && this.pending.has(msg.ref)) {
        const { resolve } = this.pending.get(msg.ref);
        this.pending.delete(msg.ref);
        resolve(msg);
      }
      if (msg.type === "dropped") {
        // Messages were lost: what the page holds is wrong until a fresh snapshot,
        // so reconnect at once without since (and take no later seq meanwhile).
        this.seq = null;
        this.lost = true;
        this.droppedAt = Date.now();
        ws.close();
      }
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      // Closed before it opened: a refused handshake, or the server is away;
      // the next open() asks /auth/whoami again to tell which.
      if (!opened) this.attempt = Math.max(this.attempt, 1);
      this.onState(ev.code === 4401 || ev.code === 1008 ? "refused" : "closed");
      for (const { resolve } of this.pending.values()) resolve({ type: "error", error: "disconnected" });
      this.pending.clear();
      if (this.closed) return;
      const delay = Math.min(15000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      setTimeout(() => this.open(), delay);
    };
  }
  send(action, fields = {}) {
    const ref = this.nextRef++;
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        resolve({ type: "error", error: "not connected" });
        return;
      }
      this.pending.set(ref, { resolve });
      this.ws.send(JSON.stringify({ action, ref, ...fields }));
    });
  }
  stop(state) { this.closed = true; this.state = state; this.onState(state); }
  close() { this.closed = true; if (this.ws) this.ws.close(); }
}
