// kefu console: vanilla JS on the /api/v1 routes and the /v1/agent/ws
// socket. Every string from the server reaches the page through
// textContent (el() below); nothing is parsed as HTML.
(() => {
  "use strict";

  // ---- Strings ----
  const I18N = window.KEFU_I18N || { en: {} };
  let lang = localStorage.getItem("kefu.lang") || ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
  const t = (key, vars) => {
    let s = (I18N[lang] && I18N[lang][key]) || I18N.en[key] || key;
    if (vars) for (const k in vars) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  };

  // ---- DOM ----
  // el("div.a.b", {attrs, on: {click}}, children…): strings become text nodes.
  function el(spec, attrs, ...kids) {
    const [tag, ...classes] = spec.split(".");
    const e = document.createElement(tag || "div");
    if (classes.length) e.className = classes.join(" ");
    if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) { kids.unshift(attrs); attrs = null; }
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "on") for (const ev in v) e.addEventListener(ev, v[ev]);
      else if (k === "text") e.textContent = v;
      else if (k === "class") e.className += " " + v;
      else if (k === "style") e.style.cssText = v; // CSSOM, which the CSP allows

      else if (k in e && typeof v !== "string") e[k] = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    add(e, kids);
    return e;
  }
  function add(e, kids) {
    for (const k of kids.flat(9)) {
      if (k == null || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  // set replaces e's children (skipping null and false, unlike replaceChildren).
  const set = (e, ...kids) => { e.replaceChildren(); return add(e, kids); };
  const $ = (sel, root) => (root || document).querySelector(sel);
  const app = () => document.getElementById("app");

  // announce says text to screen readers, politely (a live region that
  // shows nothing): new messages, queue changes, state changes.
  function announce(text) {
    const e = document.getElementById("announce");
    if (!e) return;
    e.textContent = "";
    e.textContent = text;
  }

  let toastTimer;
  function toast(msg, bad) {
    const e = document.getElementById("toast");
    e.textContent = msg;
    e.className = "show" + (bad ? " bad" : "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { e.className = ""; }, bad ? 6000 : 2500);
  }

  function ago(iso) {
    if (!iso) return "";
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return t("time.now");
    if (s < 3600) return t("time.m", { n: Math.floor(s / 60) });
    if (s < 86400) return t("time.h", { n: Math.floor(s / 3600) });
    return t("time.d", { n: Math.floor(s / 86400) });
  }
  const clock = iso => iso ? new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-US", { hour: "2-digit", minute: "2-digit" }) : "";
  const when = iso => iso ? new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-US", { dateStyle: "medium", timeStyle: "short" }) : "";
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = [...b].map(x => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  // tongue names the language of a text when it is clearly Chinese or
  // English (for the lang attribute: screen readers switch voices).
  const tongue = s => /[\u3400-\u9fff]/.test(s || "") ? "zh-CN" : /[a-z]/i.test(s || "") ? "en" : null;
  const bytes = n => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";

  // ---- Session and API ----
  const S = {
    me: null, csrf: sessionStorage.getItem("kefu.csrf") || "", sites: [],
    counts: { queued: 0, mine: 0, open: 0 }, tab: "queue", items: [], next: "", cur: null, detail: null,
    agents: new Map(), lastTyping: 0, ws: null, wsUp: false, presence: localStorage.getItem("kefu.presence") || "online",
  };
  const siteOf = id => S.sites.find(s => s.id === id) || { key: "", name: "#" + id };
  const isAdmin = () => S.me && S.me.role === "admin";

  class APIError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }
  async function api(method, path, body, opts) {
    const headers = { "Accept": "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = S.csrf;
    let payload = body;
    if (body !== undefined && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    let res;
    try {
      res = await fetch("/api/v1" + path, { method, headers, body: payload, credentials: "same-origin", ...(opts || {}) });
    } catch (e) {
      throw new APIError(0, "network", t("err.network"));
    }
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const err = (data && data.error) || {};
      if (res.status === 401 && path !== "/auth/login") signedOut(t("login.expired"));
      throw new APIError(res.status, err.code || "error", err.message || res.statusText);
    }
    return data;
  }
  const q = obj => { const p = new URLSearchParams(); for (const k in obj) if (obj[k] !== "" && obj[k] != null) p.set(k, obj[k]); const s = p.toString(); return s ? "?" + s : ""; };
  const fail = e => toast(t("err.generic", { msg: e.message }), true);

  function setSession(data) {
    S.me = data.user; S.csrf = data.csrf_token; S.sites = data.sites || [];
    sessionStorage.setItem("kefu.csrf", S.csrf);
  }
  function signedOut(msg) {
    if (!S.me) return;
    S.me = null; S.csrf = ""; sessionStorage.removeItem("kefu.csrf");
    closeSocket();
    renderLogin(msg);
  }

  // ---- Sign-in ----
  function renderLogin(msg) {
    document.title = t("app.name");
    const err = el("div.err", { role: "alert", text: msg || "" });
    const email = el("input", { type: "email", id: "email", name: "email", autocomplete: "username", required: true });
    const pw = el("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
    const submit = el("button.btn.primary", { type: "submit", text: t("login.submit") });
    const form = el("form.login", { on: { submit: async ev => {
      ev.preventDefault();
      submit.disabled = true; submit.textContent = t("login.busy"); err.textContent = "";
      try {
        setSession(await api("POST", "/auth/login", { email: email.value.trim(), password: pw.value }));
        start();
      } catch (e) {
        err.textContent = e.status === 401 ? t("login.bad") : e.status === 429 ? t("login.limited") : e.message;
        submit.disabled = false; submit.textContent = t("login.submit");
        pw.select();
      }
    } } },
      el("h1.brand", t("login.title")),
      el("label", { for: "email", text: t("login.email") }), email,
      el("label", { for: "password", text: t("login.password") }), pw,
      submit, err,
      el("p.muted", { style: "margin:14px 0 0;font-size:12px;text-align:right" }, langButton("btn small")));
    set(app(), el("main.login-main", form));
    email.focus();
  }
  function langButton(cls) {
    return el("button." + cls.split(" ").join("."), { type: "button", id: "lang", text: t("nav.lang"), on: { click: () => {
      lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("kefu.lang", lang);
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
      S.me ? route() : renderLogin();
    } } });
  }

  // ---- Shell ----
  const PAGES = [
    ["inbox", "nav.inbox", false], ["knowledge", "nav.knowledge", true], ["sites", "nav.sites", true], ["users", "nav.users", true],
    ["canned", "nav.canned", true], ["tokens", "nav.tokens", true], ["model", "nav.model", true],
  ];
  // Pages defined in other files (analytics.js, privacy.js) register in
  // window.KEFU_PAGES before this script runs: {id, key, admin, render(main, kit)}.
  const EXTRA = {};
  for (const p of window.KEFU_PAGES || []) { PAGES.push([p.id, p.key, !!p.admin]); EXTRA[p.id] = p.render; }
  function shell(page) {
    const nav = el("nav", { "aria-label": t("nav.main") }, PAGES.filter(p => !p[2] || isAdmin()).map(([id, key]) =>
      el("a", { href: "#/" + id, class: id === page ? "cur" : "", "aria-current": id === page ? "page" : null, "data-page": id, text: t(key) })));
    const presence = el("select", { id: "presence", "aria-label": t("presence.label"), on: { change: ev => {
      S.presence = ev.target.value; localStorage.setItem("kefu.presence", S.presence); send({ type: "presence", status: S.presence }); updateConn();
    } } }, ["online", "away"].map(v => el("option", { value: v, selected: S.presence === v, text: t("presence." + v) })));
    const logout = el("button.btn", { type: "button", id: "logout", text: t("nav.logout"), on: { click: async () => {
      try { await api("POST", "/auth/logout"); } catch (e) { /* signed out anyway */ }
      signedOut();
    } } });
    const top = el("header.top",
      el("div.brand", el("span", "kefu")), nav,
      el("div.conn", { id: "conn" }, el("i.dot"), el("span")),
      el("div.me", presence, el("span", { class: "who", text: S.me.name }), langButton("btn"), logout));
    const main = el("main", { id: "main", tabindex: "-1" });
    // The link jumps over the top bar (its href is no route: a click focuses main).
    const skip = el("a.skip", { href: "#main", text: t("nav.skip"), on: { click: ev => { ev.preventDefault(); main.focus(); } } });
    set(app(), skip, top, main);
    // On a phone the menu scrolls sideways: show where we are.
    const cur = nav.querySelector("a.cur");
    if (cur && nav.scrollWidth > nav.clientWidth) nav.scrollLeft += cur.getBoundingClientRect().left - nav.getBoundingClientRect().left - (nav.clientWidth - cur.offsetWidth) / 2;
    updateConn();
    return main;
  }
  function updateConn() {
    const c = $("#conn");
    if (!c) return;
    c.querySelector(".dot").className = "dot" + (S.wsUp ? (S.presence === "away" ? " away" : " live") : "");
    c.querySelector("span").textContent = S.wsUp ? (S.presence === "away" ? t("presence.away") : t("conn.live")) : t("conn.offline");
    c.title = c.querySelector("span").textContent;
  }

  // ---- Routing: #/inbox/TAB[/ID] or #/PAGE ----
  function route() {
    if (!S.me) return;
    const parts = location.hash.replace(/^#\/?/, "").split("/");
    let page = parts[0] || "inbox";
    if (!PAGES.some(p => p[0] === page && (!p[2] || isAdmin()))) page = "inbox";
    document.title = t("nav." + page) + " · kefu";
    // Chosen from the menu with the keyboard: focus moves to the new page's heading.
    const fromNav = !!(document.activeElement && document.activeElement.closest && document.activeElement.closest(".top nav"));
    if (page === "inbox") showInbox(parts[1], parts[2]);
    else {
      S.cur = null; S.detail = null;
      const main = shell(page);
      const builtin = { knowledge: pageKnowledge, sites: pageSites, users: pageUsers, canned: pageCanned, tokens: pageTokens, model: pageModel };
      if (builtin[page]) builtin[page](main);
      else EXTRA[page](main, kit(), parts.slice(1));
    }
    // Every page has one level-one heading: a page that drew none gets its name.
    const main = $("#main"), key = (PAGES.find(p => p[0] === page) || [])[1];
    if (main && !main.querySelector("h1")) main.prepend(el("h1.sr", t(key)));
    if (fromNav && main) { const h = main.querySelector("h1"); h.tabIndex = -1; h.focus(); }
  }
  window.addEventListener("hashchange", route);

  // ---- Inbox ----
  const TABS = { queue: { state: "queued" }, mine: { mine: 1 }, open: { state: "open" }, resolved: { state: "resolved" } };
  const TAB_COUNT = { queue: "queued", mine: "mine", open: "open" };

  function showInbox(tab, id) {
    tab = TABS[tab] ? tab : S.tab;
    const fresh = !$("#inbox"), tabChanged = tab !== S.tab;
    S.tab = tab;
    if (fresh) {
      const main = shell("inbox");
      // Tabs as the ARIA pattern has them: one tab stop, arrows move between
      // the tabs (and show that list), Home and End go to the ends.
      const keys = Object.keys(TABS);
      const tabs = el("div.tabs", { role: "tablist", "aria-label": t("nav.inbox"), on: { keydown: ev => {
        const i = keys.indexOf(ev.target.dataset.tab);
        if (i < 0) return;
        const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: keys.length - 1 }[ev.key];
        if (j === undefined) return;
        ev.preventDefault();
        const k = keys[(j + keys.length) % keys.length];
        location.hash = "#/inbox/" + k;
        $("#tab-" + k).focus();
      } } }, keys.map(k =>
        el("button", { type: "button", role: "tab", id: "tab-" + k, "aria-controls": "rows", "data-tab": k, on: { click: () => { location.hash = "#/inbox/" + k; } } },
          t("tab." + k), TAB_COUNT[k] ? el("span.n", { "data-count": k }) : null)));
      const list = el("section.list", { "aria-label": t("nav.inbox") }, tabs, el("div.rows", { id: "rows", role: "tabpanel" }));
      main.append(el("h1.sr", t("nav.inbox")), el("div.inbox" + (S.sideOpen ? ".side-open" : ""), { id: "inbox" }, list, el("section.conv", { id: "conv" }), el("aside.side", { id: "side", tabindex: "0", "aria-label": t("side.details") })));
    }
    if (fresh || tabChanged) { S.items = []; S.next = ""; set($("#rows"), el("div.empty", t("list.loading"))); loadList(); }
    for (const b of document.querySelectorAll(".tabs button")) {
      b.classList.toggle("cur", b.dataset.tab === tab);
      b.setAttribute("aria-selected", b.dataset.tab === tab);
      b.tabIndex = b.dataset.tab === tab ? 0 : -1;
    }
    $("#rows").setAttribute("aria-labelledby", "tab-" + tab);
    renderCounts();
    if (fresh || (id || null) !== S.cur) openConversation(id || null);
  }

  // setCounts takes new counts (from a list, the socket's welcome or its
  // counts events) and announces a longer queue than the one last heard.
  let heard = -1;
  function setCounts(c) {
    if (heard >= 0 && c.queued > heard) announce(t("announce.queued", { n: c.queued }));
    heard = c.queued;
    S.counts = c; renderCounts();
  }
  function renderCounts() {
    for (const n of document.querySelectorAll("[data-count]")) n.textContent = S.counts[TAB_COUNT[n.dataset.count]] ?? 0;
  }

  let listSeq = 0;
  async function loadList(more) {
    const my = ++listSeq;
    const rows = $("#rows");
    if (!rows) return;
    try {
      const page = await api("GET", "/conversations" + q({ ...TABS[S.tab], cursor: more ? S.next : "", limit: 50 }));
      if (my !== listSeq) return;
      S.items = more ? S.items.concat(page.items || []) : (page.items || []);
      S.next = page.next_cursor || "";
      if (page.counts) setCounts(page.counts);
      renderList();
    } catch (e) { if (e.status !== 401) fail(e); }
  }
  let refreshTimer;
  const refreshList = () => { clearTimeout(refreshTimer); refreshTimer = setTimeout(() => loadList(), 120); };

  function renderList() {
    const rows = $("#rows");
    if (!rows) return;
    const out = S.items.map(it => {
      const site = siteOf(it.site_id);
      const who = it.contact_email || t("conv.visitor") + " " + it.id.slice(0, 6);
      const waitFrom = it.state === "queued" ? it.queued_at : (it.last_message && it.last_message.at) || it.updated_at;
      return el("button.row", { type: "button", "data-id": it.id, class: it.id === S.cur ? "cur" : "", "aria-current": it.id === S.cur ? "true" : null, on: { click: () => go(it.id) } },
        el("div.l1", el("span.who", who), it.priority > 0 ? el("span.badge.p", "P" + it.priority) : null,
          el("span.age", { title: when(waitFrom), text: it.state === "queued" ? t("conv.waiting", { t: ago(waitFrom) }) : ago(waitFrom) })),
        el("div.pv", it.last_message ? [it.last_message.role !== "shopper" ? el("span.muted", t("role." + it.last_message.role) + ": ") : null, it.last_message.text] : ""),
        it.answered_while_waiting ? el("div.pv.bot-meanwhile", { title: it.last_bot_answer ? it.last_bot_answer.text : "" },
          el("span.muted", t("conv.answeredMeanwhile", { n: it.answered_while_waiting }) + ": "), it.last_bot_answer ? it.last_bot_answer.text : "") : null,
        el("div.l3",
          it.escalation_reason ? el("span.badge.reason", { title: it.escalation_reason, text: reason(it.escalation_reason) }) : null,
          it.sentiment ? el("span.badge." + cls(it.sentiment), it.sentiment) : null,
          S.tab !== "queue" ? el("span.badge.state-" + it.state, t("state." + it.state)) : null,
          it.assigned_name && S.tab === "open" ? el("span.badge", it.assigned_name) : null,
          el("span.badge.site", site.name)));
    });
    if (!out.length) out.push(el("div.empty", t("list.empty")));
    if (S.next) out.push(el("button.btn.more", { type: "button", id: "more", text: t("list.more"), on: { click: () => loadList(true) } }));
    // A list that has not changed is left as it is: rows replaced under the
    // pointer would lose the click pressed on one (a refresh right after
    // the socket connects, or the age ticker, as the agent picks a row).
    if (rows.children.length === out.length && Array.prototype.every.call(rows.children, (e, i) => e.isEqualNode(out[i]))) return;
    // A redraw must not drop the keyboard's place: focus the same row again.
    const had = document.activeElement, id = had && rows.contains(had) ? had.dataset.id || had.id : null;
    set(rows, ...out);
    if (id) { const e = rows.querySelector(`[data-id="${CSS.escape(id)}"]`) || $("#" + id) || rows.querySelector(".row"); if (e) e.focus(); }
  }
  // reason names an escalation reason in the UI's language (unknown codes as they are).
  const reason = r => { const k = "reason." + r; const s = t(k); return s === k ? r : s; };
  const cls = s => String(s).toLowerCase().replace(/[^a-z0-9-]/g, "");
  const go = id => { location.hash = "#/inbox/" + S.tab + (id ? "/" + id : ""); };

  // ---- Conversation ----
  let convSeq = 0;
  async function openConversation(id) {
    S.cur = id; S.detail = null;
    for (const r of document.querySelectorAll(".row")) {
      r.classList.toggle("cur", r.dataset.id === id);
      if (r.dataset.id === id) r.setAttribute("aria-current", "true"); else r.removeAttribute("aria-current");
    }
    const inbox = $("#inbox");
    inbox.classList.toggle("open", !!id);
    const conv = $("#conv"), side = $("#side");
    if (!id) {
      set(conv, el("div.blank", el("h2", t("conv.none")), el("p", t("conv.none.hint"))));
      set(side);
      return;
    }
    const my = ++convSeq;
    set(conv, el("div.blank", t("list.loading")));
    try {
      const d = await api("GET", "/conversations/" + id);
      if (my !== convSeq) return;
      S.detail = d;
      renderConversation();
    } catch (e) {
      if (my === convSeq) set(conv, el("div.blank.err", e.message));
    }
  }

  function renderConversation() {
    const d = S.detail, conv = $("#conv");
    // Redrawn (an action, a state change): the keyboard keeps its place, or
    // lands on the heading when its control is gone.
    const had = document.activeElement, inside = !!had && conv.contains(had) && had !== document.body;
    const again = inside ? (had.id ? "#" + CSS.escape(had.id) : had.dataset.act ? `[data-act="${had.dataset.act}"]` : "") : "";
    const mine = d.state === "agent" && d.assigned_user_id === S.me.id;
    const head = el("div.head",
      el("button.btn.back", { type: "button", text: "← " + t("conv.back"), on: { click: () => go(null) } }),
      el("h2", { tabindex: "-1" }, el("span", d.contact_email || t("conv.visitor") + " " + d.id.slice(0, 6)),
        el("span.badge.state-" + d.state, { id: "state" }, t("state." + d.state)),
        d.state === "agent" ? el("span.with",
          mine ? t("conv.withyou") : t("conv.with", { name: d.assigned_name || (S.agents.get(d.assigned_user_id) || {}).name || "#" + d.assigned_user_id })) : null),
      el("div.acts",
        el("button.btn.details", { type: "button", id: "details", "aria-controls": "side", "aria-expanded": String(!!S.sideOpen),
          text: t("side.details"), on: { click: toggleSide } }),
        d.state !== "resolved" && !mine ? act("claim", "act.claim", claim, true) : null,
        mine ? act("transfer", "act.transfer", transfer) : null,
        (d.state === "agent" ? mine || isAdmin() : d.state === "queued") ? act("handback", "act.handback", () => action("handback")) : null,
        d.state !== "resolved" && (mine || d.state !== "agent" || isAdmin()) ? act("resolve", "act.resolve", () => action("resolve")) : null));
    // Not a live region: new messages are announced once, whole (announce),
    // never a streamed reply piece by piece. It scrolls, so it takes focus.
    const log = el("div.log", { id: "log", role: "region", "aria-label": t("conv.messages"), tabindex: "0" });
    for (const m of d.messages) log.append(messageEl(m));
    const banner = d.escalation_reason || d.escalation_summary ? el("div.banner", { id: "esc" },
      el("b", t("esc.reason") + ":"), d.escalation_reason ? reason(d.escalation_reason) : "",
      d.escalation_summary ? el("div", { style: "margin-top:3px" }, el("span.muted", t("esc.summary") + ": "), d.escalation_summary) : null) : null;
    set(conv, head, banner || "", log, el("div.typing", { id: "typing" }), composer(mine));
    log.scrollTop = log.scrollHeight;
    renderSide();
    if (inside) { const e = (again && conv.querySelector(again)) || conv.querySelector(".head h2"); if (e && !e.disabled) e.focus(); else conv.querySelector(".head h2").focus(); }
  }
  const act = (name, key, fn, primary) => el("button.btn" + (primary ? ".primary" : ""), { type: "button", "data-act": name, text: t(key), on: { click: fn } });

  function messageEl(m) {
    const role = m.role === "note" ? "note" : m.role;
    const author = m.user_id == null ? "" : m.user_id === S.me.id ? S.me.name : (S.detail && S.detail.authors && S.detail.authors[m.user_id]) || "";
    const meta = el("div.meta", el("span", t("role." + role) + (author ? " · " + author : "")), el("span", { title: when(m.at), text: clock(m.at) }),
      m.intent ? el("span.badge", { title: "intent", text: m.intent + (m.intent_confidence ? " " + Math.round(m.intent_confidence * 100) + "%" : "") }) : null,
      m.sentiment ? el("span.badge." + cls(m.sentiment), { title: "sentiment", text: m.sentiment }) : null,
      m.grounding ? el("span.badge.grounding." + cls(m.grounding), { title: t("grounding.title"), text: t("grounding." + m.grounding) }) : null);
    const cites = (m.citations || []).length ? el("div.cites", m.citations.map(c =>
      el("span.cite", { title: c.source || "" }, "[" + c.n + "] " + (c.title || c.source) + (c.heading ? " › " + c.heading : "")))) : null;
    // The topics a reply offered, and the shopper's tap on one (the message
    // is the topic's label, right after the offer; chat.TappedTopic).
    const topics = (m.topics || []).length ? el("div.cites.topics", el("span.muted", t("msg.topics")),
      m.topics.map(tp => el("span.cite", { title: tp.source + (tp.heading ? " › " + tp.heading : "") }, tp.label))) : null;
    if (role === "shopper" && tappedTopic(m)) meta.append(el("span.badge.tapped", { text: t("msg.tapped") }));
    return el("div.msg." + cls(role), { "data-id": m.id, "data-seq": m.seq }, meta, el("div.b", { lang: tongue(m.text) }, m.text), cites, topics);
  }
  function tappedTopic(m) {
    const ms = (S.detail && S.detail.messages) || [];
    let i = ms.findIndex(x => x.id === m.id);
    if (i < 0) i = ms.length;
    for (let j = i - 1; j >= 0; j--) {
      if (ms[j].role === "system") continue;
      return ms[j].role === "bot" && (ms[j].topics || []).some(tp => tp.label === (m.text || "").trim());
    }
    return false;
  }

  function appendMessage(m) {
    const d = S.detail, log = $("#log");
    if (!d || !log || d.messages.some(x => x.id === m.id)) return;
    d.messages.push(m);
    const stuck = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    const streaming = log.querySelector(`.msg.streaming[data-id="${CSS.escape(m.id)}"]`) || (m.role === "bot" && log.querySelector(".msg.streaming"));
    const e = messageEl(m);
    if (streaming) streaming.replaceWith(e); else log.append(e);
    if (m.user_id !== S.me.id) announce(t("role." + (m.role === "note" ? "note" : m.role)) + ": " + m.text);
    if (stuck || m.role !== "shopper") log.scrollTop = log.scrollHeight;
    if (m.role === "shopper") showTyping("");
    refreshMeta();
  }
  // Shopper messages arrive before they are classified: fetch their intent
  // and sentiment a moment later.
  let metaTimer;
  function refreshMeta() {
    clearTimeout(metaTimer);
    metaTimer = setTimeout(async () => {
      const d = S.detail;
      const bare = d ? d.messages.filter(m => m.role === "shopper" && !m.intent && !m.sentiment) : [];
      if (!bare.length) return;
      const after = Math.max(0, Math.min(...bare.map(m => m.seq)) - 1);
      try {
        const fresh = await api("GET", `/conversations/${d.id}` + q({ after }));
        if (S.detail !== d) return;
        for (const m of fresh.messages || []) {
          const i = d.messages.findIndex(x => x.id === m.id);
          const e = $(`#log .msg[data-id="${CSS.escape(m.id)}"]`);
          if (i < 0 || !e || !(m.intent || m.sentiment) || d.messages[i].intent) continue;
          d.messages[i] = m;
          e.replaceWith(messageEl(m));
        }
      } catch (e) { /* badges stay off until the next load */ }
    }, 800);
  }
  function appendDelta(f) {
    const log = $("#log");
    if (!log) return;
    let e = log.querySelector(`.msg[data-id="${CSS.escape(f.id)}"]`);
    if (!e) {
      e = messageEl({ id: f.id, role: "bot", text: "", at: new Date().toISOString(), citations: [] });
      e.classList.add("streaming");
      log.append(e);
    }
    if (!e.classList.contains("streaming")) return;
    if (f.reset) e.querySelector(".b").textContent = ""; // the draft starts again
    e.querySelector(".b").textContent += f.text;
    log.scrollTop = log.scrollHeight;
  }
  let typingTimer;
  function showTyping(text) {
    const e = $("#typing");
    if (!e) return;
    e.textContent = text;
    clearTimeout(typingTimer);
    if (text) typingTimer = setTimeout(() => { e.textContent = ""; }, 5000);
  }

  // The composer: reply or note, canned responses on "/", suggestions.
  let noteMode = false;
  function composer(mine) {
    const d = S.detail;
    const canReply = mine;
    const canNote = d.state !== "resolved";
    const ta = el("textarea", { id: "reply", rows: 3, "aria-controls": "canned", disabled: !canReply && !noteMode });
    const box = el("div.composer" + (noteMode ? ".note" : ""), { id: "composer" });
    const pop = el("div.canned", { id: "canned", role: "listbox", "aria-label": t("nav.canned"), hidden: true });
    let sendBtn;
    const placeholder = () => { ta.setAttribute("aria-label", noteMode ? t("act.note") : t("conv.reply")); ta.placeholder = noteMode ? t("composer.note") : canReply ? t("composer.reply") : t("composer.claimfirst"); ta.disabled = !(noteMode ? canNote : canReply); if (sendBtn) sendBtn.disabled = ta.disabled; };
    const noteBtn = el("button.btn" + (noteMode ? ".on" : ""), { type: "button", id: "note-toggle", "aria-pressed": String(noteMode), disabled: !canNote, text: t("act.note"), on: { click: () => toggleNote() } });
    const suggestBtn = el("button.btn", { type: "button", id: "suggest", text: t("act.suggest"), disabled: d.state === "resolved", on: { click: suggest } });
    sendBtn = el("button.btn.primary", { type: "button", id: "send", text: t("act.send"), on: { click: () => sendReply() } });
    placeholder();
    box.append(pop, ta, el("div.bar", noteBtn, suggestBtn, el("span.sp"), el("span.hint", { id: "hint" }), sendBtn));
    box._toggle = () => { noteMode = !noteMode; box.classList.toggle("note", noteMode); noteBtn.classList.toggle("on", noteMode); noteBtn.setAttribute("aria-pressed", String(noteMode)); placeholder(); if (!ta.disabled) ta.focus(); };

    let cannedItems = [], cannedIdx = 0, cannedSeq = 0;
    async function updateCanned() {
      const m = /^\/([a-z0-9_-]*)$/i.exec(ta.value);
      if (!m) { closeCanned(); return; }
      const my = ++cannedSeq;
      try {
        const page = await api("GET", "/canned" + q({ site: siteOf(d.site_id).key, q: m[1].toLowerCase(), limit: 8 }));
        // A late answer (to an earlier keystroke, or after a pick) must not
        // reopen the list: the next Enter would pick again instead of sending.
        if (my !== cannedSeq || ta.value !== m[0]) return;
        cannedItems = page.items || []; cannedIdx = 0; drawCanned();
      } catch (e) { pop.hidden = true; }
    }
    // The list stays a popup of the editor (focus never leaves it): the
    // current option is its aria-activedescendant, and opening it is announced.
    function drawCanned() {
      const was = !pop.hidden;
      pop.hidden = !cannedItems.length;
      set(pop, ...cannedItems.map((c, i) => el("button", { type: "button", role: "option", id: "canned-" + i, tabindex: "-1", class: i === cannedIdx ? "cur" : "",
        "aria-selected": String(i === cannedIdx), on: { mousedown: ev => { ev.preventDefault(); pickCanned(i); } } }, el("b", "/" + c.shortcut), el("span", c.text))));
      if (pop.hidden) ta.removeAttribute("aria-activedescendant"); else ta.setAttribute("aria-activedescendant", "canned-" + cannedIdx);
      ta.setAttribute("aria-expanded", String(!pop.hidden));
      if (!was && !pop.hidden) announce(t("canned.open", { n: cannedItems.length }));
    }
    function pickCanned(i) { ta.value = cannedItems[i].text; closeCanned(); ta.focus(); }
    function closeCanned() { cannedSeq++; pop.hidden = true; cannedItems = []; ta.removeAttribute("aria-activedescendant"); ta.setAttribute("aria-expanded", "false"); }
    ta.addEventListener("input", () => {
      updateCanned();
      if (!noteMode && Date.now() - S.lastTyping > 2500) { S.lastTyping = Date.now(); send({ type: "typing", conversation_id: d.id }); }
    });
    ta.addEventListener("keydown", ev => {
      if (cannedItems.length && !pop.hidden) {
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); cannedIdx = (cannedIdx + (ev.key === "ArrowDown" ? 1 : cannedItems.length - 1)) % cannedItems.length; drawCanned(); return; }
        if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); pickCanned(cannedIdx); return; }
        if (ev.key === "Escape") { ev.preventDefault(); closeCanned(); return; }
      }
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); sendReply(); }
      else if (ev.key === "Escape") ta.blur();
    });
    box._ta = ta;
    return box;
  }
  function toggleNote() { const c = $("#composer"); if (c) c._toggle(); }

  let sending = false;
  async function sendReply() {
    const c = $("#composer"), d = S.detail;
    if (!c || !d || sending) return;
    const text = c._ta.value.trim();
    if (!text) return;
    sending = true;
    const internal = noteMode;
    try {
      const res = await api("POST", `/conversations/${d.id}/messages`, { text, internal, client_id: uuid() });
      c._ta.value = "";
      S.lastTyping = 0; // the next keystroke says "typing" again
      if (res && res.message) appendMessage(res.message);
    } catch (e) { fail(e); } finally { sending = false; c._ta.focus(); }
  }
  async function suggest() {
    const c = $("#composer"), d = S.detail;
    if (!c || !d) return;
    const hint = $("#hint");
    hint.textContent = t("composer.suggesting");
    try {
      const s = await api("POST", `/conversations/${d.id}/suggest`);
      if (!s.text) { hint.textContent = t("composer.nosuggest"); return; }
      hint.textContent = s.source ? "↳ " + s.source + (s.model ? " · " + s.model : "") : "";
      c._ta.value = s.text; // editable before sending (claim first when it is not yours)
      c._ta.focus();
    } catch (e) { hint.textContent = ""; fail(e); }
  }
  async function claim() {
    const d = S.detail;
    try {
      const conv = await api("POST", `/conversations/${d.id}/claim`);
      Object.assign(S.detail, conv);
      S.detail.assigned_name = S.me.name;
      if (S.tab === "queue") { history.replaceState(null, "", "#/inbox/mine/" + d.id); showInbox("mine", d.id); }
      renderConversation(); refreshList();
      $("#reply") && $("#reply").focus();
    } catch (e) {
      if (e.status === 409) {
        const b = el("div.banner.claimed", { id: "claimed", role: "alert" }, e.message);
        const old = $("#claimed"); old ? old.replaceWith(b) : $("#conv .head").after(b);
        reloadDetail();
      } else fail(e);
    }
  }
  async function action(name, body) {
    const d = S.detail;
    try {
      const conv = await api("POST", `/conversations/${d.id}/${name}`, body);
      Object.assign(S.detail, conv);
      if (name === "handback") S.detail.assigned_name = "";
      if (name === "transfer") S.detail.assigned_name = (S.agents.get(conv.assigned_user_id) || {}).name || "";
      renderConversation(); refreshList();
    } catch (e) { fail(e); }
  }
  async function reloadDetail() {
    if (!S.cur) return;
    const id = S.cur;
    try {
      const d = await api("GET", "/conversations/" + id);
      if (S.cur !== id) return;
      const keepText = $("#reply") ? $("#reply").value : "";
      const keep = $("#claimed");
      S.detail = d; renderConversation();
      if (keepText && $("#reply")) $("#reply").value = keepText;
      if (keep) $("#conv .head").after(keep);
    } catch (e) { /* shown on the next action */ }
  }
  async function transfer() {
    const d = S.detail;
    let list = [];
    try { list = (await api("GET", "/agents" + q({ site: siteOf(d.site_id).key }))).items || []; } catch (e) { return fail(e); }
    list = list.filter(a => a.id !== S.me.id);
    const dlg = dialog(t("transfer.title"), list.length ? list.map(a => el("button.pick", { type: "button", "data-user": a.id, on: { click: () => {
      closeDialog(); S.agents.set(a.id, a); action("transfer", { user_id: a.id });
    } } }, el("i.dot" + (a.status === "online" ? ".live" : a.status === "away" ? ".away" : "")), el("b", a.name), el("span.muted", a.email),
      el("span.muted", { style: "margin-left:auto" }, t("presence." + a.status)))) : el("p.muted", t("transfer.none")));
    const first = dlg.querySelector(".pick"); if (first) first.focus();
  }

  // On a narrow screen the details panel opens over the conversation.
  function toggleSide() {
    S.sideOpen = !S.sideOpen;
    const inbox = $("#inbox"), b = $("#details");
    if (inbox) inbox.classList.toggle("side-open", S.sideOpen);
    if (b) b.setAttribute("aria-expanded", String(S.sideOpen));
    if (S.sideOpen) { const side = $("#side"); if (side) side.focus(); }
  }

  function renderSide() {
    const d = S.detail, side = $("#side");
    if (!side || !d) return;
    const site = siteOf(d.site_id);
    const c = d.customer;
    const rows = [[t("side.site"), site.name], [t("side.started"), when(d.created_at)], [t("side.locale"), d.locale],
      [t("side.contact"), d.contact_email], [t("side.csat"), d.csat_score != null ? "★".repeat(d.csat_score) + "☆".repeat(5 - d.csat_score) : ""]];
    set(side, 
      el("button.btn.side-close", { type: "button", text: t("act.close"), "aria-controls": "side", on: { click: () => { toggleSide(); const b = $("#details"); if (b) b.focus(); } } }),
      el("h3", t("side.details")),
      el("dl", rows.filter(r => r[1]).map(([k, v]) => [el("dt", k), el("dd", v)])),
      el("h3", t("side.customer")),
      c ? el("dl", [el("dt", t("users.name")), el("dd", c.name || "—"), el("dt", t("users.email")), el("dd", c.email || "—")]) : el("p.muted", { style: "font-size:13px" }, t("side.noorders")),
      c ? el("h3", t("side.orders")) : null,
      c ? el("div", { id: "orders" }, (d.orders || []).map(o => el("div.order",
        el("div.l1", el("span", o.number), el("span.badge", o.status)),
        el("div.muted", [o.total != null ? o.total + " " + (o.currency || "") : "", o.carrier ? " · " + o.carrier : "", o.tracking_number ? " " + o.tracking_number : ""].join("")),
        (o.items || []).length ? el("ul", o.items.map(i => el("li", (i.quantity || 1) + " × " + i.title))) : null))) : null,
      // what the bot would suggest to this shopper: related to what they bought, never what they sent back
      c && (d.suggestions || []).length ? el("h3", t("side.suggestions")) : null,
      c && (d.suggestions || []).length ? el("ul", { id: "suggestions" }, d.suggestions.map(p => el("li",
        /^https?:\/\//i.test(p.url || "") ? el("a", { href: p.url, target: "_blank", rel: "noopener" }, p.title) : el("span", p.title), el("span.muted", " " + (p.price != null ? p.price.toFixed(2) + " " + (p.currency || "") : ""))))) : null);
  }

  // ---- Live: the agent socket ----
  let backoff = 500, wsTimer;
  function connect() {
    if (!S.me || S.ws) return;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/agent/ws");
    S.ws = ws;
    ws.onopen = () => { backoff = 500; S.wsUp = true; updateConn(); send({ type: "presence", status: S.presence }); };
    ws.onmessage = ev => { let f; try { f = JSON.parse(ev.data); } catch (e) { return; } onFrame(f); };
    ws.onclose = ev => {
      const was = S.wsUp;
      S.ws = null; S.wsUp = false; updateConn();
      if (ev.code === 4001) return signedOut(t("login.expired"));
      if (!S.me) return;
      wsTimer = setTimeout(connect, backoff + Math.random() * backoff / 2);
      backoff = Math.min(backoff * 2, 15000);
      if (was) { /* reload what may have been missed */ }
    };
  }
  function closeSocket() {
    clearTimeout(wsTimer);
    if (S.ws) { const ws = S.ws; S.ws = null; ws.onclose = null; ws.close(); }
    S.wsUp = false;
  }
  function send(f) { if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify(f)); }

  function onFrame(f) {
    switch (f.type) {
      case "welcome":
        if (f.counts) setCounts(f.counts);
        for (const a of f.agents || []) S.agents.set(a.id, a);
        refreshList(); if (S.cur) reloadDetail();
        break;
      case "counts":
        setCounts({ queued: f.queued, mine: f.mine, open: f.open });
        break;
      case "message":
        if (f.message && f.message.role === "shopper" && mine(f.conversation_id)) desktop(t("notify.msg"), f.preview || "", f.conversation_id);
        if (f.conversation_id === S.cur && f.message) appendMessage(f.message);
        if (S.items.some(i => i.id === f.conversation_id)) refreshList();
        break;
      case "delta":
        if (f.conversation_id === S.cur) appendDelta(f);
        break;
      case "state":
        if (f.state === "queued") notifyQueued();
        refreshList();
        if (f.conversation_id === S.cur && S.detail) {
          // Some state events repeat the state without its owner: ask the server.
          if (f.state === "agent" && f.assigned_user_id == null) { if (S.detail.state !== "agent") reloadDetail(); break; }
          const keep = $("#reply") ? $("#reply").value : "";
          S.detail.state = f.state;
          S.detail.assigned_user_id = f.assigned_user_id ?? null;
          S.detail.assigned_name = (f.agent && f.agent.name) || (S.agents.get(f.assigned_user_id) || {}).name || "";
          const banner = $("#claimed");
          renderConversation();
          announce(t("state." + f.state) + (S.detail.assigned_name && f.state === "agent" ? " · " + S.detail.assigned_name : ""));
          if (keep && $("#reply")) $("#reply").value = keep;
          if (banner && f.state === "agent" && f.assigned_user_id !== S.me.id) $("#conv .head").after(banner);
        }
        break;
      case "typing":
        if (f.conversation_id === S.cur && !(f.user_id === S.me.id)) showTyping(f.role === "shopper" ? t("typing.shopper") : t("typing.agent", { name: f.name || "" }));
        break;
      case "presence":
        S.agents.set(f.user_id, { id: f.user_id, name: f.name, status: f.status });
        break;
      case "notice": // admins: a webhook was turned off …
        toast(f.text || f.code, true);
        announce(f.text || f.code);
        desktop(t("notify.notice"), f.text || "", "notice-" + f.code);
        break;
      case "error":
        toast(f.message || f.code, true);
        break;
    }
  }
  // Desktop notifications: the user's preference (Notifications page, kept
  // on the server), the browser's permission (asked on a click there or in
  // the help), and only while the console is in the background. The body
  // is the server's short redacted preview, never the whole message.
  S.notify = localStorage.getItem("kefu.notify") !== "0";
  function setBrowserNotify(on) { S.notify = !!on; localStorage.setItem("kefu.notify", on ? "1" : "0"); }
  async function saveBrowserNotify(on) {
    setBrowserNotify(on);
    if (on && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
    try { const p = await api("GET", "/notifications/preferences"); p.browser = on; await api("PUT", "/notifications/preferences", p); } catch (e) { /* kept in this browser */ }
  }
  function desktop(title, body, tag) {
    if (!S.notify || !document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification(title, { body, tag: tag || "", lang: lang === "zh" ? "zh-CN" : "en" });
      n.onclick = () => { window.focus(); if (tag && /^[0-9a-f-]{36}$/.test(tag)) location.hash = "#/inbox/mine/" + tag; n.close(); };
    } catch (e) { /* not allowed here */ }
  }
  // mine: the conversation is assigned to the signed-in agent.
  const mine = id => S.items.some(i => i.id === id && i.assigned_user_id === S.me.id) ||
    !!(S.detail && S.detail.id === id && S.detail.assigned_user_id === S.me.id);
  function notifyQueued() {
    if (!S.notify) return;
    chime();
    desktop(t("notify.new"), "", "queue");
  }
  // chime plays two short tones (WebAudio: no sound file to fetch).
  let audio;
  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [660, 880].forEach((hz, i) => {
        const o = audio.createOscillator(), g = audio.createGain(), at = audio.currentTime + i * 0.16;
        o.frequency.value = hz;
        g.gain.setValueAtTime(0.0001, at);
        g.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
        o.connect(g).connect(audio.destination);
        o.start(at);
        o.stop(at + 0.16);
      });
    } catch (e) { /* no audio here */ }
  }

  // ---- Overlays and keyboard ----
  function dialog(title, ...body) {
    closeDialog();
    const prev = document.activeElement;
    const dlg = el("div.dialog", { role: "dialog", "aria-modal": "true", "aria-labelledby": "dialog-title" }, el("h2", { id: "dialog-title" }, title), body,
      el("div.end", el("button.btn", { type: "button", text: t("act.close"), on: { click: closeDialog } })));
    // Modal: Tab and Shift+Tab go round inside it.
    dlg.addEventListener("keydown", ev => {
      if (ev.key !== "Tab") return;
      const f = [...dlg.querySelectorAll("button,input,select,textarea,a[href],[tabindex]")].filter(e => !e.disabled && e.tabIndex >= 0 && e.offsetParent);
      const first = f[0], last = f[f.length - 1];
      if (ev.shiftKey ? document.activeElement === first : document.activeElement === last) { ev.preventDefault(); (ev.shiftKey ? last : first).focus(); }
    });
    const o = el("div.overlay", { id: "overlay", on: { click: ev => { if (ev.target === o) closeDialog(); } } }, dlg);
    o._prev = prev;
    document.body.append(o);
    dlg.querySelector("button").focus();
    return dlg;
  }
  function closeDialog() { const o = $("#overlay"); if (o) { o.remove(); if (o._prev && o._prev.focus) o._prev.focus(); } }
  function help() {
    const keys = [["j / k", "help.jk"], ["1 – 4", "help.1"], ["c", "help.c"], ["r", "help.r"], ["n", "help.n"], ["s", "help.s"],
      ["t", "help.t"], ["h", "help.h"], ["e", "help.e"], ["?", "help.q"], ["Esc", "help.esc"]];
    dialog(t("help.title"), el("div.keys", { id: "help" }, keys.map(([k, key]) => [el("span", k.split(" ").map(p => p.length > 1 && p !== "Esc" ? " " + p + " " : el("kbd", p))), el("span", t(key))])),
      el("label", { style: "display:flex;gap:6px;margin-top:14px;font-size:13px" }, el("input", { type: "checkbox", id: "keys-on", checked: keysOn(), on: { change: ev => {
        localStorage.setItem("kefu.keys", ev.target.checked ? "1" : "0");
      } } }), t("help.keys")),
      el("label", { style: "display:flex;gap:6px;margin-top:8px;font-size:13px" }, el("input", { type: "checkbox", checked: S.notify, on: { change: ev => {
        saveBrowserNotify(ev.target.checked);
      } } }), t("notify.on")));
  }
  // Single-key shortcuts are on unless turned off in the help ("?", which stays on).
  const keysOn = () => localStorage.getItem("kefu.keys") !== "0";
  document.addEventListener("keydown", ev => {
    if (!S.me) return;
    if (ev.key === "Escape" && $("#overlay")) { closeDialog(); return; }
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if ($("#overlay")) return;
    if (ev.key !== "?" && !keysOn()) return;
    const inInbox = !!$("#inbox");
    const click = sel => { const b = $(sel); if (b && !b.disabled) { ev.preventDefault(); b.click(); } };
    switch (ev.key) {
      case "?": ev.preventDefault(); help(); break;
      case "j": case "k": {
        if (!inInbox || !S.items.length) break;
        const i = S.items.findIndex(x => x.id === S.cur);
        const n = i < 0 ? 0 : Math.max(0, Math.min(S.items.length - 1, i + (ev.key === "j" ? 1 : -1)));
        go(S.items[n].id);
        setTimeout(() => { const r = $(`.row[data-id="${CSS.escape(S.items[n].id)}"]`); if (r) r.scrollIntoView({ block: "nearest" }); }, 0);
        break;
      }
      case "1": case "2": case "3": case "4": if (inInbox) location.hash = "#/inbox/" + Object.keys(TABS)[+ev.key - 1]; break;
      case "c": click('[data-act="claim"]'); break;
      case "e": click('[data-act="resolve"]'); break;
      case "h": click('[data-act="handback"]'); break;
      case "t": click('[data-act="transfer"]'); break;
      case "s": click("#suggest"); break;
      case "n": if ($("#composer")) { ev.preventDefault(); toggleNote(); } break;
      case "r": { const r = $("#reply"); if (r && !r.disabled) { ev.preventDefault(); r.focus(); } break; }
    }
  });

  // ---- Admin: shared bits ----
  function sitePicker(onChange) {
    const key = sessionStorage.getItem("kefu.site") || (S.sites[0] && S.sites[0].key) || "";
    const sel = el("select", { id: "site", "aria-label": t("kb.site"), on: { change: () => { sessionStorage.setItem("kefu.site", sel.value); onChange(sel.value); } } },
      S.sites.map(s => el("option", { value: s.key, selected: s.key === key, text: s.name })));
    return sel;
  }
  const currentSite = () => { const s = $("#site"); return s ? s.value : (S.sites[0] && S.sites[0].key) || ""; };
  function pager(fetchPage, draw) {
    // Draws pages into a tbody with a "load more" button; returns reload().
    let next = "", seq = 0;
    const more = el("button.btn.more", { type: "button", hidden: true, text: t("list.more"), on: { click: () => load(true) } });
    async function load(append) {
      // Only the latest load draws: a filter changed twice quickly must not
      // end showing the first answer because it arrived last.
      const my = ++seq;
      try {
        const page = await fetchPage(append ? next : "");
        if (my !== seq) return;
        next = page.next_cursor || "";
        draw(page.items || [], append);
        more.hidden = !next;
      } catch (e) { if (my === seq) fail(e); }
    }
    return { more, load };
  }
  async function copy(text, btn) {
    try { await navigator.clipboard.writeText(text); }
    catch (e) { const ta = el("textarea", { style: "position:fixed;opacity:0" }); ta.value = text; document.body.append(ta); ta.select(); document.execCommand("copy"); ta.remove(); }
    if (btn) { btn.textContent = t("act.copied"); setTimeout(() => { btn.textContent = t("act.copy"); }, 1500); }
  }

  // ---- Admin: knowledge ----
  function pageKnowledge(main) {
    const tbody = el("tbody", { id: "docs" });
    const uploads = el("div.uploads", { id: "uploads" });
    const input = el("input", { type: "file", id: "files", multiple: true, hidden: true, accept: ".md,.markdown,.txt,.html,.htm,.pdf,text/*,application/pdf", on: { change: () => { upload([...input.files]); input.value = ""; } } });
    const drop = el("div.drop", { id: "drop", on: {
      dragover: ev => { ev.preventDefault(); drop.classList.add("over"); },
      dragleave: () => drop.classList.remove("over"),
      drop: ev => { ev.preventDefault(); drop.classList.remove("over"); upload([...ev.dataTransfer.files]); },
    } }, t("kb.drop"), " ", el("button.btn", { type: "button", text: t("act.upload"), on: { click: () => input.click() } }), input);
    const filter = el("input", { type: "search", id: "docq", placeholder: t("kb.filter"), "aria-label": t("kb.filter"), on: { input: () => {
      clearTimeout(filter._t); filter._t = setTimeout(() => docs.load(), 250);
    } } });
    const docs = pager(cursor => api("GET", "/knowledge/documents" + q({ site: currentSite(), q: filter.value.trim() || undefined, cursor, limit: 25 })), (items, append) => {
      const rows = items.map(doc => el("tr", { "data-doc": doc.id },
        el("td", el("b", doc.title || doc.source), el("div.muted.mono", doc.source)),
        el("td", el("span.st-" + cls(doc.status), doc.status), doc.error ? el("div.err", doc.error) : null),
        el("td", String(doc.chunks)), el("td", bytes(doc.size_bytes || 0)), el("td.muted", ago(doc.updated_at)),
        el("td", el("button.btn.small.danger", { type: "button", text: t("act.delete"), on: { click: async () => {
          if (!confirmInline(doc)) return;
          try { await api("DELETE", `/knowledge/documents/${doc.id}` + q({ site: currentSite() })); docs.load(); } catch (e) { fail(e); }
        } } }))));
      append ? tbody.append(...rows) : set(tbody, ...rows);
      if (!append && !rows.length) tbody.append(el("tr", el("td.muted", { colspan: 6 }, t("list.empty"))));
    });
    function confirmInline(doc) { return window.KEFU_CONFIRM ? window.KEFU_CONFIRM(doc) : confirm(t("kb.confirm", { name: doc.title || doc.source })); }
    async function upload(files) {
      for (const f of files) {
        const bar = el("progress", { max: 1, value: 0, "aria-label": f.name }), st = el("span.st-uploading", "uploading");
        uploads.prepend(el("div.up", { "data-file": f.name }, el("span.name", { title: f.name, text: f.name }), bar, st));
        const fd = new FormData(); fd.append("file", f);
        api("POST", "/knowledge/documents" + q({ site: currentSite() }), fd).then(doc => poll(doc, bar, st)).catch(e => { st.className = "st-failed"; st.textContent = e.message; });
      }
    }
    async function poll(doc, bar, st) {
      for (;;) {
        bar.value = doc.status === "ready" ? 1 : doc.progress || 0;
        st.className = "st-" + cls(doc.status); st.textContent = doc.status + (doc.duplicate ? " (duplicate)" : "") + (doc.error ? ": " + doc.error : "");
        if (doc.status === "ready" || doc.status === "failed") { docs.load(); return; }
        await new Promise(r => setTimeout(r, 700));
        try { doc = await api("GET", `/knowledge/documents/${doc.id}` + q({ site: currentSite() })); } catch (e) { st.textContent = e.message; return; }
      }
    }
    // Re-index: rebuild every embedding (after changing the embedding model), with progress.
    const reindexBar = el("progress", { max: 1, value: 0, hidden: true, id: "reindex-bar", "aria-label": t("act.reindex") });
    const reindexSt = el("span.muted", { id: "reindex-st", role: "status" });
    const reindexBtn = el("button.btn.small", { type: "button", id: "reindex", text: t("act.reindex"), on: { click: async () => {
      reindexBtn.disabled = true;
      try {
        let st = await api("POST", "/knowledge/reindex");
        reindexBar.hidden = false;
        while (st.running) {
          reindexBar.value = st.total ? st.done / st.total : 0;
          reindexSt.textContent = t("kb.reindexing", { done: st.done, total: st.total });
          await new Promise(r => setTimeout(r, 700));
          st = await api("GET", "/knowledge/reindex");
        }
        reindexBar.value = 1;
        reindexSt.textContent = st.error || t("kb.reindexed", { model: st.model });
      } catch (e) { fail(e); }
      reindexBtn.disabled = false;
    } } });
    const qi = el("input", { type: "search", id: "kbq", placeholder: t("kb.search.ph"), "aria-label": t("kb.search"), style: "flex:1;min-width:200px" });
    const hits = el("div", { id: "hits", "aria-live": "polite" });
    const search = el("form.form", { on: { submit: async ev => {
      ev.preventDefault();
      if (!qi.value.trim()) return;
      try {
        const res = await api("GET", "/knowledge/search" + q({ site: currentSite(), q: qi.value.trim(), k: 8 }));
        const list = res.hits || [];
        set(hits, el("p.muted", t("kb.confidence", { n: (res.confidence || 0).toFixed(2) })),
          ...(list.length ? list.map((h, i) => el("div.hit",
            el("div.l1", el("span.rank", "#" + (i + 1)), el("span.t", h.title || h.source), h.heading ? el("span.muted", "› " + h.heading) : null,
              el("span.badge", "score " + (h.score || 0).toFixed(4)), h.similarity != null ? el("span.badge", "sim " + h.similarity.toFixed(3)) : null),
            el("p", h.text))) : [el("p.muted", t("kb.nohits"))]));
      } catch (e) { fail(e); }
    } } }, qi, el("button.btn.primary", { type: "submit", text: t("act.search") }));
    main.append(el("div.page",
      el("h1", t("kb.title"), sitePicker(() => { docs.load(); set(hits); })),
      el("div.card", drop, uploads),
      el("div.card", el("h2", t("kb.search")), search, hits),
      el("div.card", el("div.card-head", el("h2", t("kb.docs")), reindexBtn, reindexBar, reindexSt), filter,
        el("div.scroll", el("table", el("thead", el("tr", ["kb.doc", "kb.status", "kb.chunks", "kb.size", "kb.updated", "col.actions"].map(k => el("th", t(k))))), tbody)), docs.more)));
    docs.load();
  }

  // ---- Admin: sites ----
  async function pageSites(main) {
    const page = el("div.page", el("h1", t("nav.sites")));
    main.append(page);
    let sites = [];
    try { sites = (await api("GET", "/sites")).items || []; } catch (e) { return fail(e); }
    const base = location.origin;
    for (const site of sites) {
      const cfg = site.settings || {}, esc = cfg.escalation || {};
      const snippet = `<script src="${base}/widget.js" data-site="${site.key}" async></script>`;
      const copyBtn = el("button.btn", { type: "button", text: t("act.copy"), on: { click: () => copy(snippet, copyBtn) } });
      const f = {
        persona: el("textarea", { rows: 2, name: "persona" }), rules: el("textarea", { rows: 2, name: "rules" }),
        neg: el("input", { type: "number", min: 0, name: "negative_streak" }), noans: el("input", { type: "number", min: 0, name: "no_answer_streak" }),
        angry: el("input", { type: "checkbox", name: "escalate_angry" }), minutes: el("input", { type: "number", min: 0, name: "minutes_per_queued" }),
        tz: el("input", { type: "text", name: "timezone", placeholder: "Asia/Shanghai" }),
        open: el("input", { type: "time", name: "open", "aria-label": t("sites.opens") }), close: el("input", { type: "time", name: "close", "aria-label": t("sites.closes") }),
        days: [0, 1, 2, 3, 4, 5, 6].map(d => el("input", { type: "checkbox", name: "day" + d, value: String(d) })),
        color: el("input", { type: "color", name: "color" }), title: el("input", { type: "text", name: "title" }),
        greeting: el("input", { type: "text", name: "greeting" }),
        convDays: el("input", { type: "number", min: 0, step: 1, name: "conversation_days", placeholder: "365" }),
        fileDays: el("input", { type: "number", min: 0, step: 1, name: "file_days", placeholder: "90" }),
        mask: el("input", { type: "checkbox", name: "mask_contacts" }),
      };
      const hours = cfg.business_hours || {}, look = cfg.widget || {};
      f.tz.value = hours.timezone || ""; f.open.value = hours.open || ""; f.close.value = hours.close || "";
      f.days.forEach(c => { c.checked = (hours.days || []).includes(Number(c.value)); });
      f.color.value = look.color || "#7c4a34"; f.title.value = look.title || ""; f.greeting.value = look.greeting || "";
      const ret = cfg.retention || {};
      f.convDays.value = ret.conversation_days ?? ""; f.fileDays.value = ret.file_days ?? ""; f.mask.checked = !!cfg.mask_contacts;
      // What this site sends to the model, next to the setting that changes it.
      const md = el("div.md.wide", { "data-md": site.key });
      const loadMD = () => modelData(site.key, md, "");
      loadMD();
      // Empty fields keep the server's defaults (shown as placeholders).
      f.persona.placeholder = "You are the friendly customer-service assistant of an online shop.";
      f.neg.placeholder = "2"; f.noans.placeholder = "2"; f.minutes.placeholder = "3";
      f.persona.value = cfg.persona || ""; f.rules.value = cfg.rules || "";
      f.neg.value = esc.negative_streak ?? ""; f.noans.value = esc.no_answer_streak ?? ""; f.angry.checked = esc.escalate_angry ?? true; f.minutes.value = cfg.minutes_per_queued ?? "";
      const form = el("form", { "data-site": site.key, on: { submit: async ev => {
        ev.preventDefault();
        const cur = site.settings || {};
        const next = { ...cur, escalation: { ...(cur.escalation || {}), escalate_angry: f.angry.checked } };
        const put = (obj, k, v) => { if (v === "") delete obj[k]; else obj[k] = v; };
        put(next, "persona", f.persona.value.trim()); put(next, "rules", f.rules.value.trim());
        put(next, "minutes_per_queued", f.minutes.value === "" ? "" : Number(f.minutes.value));
        put(next.escalation, "negative_streak", f.neg.value === "" ? "" : Number(f.neg.value));
        put(next.escalation, "no_answer_streak", f.noans.value === "" ? "" : Number(f.noans.value));
        const days = f.days.filter(c => c.checked).map(c => Number(c.value));
        next.business_hours = f.open.value || f.close.value || days.length
          ? { timezone: f.tz.value.trim(), open: f.open.value, close: f.close.value, days } : {};
        next.widget = { ...(cur.widget || {}), color: f.color.value };
        put(next.widget, "title", f.title.value.trim()); put(next.widget, "greeting", f.greeting.value.trim());
        // Retention days: empty keeps the server's default, 0 keeps forever.
        next.retention = { ...(cur.retention || {}) };
        put(next.retention, "conversation_days", f.convDays.value === "" ? "" : Number(f.convDays.value));
        put(next.retention, "file_days", f.fileDays.value === "" ? "" : Number(f.fileDays.value));
        if (!Object.keys(next.retention).length) delete next.retention;
        next.mask_contacts = f.mask.checked;
        try { await api("PUT", `/sites/${encodeURIComponent(site.key)}/settings`, next); site.settings = next; toast(t("sites.saved")); loadMD(); } catch (e) { fail(e); }
      } } }, el("div.grid2",
        el("label.wide", t("sites.persona"), f.persona), el("label.wide", t("sites.rules"), f.rules),
        el("label", t("sites.neg"), f.neg), el("label", t("sites.noanswer"), f.noans),
        el("label", t("sites.minutes"), f.minutes), el("label.check", f.angry, t("sites.angry")),
        el("label", t("sites.tz"), f.tz), el("fieldset", el("legend", t("sites.hours")), el("span", f.open, " – ", f.close)),
        el("fieldset.wide", el("legend", t("sites.days")), el("span.days", f.days.map((c, d) => el("label.check", c, t("day." + d))))),
        el("label", t("sites.color"), f.color), el("label", t("sites.title"), f.title),
        el("label.wide", t("sites.greeting"), f.greeting),
        el("h3.wide.sub", t("sites.privacy")),
        el("label", t("sites.retconv"), f.convDays), el("label", t("sites.retfiles"), f.fileDays),
        el("label.check.wide", f.mask, t("sites.mask")), md),
        el("div", { style: "margin-top:10px" }, el("button.btn.primary", { type: "submit", text: t("act.save") })));
      page.append(el("div.card", el("h2", site.name),
        el("table", el("tbody",
          el("tr", el("th", t("sites.key")), el("td.mono", site.key)),
          el("tr", el("th", t("sites.origins")), el("td", (site.allowed_origins || []).join(", ") || "—")),
          site.secret ? el("tr", el("th", t("sites.secret")), el("td.mono", site.secret)) : null)),
        el("h2", { style: "margin-top:14px" }, t("sites.snippet")), el("div.snippet", el("code", { class: "snippet-code", tabindex: "0", text: snippet }), copyBtn),
        el("h2", { style: "margin-top:14px" }, t("sites.settings")), form));
    }
  }

  // ---- Admin: users ----
  function pageUsers(main) {
    const tbody = el("tbody", { id: "users" });
    const keyOf = id => (S.sites.find(s => s.id === id) || {}).key;
    const list = pager(cursor => api("GET", "/users" + q({ cursor, limit: 50 })), (items, append) => {
      const rows = items.map(u => {
        const sitesSel = el("select", { multiple: true, size: Math.min(3, S.sites.length || 1), "aria-label": t("users.sites"), disabled: u.role === "admin" },
          S.sites.map(s => el("option", { value: s.key, selected: (u.site_ids || []).includes(s.id), text: s.name })));
        sitesSel.addEventListener("change", async () => {
          try { await api("PUT", `/users/${u.id}/sites`, { sites: [...sitesSel.selectedOptions].map(o => o.value) }); toast(t("sites.saved")); } catch (e) { fail(e); }
        });
        return el("tr", { "data-user": u.id }, el("td", el("b", u.name)), el("td", u.email), el("td", u.role),
          el("td", u.role === "admin" ? el("span.muted", t("users.allsites")) : sitesSel),
          el("td", u.disabled ? el("span.err", t("users.disabled")) : t("users.active")),
          el("td", u.id === S.me.id ? null : el("button.btn.small" + (u.disabled ? "" : ".danger"), { type: "button", text: t(u.disabled ? "act.enable" : "act.disable"), on: { click: async () => {
            try { await api("POST", `/users/${u.id}/${u.disabled ? "enable" : "disable"}`); list.load(); } catch (e) { fail(e); }
          } } })));
      });
      append ? tbody.append(...rows) : set(tbody, ...rows);
    });
    void keyOf;
    const f = { email: el("input", { type: "email", required: true }), name: el("input", { type: "text", required: true }),
      role: el("select", ["agent", "admin"].map(r => el("option", { value: r, text: r }))), password: el("input", { type: "password", autocomplete: "new-password" }) };
    const out = el("div", { id: "created" });
    const form = el("form.form", { on: { submit: async ev => {
      ev.preventDefault();
      try {
        const res = await api("POST", "/users", { email: f.email.value.trim(), name: f.name.value.trim(), role: f.role.value, password: f.password.value, sites: S.sites.map(s => s.key) });
        set(out, res.password ? el("div.secret", t("users.created", { pw: res.password })) : "");
        f.email.value = f.name.value = f.password.value = "";
        list.load();
      } catch (e) { fail(e); }
    } } }, el("label", t("users.email"), f.email), el("label", t("users.name"), f.name), el("label", t("users.role"), f.role),
      el("label", t("users.password"), f.password), el("button.btn.primary", { type: "submit", text: t("act.create") }));
    main.append(el("div.page", el("h1", t("nav.users")),
      el("div.card", el("h2", t("users.invite")), form, out),
      el("div.card", el("table", el("thead", el("tr", ["users.name", "users.email", "users.role", "users.sites", "users.status", "col.actions"].map(k => el("th", t(k))))), tbody), list.more)));
    list.load();
  }

  // ---- Admin: canned responses ----
  function pageCanned(main) {
    const tbody = el("tbody", { id: "canned-list" });
    const list = pager(cursor => api("GET", "/canned" + q({ site: currentSite(), cursor, limit: 50 })), (items, append) => {
      const rows = items.map(c => el("tr", el("td.mono", "/" + c.shortcut), el("td", { style: "white-space:pre-wrap" }, c.text),
        el("td", el("button.btn.small.danger", { type: "button", text: t("act.delete"), on: { click: async () => {
          try { await api("DELETE", `/canned/${c.id}`); list.load(); } catch (e) { fail(e); }
        } } }))));
      append ? tbody.append(...rows) : set(tbody, ...rows);
    });
    const sc = el("input", { type: "text", required: true, pattern: "[a-z0-9][a-z0-9_-]*", placeholder: "refund" }), tx = el("textarea", { rows: 2, required: true, style: "min-width:320px" });
    const form = el("form.form", { on: { submit: async ev => {
      ev.preventDefault();
      try { await api("POST", "/canned" + q({ site: currentSite() }), { shortcut: sc.value.trim(), text: tx.value }); sc.value = tx.value = ""; list.load(); } catch (e) { fail(e); }
    } } }, el("label", t("canned.shortcut"), sc), el("label", t("canned.text"), tx), el("button.btn.primary", { type: "submit", text: t("act.create") }));
    main.append(el("div.page", el("h1", t("nav.canned"), sitePicker(() => list.load())),
      el("div.card", el("h2", t("canned.add")), form),
      el("div.card", el("table", el("thead", el("tr", el("th", t("canned.shortcut")), el("th", t("canned.text")), el("th", t("col.actions")))), tbody), list.more)));
    list.load();
  }

  // ---- Admin: API tokens ----
  function pageTokens(main) {
    const tbody = el("tbody", { id: "tokens" });
    const list = pager(cursor => api("GET", "/tokens" + q({ cursor, limit: 50 })), (items, append) => {
      const rows = items.map(tk => el("tr", el("td", el("b", tk.name)), el("td.mono", tk.prefix || ""),
        el("td", tk.site_id ? siteOf(tk.site_id).name : "—"), el("td.muted", when(tk.created_at)), el("td.muted", tk.last_used_at ? ago(tk.last_used_at) : "—"),
        el("td", tk.revoked_at ? el("span.muted", t("tokens.revoked")) : el("button.btn.small.danger", { type: "button", text: t("act.revoke"), on: { click: async () => {
          try { await api("DELETE", `/tokens/${tk.id}`); list.load(); } catch (e) { fail(e); }
        } } }))));
      append ? tbody.append(...rows) : set(tbody, ...rows);
    });
    const name = el("input", { type: "text", required: true });
    const site = el("select", el("option", { value: "", text: "—" }), S.sites.map(s => el("option", { value: s.key, text: s.name })));
    const out = el("div", { id: "token-once" });
    const form = el("form.form", { on: { submit: async ev => {
      ev.preventDefault();
      try {
        const res = await api("POST", "/tokens", { name: name.value.trim(), site: site.value });
        const b = el("button.btn", { type: "button", text: t("act.copy"), on: { click: () => copy(res.token, b) } });
        set(out, el("div.secret", el("div", t("tokens.once")), el("div.snippet", el("code", res.token), b)));
        name.value = ""; list.load();
      } catch (e) { fail(e); }
    } } }, el("label", t("tokens.name"), name), el("label", t("tokens.site"), site), el("button.btn.primary", { type: "submit", text: t("act.create") }));
    main.append(el("div.page", el("h1", t("nav.tokens")), el("div.card", el("h2", t("tokens.add")), form, out),
      el("div.card", el("table", el("thead", el("tr", [t("tokens.name"), t("tokens.prefix"), t("kb.site"), t("tokens.created"), t("tokens.lastused"), t("col.actions")].map(x => el("th", x)))), tbody), list.more)));
    list.load();
  }

  // ---- Admin: model ----
  // modelData draws into box what the site sends to the model endpoint
  // (GET /privacy/model-data), in plain words; name is the model's, if known.
  async function modelData(key, box, name) {
    try {
      const md = await api("GET", "/privacy/model-data" + q({ site: key }));
      // Server phrases are English; the UI translates those it knows ("md:" keys).
      const tr = s => { const k = "md:" + s, v = t(k); return v === k ? s : v; };
      const part = (head, list, id) => list && list.length ? [el("h4", head), el("ul", { "data-md-part": id }, list.map(s => el("li", tr(s))))] : null;
      set(box, !md.configured ? el("p.md-head.md-none", { text: t("md.offline") }) : [
        el("p.md-head", name ? t("md.sent", { name }) : t("md.sent.endpoint")),
        el("ul", { "data-md-part": "sent" }, md.sent.map(s => el("li", tr(s)))),
        part(t("md.masked"), md.masked, "masked"), part(t("md.never"), md.never_sent, "never")]);
      box.dataset.configured = String(!!md.configured);
    } catch (e) { set(box, el("p.err", e.message)); }
  }

  async function pageModel(main) {
    const card = el("div.card", { id: "model" }, t("list.loading"));
    const md = el("div.md", { id: "model-data" }, t("list.loading"));
    let name = "";
    const picker = S.sites.length > 1 ? sitePicker(() => modelData(currentSite(), md, name)) : null;
    main.append(el("div.page", el("h1", t("model.title")), card,
      el("div.card", el("div.card-head", el("h2.md-title", t("md.title")), picker), md)));
    try {
      const m = await api("GET", "/model");
      name = m.configured ? m.name || "" : "";
      set(card, el("table", el("tbody",
        el("tr", el("th", t("model.configured")), el("td", t(m.configured ? "yes" : "no"))),
        m.configured ? el("tr", el("th", t("model.name")), el("td.mono", m.name || "")) : null,
        m.configured ? el("tr", el("th", t("model.available")), el("td", el("span", { class: m.available ? "st-ready" : "st-failed", text: t(m.available ? "yes" : "no") }))) : null)),
        !m.configured ? el("p.muted", t("model.offline")) : !m.available ? el("p.err", t("model.open")) : null);
    } catch (e) { set(card, el("span.err", e.message)); }
    modelData(currentSite(), md, name);
  }


  // kit is what the pages in other files may use.
  const kit = () => ({ S, el, add, set, $, api, t, lang: () => lang, toast, fail, isAdmin, sitePicker, currentSite, pager, copy, dialog, closeDialog, announce, tongue });

  // ---- Start ----
  function start() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    if (location.pathname !== "/console") history.replaceState(null, "", "/console" + location.hash);
    connect();
    route();
    api("GET", "/notifications/preferences").then(p => setBrowserNotify(p.browser), () => { /* not enabled here */ });
    // Times in the list age while the page is open.
    if (!S.ticking) S.ticking = setInterval(() => { if ($("#rows") && !document.hidden) renderList(); }, 30000);
  }
  async function boot() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    try {
      setSession(await api("GET", "/auth/me"));
      start();
    } catch (e) {
      renderLogin(e.status === 401 || e.status === 403 ? "" : e.message);
    }
  }
  window.kefuConsole = { state: S, setBrowserNotify };
  boot();
})();
