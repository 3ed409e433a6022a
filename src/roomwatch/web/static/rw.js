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

// Follow a hub channel. Reconnects with backoff and resumes with ?since=seq.
export class Channel {
  constructor(name, { rooms = null, onMessage, onState } = {}) {
    this.name = name;
    this.rooms = rooms;
    this.onMessage = onMessage || (() => {});
    this.onState = onState || (() => {});
    this.seq = null;
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
    if (this.seq !== null) u.searchParams.set("since", String(this.seq));
    return u.toString();
  }
  open() {
    this.onState("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; this.onState("open"); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (typeof msg.seq === "number") this.seq = msg.seq;
      if (msg.ref !== undefined && this.pending.has(msg.ref)) {
        const { resolve } = this.pending.get(msg.ref);
        this.pending.delete(msg.ref);
        resolve(msg);
      }
      if (msg.type === "dropped") this.seq = null;  // lost messages: take a snapshot next time
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
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
  close() { this.closed = true; if (this.ws) this.ws.close(); }
}
