/*! kefu chat widget. Embed with one tag:
 *  <script src="https://HOST/widget.js" data-site="SITE_KEY" async></script>
 * Optional: data-locale, data-color, data-position (left|right), data-title, data-greeting.
 * API (calls made before the script loads are queued by the usual stub):
 *  window.kefu=window.kefu||function(){(kefu.q=kefu.q||[]).push(arguments)};
 *  kefu('identify',{user_id,email,hash}) kefu('open') kefu('close') kefu('toggle') kefu('reset')
 * Every piece of text from the network is put in the page with textContent or
 * DOM nodes, never as HTML. */
(() => {
  "use strict";
  const w = window, d = document;
  if (w.kefu && w.kefu.loaded) return;
  const me = d.currentScript || [...d.querySelectorAll("script[data-site]")].pop();
  if (!me || !me.dataset.site) return;
  const ds = me.dataset, site = ds.site, origin = new URL(me.src, location.href).origin;
  const wsURL = origin.replace(/^http/, "ws") + "/v1/widget/ws?site=" + encodeURIComponent(site);

  const T = {
    en: {
      title: "Chat with us", greet: "Hi there! How can we help you today?", open: "Open chat", close: "Close chat",
      bot: "Assistant", agent: "Support team", you: "You", botSub: "Our assistant replies instantly",
      waitSub: "Waiting for a person", doneSub: "Conversation resolved", ph: "Write a message…", send: "Send",
      human: "Talk to a person", sending: "Sending…", waiting: "Not sent yet — waits for the connection",
      reconnecting: "Connection lost. Reconnecting…", queued: "Waiting for a person to join — you can keep writing here.",
      joined: "%s joined the conversation", withAgent: "You're chatting with our support team",
      back: "You're back with the assistant", resolved: "This conversation was marked as resolved.",
      rate: "How would you rate this conversation?", stars: "%s out of 5", comment: "Anything else to tell us? (optional)",
      rateSend: "Send feedback", thanks: "Thank you for your feedback!", sources: "Sources", topics: "Did you mean…", related: "Not what you asked? Try:",
      unread: "%s unread", soldOut: "Out of stock", error: "Something went wrong. Please try again.",
      slow: "You're sending messages quickly — please wait a moment.", powered: "Powered by kefu", chat: "Messages",
    },
    zh: {
      title: "在线客服", greet: "您好！请问有什么可以帮您？", open: "打开在线客服", close: "关闭",
      bot: "智能助手", agent: "人工客服", you: "我", botSub: "智能助手 · 即时回复",
      waitSub: "正在等待人工客服", doneSub: "对话已结束", ph: "输入消息…", send: "发送",
      human: "转人工客服", sending: "发送中…", waiting: "尚未发送，连接恢复后自动发送",
      reconnecting: "连接已断开，正在重新连接…", queued: "正在为您转接人工客服，您可以继续在这里留言。",
      joined: "%s 已加入对话", withAgent: "人工客服正在为您服务",
      back: "已为您切换回智能助手", resolved: "本次对话已结束。",
      rate: "您对本次服务满意吗？", stars: "%s 分（满分 5 分）", comment: "还有什么想告诉我们的吗？（选填）",
      rateSend: "提交评价", thanks: "感谢您的评价！", sources: "参考来源", topics: "您是想问…", related: "不是您要问的？试试：",
      unread: "%s 条未读", soldOut: "缺货", error: "出错了，请稍后重试。",
      slow: "您发送得太快了，请稍等片刻。", powered: "由 kefu 提供支持", chat: "聊天记录",
    },
  };

  // ---- persisted state: visitor token and outbox per site (localStorage),
  // panel open per tab (sessionStorage).
  const KEY = "kefu:" + site;
  const ls = (name, v) => {
    try {
      const s = w[name]; // reading it throws where storage is blocked
      if (v === undefined) {
        const x = JSON.parse(s.getItem(KEY));
        return x && typeof x == "object" ? x : {};
      }
      s.setItem(KEY, JSON.stringify(v));
    } catch (e) { return {}; }
  };
  let P = ls("localStorage");
  const outbox = (x) => (Array.isArray(x.o) ? x.o.filter((o) => o && o.c && o.t) : []);
  P.o = outbox(P); // outbox: [{c: client_id, t: text}]
  if (!Array.isArray(P.r)) P.r = []; // conversations already rated
  // Other tabs of the site share the storage: keep their unsent messages,
  // drop the ones this tab saw acknowledged (exact: write only ours).
  const done = {};
  const save = (exact) => {
    const o = exact ? [] : outbox(ls("localStorage")).filter((x) => !done[x.c] && !P.o.some((y) => y.c == x.c));
    ls("localStorage", Object.assign({}, P, { o: o.concat(P.o) }));
  };

  let lang = "en", t = T.en, ident = null, opened = false, built = false, wantOpen = ls("sessionStorage").open;
  let ws = null, ready = false, attempt = 0, timer = 0, conv = "", state = "", agentName = "", wantHuman = false;
  let contig = 0, got = {}, bySeq = {}, byId = {}, pend = {}, hist = 0, back;
  let root, $ = {}, lastTyping = 0, typingTimer = 0, bannerTimer = 0;

  const el = (tag, cls, text) => {
    const e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const fmt = (s, v) => s.replace("%s", v);
  const safeURL = (u) => {
    try {
      const x = new URL(String(u || ""), location.href);
      return /^https?:$/.test(x.protocol) ? x.href : "";
    } catch (e) { return ""; }
  };
  const link = (href, cls) => {
    const a = el("a", cls);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    return a;
  };
  const uuid = () => {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    return [...b].map((x, i) => ([4, 6, 8, 10].includes(i) ? "-" : "") + (x + 256).toString(16).slice(1)).join("");
  };

  // ---- safe markdown subset: paragraphs, line breaks, **bold**, lists,
  // [links](https://…), bare http(s) URLs and [n] citation marks.
  const INLINE = /\*\*([^*\n]+?)\*\*|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"'()\]]*[^\s<>"'()\].,;:!?，。])|\[(\d{1,2})\]/g;
  const inline = (parent, s, cites) => {
    const re = new RegExp(INLINE.source, "g");
    let last = 0, m;
    while ((m = re.exec(s))) {
      if (m.index > last) parent.append(s.slice(last, m.index));
      let n;
      if (m[1]) n = el("strong", "", m[1]);
      else if (m[3] || m[4]) {
        const u = safeURL(m[3] || m[4]);
        n = u ? link(u) : el("span");
        n.textContent = m[2] || m[4];
      } else if (cites.some((c) => c.n == m[5])) n = el("sup", "", m[5]);
      else n = d.createTextNode(m[0]);
      parent.append(n);
      last = re.lastIndex;
    }
    if (last < s.length) parent.append(s.slice(last));
  };
  const md = (text, cites) => {
    const f = d.createDocumentFragment();
    for (const block of String(text).replace(/\r/g, "").split(/\n\s*\n/)) {
      let list = null, p = null;
      for (const line of block.split("\n")) {
        const m = /^\s*(?:([-*•])|(\d{1,3})[.)])\s+(.*)$/.exec(line), h = /^#{1,6}\s+(.*)$/.exec(line);
        if (m) {
          const tag = m[1] ? "UL" : "OL";
          if (!list || list.tagName != tag) f.append((list = el(tag)));
          const li = el("li");
          inline(li, m[3], cites);
          list.append(li);
          p = null;
        } else if (line.trim()) {
          if (h || !p) f.append((p = el("p")));
          else p.append(el("br"));
          if (h) {
            const s = el("strong");
            inline(s, h[1], cites);
            p.append(s);
            p = null;
          } else inline(p, line, cites);
          list = null;
        }
      }
    }
    return f;
  };

  const price = (p) => {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: p.currency || "USD" }).format(p.price);
    } catch (e) { return p.price + " " + (p.currency || ""); }
  };

  // ---- messages. An item is {seq, id, cid, role, text, cites, products, topics, at, el}.
  // Items with a seq are ordered by it; pending shopper messages and replies
  // still streaming (no seq yet) follow them.
  const draw = (it) => {
    const r = it.el || (it.el = el("div"));
    r._it = it;
    const role = it.role, mine = role == "shopper";
    r.className = "r " + (mine ? "me" : role == "system" ? "sys" : "them") + (mine && !it.seq ? " pd" : "");
    r.textContent = "";
    r.setAttribute("aria-busy", !!it.draft);
    if (role != "system") r.append(el("div", "who", who(it)));
    const b = el("div", "m");
    b.append(md(it.text || "", it.cites || []));
    tongue(b, it.text);
    if (it.at) b.title = new Date(it.at).toLocaleString(lang);
    r.append(b);
    if (it.draft) {
      let last = b.lastElementChild;
      while (last && /^[UO]L$/.test(last.tagName)) last = last.lastElementChild;
      (last || b).append(el("span", "cur"));
    }
    if (it.cites && it.cites.length) {
      const box = el("div", "srcs");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", t.sources);
      for (const c of it.cites) {
        // A web page's citation opens at the cited passage where the browser
        // supports text fragments (c.url); elsewhere the page itself.
        const page = (c.url && "fragmentDirective" in d) ? c.url : c.source;
        const u = /^https?:/i.test(page || "") ? safeURL(page) : "";
        const chip = u ? link(u, "src") : el("span", "src");
        chip.title = (c.title || c.source || "") + (c.heading ? " — " + c.heading : "");
        chip.append(el("b", "", c.n), el("span", "", c.title || c.source || "?"));
        box.append(chip);
      }
      r.append(box);
    }
    if (it.products && it.products.length) {
      const box = el("div", "cards");
      for (const p of it.products.slice(0, 8)) {
        const u = safeURL(p.url), c = u ? link(u, "card") : el("div", "card"), pic = el("div", "pic", [...(p.title || "?")][0]);
        pic.setAttribute("aria-hidden", "true");
        const img = /^https?:/i.test(p.image_url || "") && safeURL(p.image_url);
        if (img) {
          const i = el("img");
          i.alt = "";
          i.loading = "lazy";
          i.onerror = () => i.remove();
          i.src = img;
          pic.append(i);
        }
        const info = el("div", "ci");
        info.append(el("div", "ct", p.title || ""), el("div", "cp", p.in_stock === false ? t.soldOut : price(p)));
        c.append(pic, info);
        box.append(c);
      }
      r.append(box);
    }
    // Topics a reply that was not sure (or an answer less sure) offers: a
    // tap asks about that one (only the latest message's are shown).
    if (it.topics && it.topics.length) {
      const box = el("div", "sg");
      const head = el("div", "sgl", it.cites && it.cites.length ? t.related : t.topics); // an answer's, or a "not sure"'s
      head.id = "kefu-tp-" + (it.id || it.cid);
      box.setAttribute("role", "group");
      box.setAttribute("aria-labelledby", head.id);
      box.append(head);
      for (const label of it.topics.slice(0, 3)) {
        const b = el("button", "sgb", label);
        b.type = "button";
        tongue(b, label);
        b.onclick = () => {
          sendText(label);
          $.ta.focus();
        };
        box.append(b);
      }
      r.append(box);
    }
    if (mine && !it.seq) r.append(el("div", "meta", ready ? t.sending : t.waiting));
  };

  // ---- for screen readers: who says each message and in which language;
  // a new reply is read out once, whole, from a polite live region (never
  // its streamed pieces: the message list itself is not live).
  const who = (it) => (it.role == "shopper" ? t.you : it.role == "agent" ? agentName || t.agent : t.bot);
  const tongue = (e, s) => {
    const l = /[\u3400-\u9fff]/.test(s) ? "zh-CN" : /[a-z]/i.test(s) ? "en" : "";
    if (l && l != root.lang) e.lang = l;
  };
  const say = (it) => {
    const m = el("span", "", [...it.el.querySelectorAll(".m p,.m li")].map((x) => x.textContent).join(" "));
    tongue(m, m.textContent);
    $.an.replaceChildren(who(it) + (lang == "zh" ? "：" : ": "), m);
  };

  const place = (it) => {
    let ref = null;
    if (it.seq) {
      for (const k of $.log.children) {
        if (k != it.el && (!k._it.seq || k._it.seq > it.seq)) {
          ref = k;
          break;
        }
      }
    }
    if (it.el.parentNode != $.log || it.el.nextSibling != ref) $.log.insertBefore(it.el, ref);
    let prev = "";
    for (const k of $.log.children) {
      k.classList.toggle("first", k._it.role != prev);
      prev = k._it.role;
    }
    // A message is old once the shopper or someone else wrote after it; a
    // notice ("a person will reply") leaves the topics above it in reach.
    let later = false;
    for (let k = $.log.lastElementChild; k; k = k.previousElementSibling) {
      k.classList.toggle("old", later);
      if (k._it.role != "system") later = true;
    }
  };

  const nearEnd = () => $.s.scrollHeight - $.s.scrollTop - $.s.clientHeight < 120;
  const toEnd = (force) => {
    if (force || nearEnd()) requestAnimationFrame(() => ($.s.scrollTop = $.s.scrollHeight));
  };

  const gotSeq = (n) => {
    got[n] = 1;
    while (got[contig + 1]) contig++;
  };

  const onMessage = (f) => {
    if (!f.seq || !f.id) return;
    const end = nearEnd();
    let it = bySeq[f.seq] || byId[f.id];
    const fresh = !(it && it.seq) && f.seq > hist && (f.role == "bot" || f.role == "agent");
    if (!it && f.role == "shopper") {
      // Our own message, echoed before its ack: adopt the pending bubble.
      it = Object.values(pend).find((p) => !p.seq && p.text == f.text);
    }
    it = it || {};
    Object.assign(it, { seq: f.seq, id: f.id, role: f.role, text: f.text, cites: f.citations || [], products: f.products, topics: f.topics, at: f.at, draft: 0, stale: 0 });
    bySeq[f.seq] = byId[f.id] = it;
    gotSeq(f.seq);
    draw(it);
    place(it);
    if (fresh) say(it);
    if (f.role != "shopper") typing(0);
    if (end) toEnd(1);
    badge();
  };

  const onDelta = (f) => {
    let it = byId[f.id];
    if (it && it.seq) return; // the final message is already here
    if (!it) {
      it = byId[f.id] = { id: f.id, role: "bot", text: "", draft: 1 };
      draw(it);
      place(it);
    }
    if (f.reset) it.text = it.stale = ""; // the draft starts again (a fact could not be checked)
    if (it.stale) return typing("bot"); // pieces were lost: wait for the whole reply
    it.text += f.text;
    draw(it);
    typing(0);
    toEnd();
  };

  const onAck = (f) => {
    done[f.client_id] = 1;
    P.o = P.o.filter((o) => o.c != f.client_id);
    save();
    const p = pend[f.client_id];
    if (!p) return;
    delete pend[f.client_id];
    if (p.seq) return; // adopted by its echo already
    if (bySeq[f.seq]) return p.el.remove();
    p.seq = f.seq;
    bySeq[f.seq] = p;
    gotSeq(f.seq);
    draw(p);
    place(p);
    if ((state == "bot" || !state) && !bySeq[f.seq + 1]) typing("bot");
  };

  const push = (p) => {
    if (ready && p.sock != ws && pend[p.cid] == p) {
      ws.send(JSON.stringify({ type: "message", client_id: p.cid, text: p.text }));
      p.sock = ws;
    }
  };

  const queue = (cid, text) => {
    const p = (pend[cid] = { cid, text, role: "shopper" });
    draw(p);
    place(p);
    push(p);
  };

  const send = () => {
    const text = $.ta.value.trim();
    if (!text) return;
    $.ta.value = "";
    grow();
    sendText(text);
  };

  const sendText = (text) => {
    const cid = uuid();
    P.o.push({ c: cid, t: text });
    save();
    queue(cid, text);
    toEnd(1);
    connect();
  };

  // ---- connection: hello with the token and the highest contiguous seq;
  // reconnect with exponential backoff and jitter.
  const sendFrame = (f) => ready && ws.send(JSON.stringify(f));

  function connect() {
    if (ws || !built) return;
    clearTimeout(timer);
    timer = 0;
    let s;
    try {
      s = ws = new WebSocket(wsURL);
    } catch (e) {
      return retry();
    }
    s.onopen = () => s.send(JSON.stringify({ type: "hello", visitor_token: P.t || null, last_seq: contig, locale: lang, identity: ident || undefined }));
    s.onmessage = (e) => {
      if (ws != s) return;
      let f;
      try {
        f = JSON.parse(e.data);
      } catch (x) { return; }
      frame(f);
    };
    s.onclose = () => {
      if (ws != s) return;
      ws = null;
      ready = false;
      for (const k in byId) if (byId[k].draft) byId[k].stale = 1;
      typing(0);
      retry();
      status();
    };
  }
  function retry() {
    if (timer) return;
    const max = Math.min(30000, 500 * 2 ** attempt++);
    timer = setTimeout(() => {
      timer = 0;
      connect();
    }, max / 2 + (Math.random() * max) / 2);
  }
  const drop = () => {
    if (ws) {
      ws.onclose = null;
      ws.close();
      ws = null;
      ready = false;
    }
  };
  const reconnect = () => {
    drop();
    attempt = 0;
    connect();
  };

  const reset = () => {
    for (const k in bySeq) bySeq[k].el.remove();
    for (const k in byId) byId[k].el && byId[k].el.remove();
    contig = 0;
    got = {};
    bySeq = {};
    byId = {};
    conv = "";
  };

  function frame(f) {
    switch (f.type) {
      case "welcome":
        if (conv && f.conversation_id != conv) {
          // Another conversation than the one on screen: start over from seq 0.
          reset();
          P.t = f.visitor_token;
          return reconnect();
        }
        conv = f.conversation_id;
        // What the first replay brings was said before this page: not news.
        if (!contig) hist = f.last_seq || 0;
        P.t = f.visitor_token;
        save();
        ready = true;
        // A reply cut off by the disconnect: its final message comes in the
        // replay or live; until then the typing dots stand in for it.
        for (const k in byId) {
          const it = byId[k];
          if (it.stale && !it.seq) {
            it.el.remove();
            it.text = "";
          }
        }
        attempt = 0;
        setState(f.state, "", 1);
        for (const k in pend) push(pend[k]);
        if (wantHuman) human();
        status();
        break;
      case "message":
        return onMessage(f);
      case "delta":
        return onDelta(f);
      case "ack":
        return onAck(f);
      case "state":
        return setState(f.state, f.agent && f.agent.name);
      case "typing":
        return typing("agent");
      case "error": {
        // A message the server could not store (its database was away, a
        // limit): send it again, later and later; the client_id keeps it once.
        const p = pend[f.client_id];
        if (p && f.retry) {
          p.sock = 0;
          clearTimeout(p.rt);
          p.rt = setTimeout(() => push(p), Math.min(15e3, 500 * 2 ** (p.n = (p.n || 0) + 1)));
        }
        return banner(f.code == "rate_limited" ? t.slow : lang == "zh" ? t.error : f.message || t.error, "warn", 6000);
      }
    }
  }

  const status = () => {
    $.cn.hidden = ready || !attempt;
    for (const k in pend) if (!pend[k].seq) draw(pend[k]);
  };

  // ---- state: banners, the "talk to a person" button, CSAT.
  function banner(text, kind, ms) {
    clearTimeout(bannerTimer);
    $.bn.textContent = text || "";
    $.bn.className = "bn " + (kind || "");
    $.bn.hidden = !text;
    if (ms) bannerTimer = setTimeout(() => ($.bn.hidden = true), ms);
  }

  function setState(s, name, quiet) {
    const prev = state;
    state = root.dataset.s = s;
    if (name) agentName = name;
    $.sub.textContent = s == "agent" ? agentName || t.agent : s == "queued" ? t.waitSub : s == "resolved" ? t.doneSub : t.botSub;
    $.hu.hidden = s == "queued" || s == "agent";
    $.hu.disabled = false;
    if (s == "queued") banner(t.queued);
    else if (s == "agent") banner(name ? fmt(t.joined, name) : t.withAgent, "ok");
    else if (s == "resolved") banner(t.resolved, "ok");
    else if (prev && prev != s && !quiet) banner(t.back, "ok", 6000);
    else banner("");
    if (prev != s) typing(0);
    if (s == "resolved" && !P.r.includes(conv)) csat();
    else if (s != "resolved") $.cs.hidden = true;
  }

  function human() {
    wantHuman = !ready;
    $.hu.disabled = true;
    if (ready) sendFrame({ type: "request_human" });
    else connect();
  }

  function csat() {
    const c = $.cs;
    c.textContent = "";
    c.hidden = false;
    let score = 0;
    const row = el("div", "stars"), note = el("textarea"), go = el("button", "go", t.rateSend);
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", t.rate);
    for (let i = 1; i <= 5; i++) {
      const b = el("button", "star", "★");
      b.type = "button";
      b.setAttribute("aria-label", fmt(t.stars, i));
      b.setAttribute("aria-pressed", "false");
      b.onclick = () => {
        score = i;
        [...row.children].forEach((x, j) => {
          x.classList.toggle("on", j < i);
          x.setAttribute("aria-pressed", j + 1 == i);
        });
        note.hidden = go.hidden = false;
        toEnd(1);
      };
      row.append(b);
    }
    note.placeholder = t.comment;
    note.setAttribute("aria-label", t.comment);
    note.maxLength = 1000;
    note.rows = 2;
    note.hidden = go.hidden = true;
    go.type = "button";
    go.onclick = () => {
      if (!score || !ready) return;
      sendFrame({ type: "csat", score, comment: note.value.trim() });
      P.r = P.r.concat(conv).slice(-20);
      save();
      c.textContent = "";
      c.append(el("p", "thx", t.thanks));
    };
    c.append(el("p", "", t.rate), row, note, go);
    toEnd(1);
  }

  function typing(who) {
    clearTimeout(typingTimer);
    $.ty.hidden = !who;
    if (!who) return;
    typingTimer = setTimeout(() => typing(0), who == "agent" ? 5000 : 30000);
    toEnd();
  }

  // ---- unread badge: messages from the shop newer than the last one seen open.
  function badge() {
    const seqs = Object.keys(bySeq).map(Number), top = Math.max(0, ...seqs);
    if (opened && !d.hidden) {
      if ((P.seen || 0) < top) {
        P.seen = top;
        save();
      }
    }
    const n = seqs.filter((s) => s > (P.seen || 0) && bySeq[s].role != "shopper").length;
    $.bd.textContent = n > 9 ? "9+" : n;
    $.bd.hidden = !n;
    $.l.setAttribute("aria-label", n ? t.open + " (" + fmt(t.unread, n) + ")" : opened ? t.close : t.open);
  }

  function open(v, quiet) {
    if (!built) return void (wantOpen = v);
    opened = v;
    root.classList.toggle("open", v);
    $.l.setAttribute("aria-expanded", v);
    $.p.setAttribute("aria-hidden", !v);
    ls("sessionStorage", { open: v });
    $.l.replaceChildren(icon(v ? ICONS.x : ICONS.chat), $.bd);
    if (v) {
      connect();
      toEnd(1);
      if (!quiet) {
        back = d.activeElement;
        setTimeout(() => $.ta.focus(), 60);
      }
    }
    badge();
  }

  const grow = () => {
    $.ta.style.height = "auto";
    $.ta.style.height = Math.min($.ta.scrollHeight, 120) + "px";
  };

  // ---- the public API.
  const api = (cmd, arg) => {
    if (cmd == "identify" && arg && arg.user_id) {
      const id = String(arg.user_id);
      // Another customer on this browser: never show them the last one's chat.
      if (P.u && P.u != id) clear();
      P.u = id;
      save();
      ident = { user_id: id, email: String(arg.email || ""), hash: String(arg.hash || "") };
      if (ws) reconnect();
      else if (P.t) connect();
    } else if (cmd == "reset") {
      ident = null;
      clear();
      if (opened) connect();
    } else if (cmd == "open" || cmd == "close" || cmd == "toggle") {
      open(cmd == "toggle" ? !opened : cmd == "open");
    }
  };
  // clear forgets the visitor: token, outbox and the conversation on screen.
  function clear() {
    P = { o: [], r: P.r };
    save(true);
    pend = {};
    reset();
    drop();
    if (built) $.log.textContent = "";
  }
  const queued = (w.kefu && w.kefu.q) || [];
  w.kefu = api;
  api.loaded = 1;

  // ---- building the UI (a shadow root: the page's CSS cannot reach in).
  const ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z",
    x: "M6 6l12 12M18 6 6 18",
    send: "M4 12 20 4l-4 16-4-7zM12 13l8-9",
    person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8a7 7 0 0 1 14 0",
  };
  const icon = (path) => {
    const s = d.createElementNS("http://www.w3.org/2000/svg", "svg"), p = d.createElementNS(s.namespaceURI, "path");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    p.setAttribute("d", path);
    s.append(p);
    return s;
  };

  const CSS = `:host{all:initial}*{box-sizing:border-box}[hidden]{display:none!important}
.w{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2937;-webkit-font-smoothing:antialiased}
svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
button{font:inherit;cursor:pointer}
:focus-visible{outline:2px solid var(--ka);outline-offset:2px}
.sr,.r:not(.first)>.who,.me>.who{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.l{position:fixed;bottom:20px;right:20px;width:58px;height:58px;border-radius:50%;border:0;background:var(--k);color:var(--kt);box-shadow:0 6px 24px rgba(0,0,0,.22);display:grid;place-items:center;z-index:2147483000;transition:transform .2s;animation:in .3s}
.l:hover{transform:scale(1.06)}.l svg{width:26px;height:26px}.l:focus-visible{outline-offset:4px}
.bd{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#e11d48;color:#fff;font-size:12px;font-weight:700;line-height:18px;border:2px solid #fff}
.p{position:fixed;bottom:92px;right:20px;width:380px;height:min(660px,calc(100vh - 116px));min-height:320px;display:flex;flex-direction:column;background:#fff;border-radius:18px;box-shadow:0 16px 56px rgba(15,23,42,.28);overflow:hidden;z-index:2147483001;opacity:0;visibility:hidden;transform:translateY(14px) scale(.98);transform-origin:bottom right;transition:opacity .2s,transform .2s,visibility .2s}
.left .l,.left .p{right:auto;left:20px}.left .p{transform-origin:bottom left}
.open .p{opacity:1;visibility:visible;transform:none}
.tp{background:var(--k);color:var(--kt);padding:14px 10px 14px 16px;display:flex;align-items:center;gap:12px;flex:none}
.tp :focus-visible{outline-color:currentColor}
.av{width:40px;height:40px;border-radius:50%;background:rgba(255,255,255,.22);display:grid;place-items:center;font-weight:700;font-size:17px;flex:none}
.hd{min-width:0;flex:1}h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-left:2px}.sub:before{content:"";display:inline-block;width:8px;height:8px;margin-right:6px;border-radius:50%;background:#4ade80;box-shadow:0 0 0 2px rgba(255,255,255,.35)}
[data-s=queued] .sub:before{background:#fbbf24}[data-s=resolved] .sub:before{background:#cbd5e1}
.x{background:transparent;border:0;color:inherit;width:36px;height:36px;border-radius:10px;display:grid;place-items:center;flex:none}.x:hover{background:rgba(255,255,255,.16)}
.bn{padding:9px 16px;font-size:13px;background:#fff7e6;color:#8a4b00;border-bottom:1px solid #fde8c0;flex:none}.bn.ok{background:#ecfdf3;color:#0f6b3f;border-color:#c9f0da}.bn.warn{background:#fef2f2;color:#9f1d1d;border-color:#fbd5d5}
.cn{padding:7px 16px;font-size:12.5px;background:#f1f5f9;color:#475569;text-align:center;flex:none}
.s{flex:1;overflow-y:auto;padding:14px 14px 10px;background:#f7f8fa;overscroll-behavior:contain}.s:focus-visible{outline-offset:-2px}
.r{display:flex;flex-direction:column;align-items:flex-start;margin-top:3px}.r.first{margin-top:12px}.r.me{align-items:flex-end}.r.sys{align-items:center}
.who{font-size:11.5px;color:#5f6673;margin:0 0 4px 6px;font-weight:550}
.m{max-width:86%;padding:9px 13px;border-radius:18px;background:#fff;border:1px solid #e6e8ec;overflow-wrap:anywhere;box-shadow:0 1px 1px rgba(0,0,0,.03)}
.them .m{border-top-left-radius:6px}.me .m{background:var(--k);color:var(--kt);border-color:transparent;border-top-right-radius:6px}
.sys .m{background:#eef1f5;border:0;box-shadow:none;color:#4b5563;font-size:12.5px;text-align:center;max-width:92%;border-radius:12px}
.m p{margin:0 0 7px}.m p:last-child{margin:0}.m ul,.m ol{margin:2px 0 7px;padding-left:20px}.m li{margin:2px 0}.m a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.m sup{font-size:10px;font-weight:700;color:var(--ka);padding:0 2px}.me .m sup{color:inherit}
.cur{display:inline-block;width:7px;height:14px;margin-left:2px;vertical-align:-2px;background:currentColor;opacity:.35;animation:bl 1s steps(2) infinite}
.meta{font-size:11px;color:#64748b;margin:3px 8px 0}
.srcs{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;max-width:92%}
.src{display:inline-flex;align-items:center;gap:6px;max-width:100%;padding:3px 10px 3px 3px;border-radius:999px;background:#fff;border:1px solid #e2e5ea;font-size:12px;color:#374151;text-decoration:none}
.src span{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}a.src:hover{border-color:var(--k)}
.src b{display:grid;place-items:center;min-width:18px;height:18px;border-radius:9px;background:var(--k);color:var(--kt);font-size:11px;flex:none}
.sg{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;max-width:92%}.r.old .sg{display:none}
.sgl{flex:0 0 100%;font-size:12px;color:#4b5563}
.sgb{font:inherit;font-size:13px;line-height:1.3;text-align:start;padding:6px 12px;min-height:32px;border-radius:16px;background:#fff;border:1px solid var(--k);color:#1f2937;cursor:pointer;max-width:100%}
.sgb:hover{background:#f3f4f6}.sgb:focus-visible{outline:2px solid var(--k);outline-offset:2px}
.cards{display:flex;gap:8px;overflow-x:auto;max-width:100%;padding:8px 2px 4px;scroll-snap-type:x mandatory}
.card{flex:0 0 148px;background:#fff;border:1px solid #e6e8ec;border-radius:14px;overflow:hidden;color:inherit;text-decoration:none;scroll-snap-align:start}a.card:hover{border-color:var(--k)}
.pic{position:relative;height:96px;background:linear-gradient(135deg,#eef0f4,#dfe3ea);display:grid;place-items:center;font-size:30px;font-weight:700;color:#6b7280}
.pic img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
.ci{padding:8px 10px 10px}.ct{font-size:12.5px;font-weight:550;line-height:1.35;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}.cp{font-size:12.5px;color:#6b7280;margin-top:3px}
.ty{margin:12px 0 2px;padding:12px 14px;background:#fff;border:1px solid #e6e8ec;border-radius:18px;border-top-left-radius:6px;display:inline-flex;gap:4px}
.ty i{width:7px;height:7px;border-radius:50%;background:#9aa3b2;animation:dot 1.2s infinite}.ty i:nth-child(2){animation-delay:.15s}.ty i:nth-child(3){animation-delay:.3s}
.thx{margin:0;font-weight:600;color:#0f6b3f}
.cs{margin:14px 0 4px;padding:14px;background:#fff;border:1px solid #e6e8ec;border-radius:16px;text-align:center}.cs>p{margin:0 0 8px;font-weight:600}
.stars{display:flex;justify-content:center;gap:4px}.star{border:0;background:none;font-size:28px;line-height:1;color:#8a919c;padding:2px 4px;border-radius:8px}.star.on,.star:hover{color:#b45309}
.cs textarea{width:100%;margin-top:10px}.go{margin-top:10px;border:0;border-radius:10px;padding:8px 16px;background:var(--k);color:var(--kt);font-weight:600}
.ft{flex:none;border-top:1px solid #eceef2;padding:8px 12px 8px;background:#fff}
.hu{display:inline-flex;align-items:center;gap:6px;margin:0 0 8px;padding:5px 12px 5px 8px;border:1px solid #e2e5ea;border-radius:999px;background:#fff;color:#374151;font-size:12.5px}.hu svg{width:16px;height:16px}.hu:hover{border-color:var(--ka);color:var(--ka)}.hu:disabled{opacity:.5;cursor:default}
.c{display:flex;align-items:flex-end;gap:8px}
textarea{flex:1;resize:none;border:1px solid #d6dae1;border-radius:14px;padding:9px 13px;font:inherit;color:inherit;background:#fff;min-height:42px;max-height:120px;outline:0;transition:border-color .15s,box-shadow .15s}
textarea:focus-visible{outline:0}textarea:focus{border-color:var(--ka);box-shadow:0 0 0 1px var(--ka)}
.sd{width:42px;height:42px;border-radius:14px;border:0;background:var(--k);color:var(--kt);display:grid;place-items:center;flex:none}.sd svg{width:20px;height:20px}
.pw{text-align:center;font-size:11px;color:#6b7280;margin-top:6px}
@keyframes dot{0%,60%,100%{transform:none;opacity:.45}30%{transform:translateY(-4px);opacity:1}}@keyframes bl{to{opacity:0}}@keyframes in{from{transform:scale(.6);opacity:0}}
@media (max-width:520px),(max-height:560px){.p,.left .p{top:0;left:0;right:0;bottom:0;width:auto;height:auto;min-height:0;border-radius:0;transform:translateY(24px)}.open .l{display:none}textarea{font-size:16px}.tp{padding-top:max(14px,env(safe-area-inset-top))}.ft{padding-bottom:max(8px,env(safe-area-inset-bottom))}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}`;

  function build(cfg) {
    if (built) return;
    cfg = cfg || {};
    const pick = (k) => ds[k] || cfg[k] || "";
    lang = /^zh/i.test(pick("locale") || navigator.language || "") ? "zh" : "en";
    t = T[lang];
    const host = el("div");
    host.id = "kefu-widget";
    // Styles through the CSSOM (not style attributes or elements where it can
    // be avoided), so a shop's Content-Security-Policy need not allow inline styles.
    host.style.cssText = "all:initial;position:fixed;z-index:2147483000;top:0;left:0;width:0;height:0";
    const sh = host.attachShadow({ mode: "open" });
    root = el("div", "w");
    root.lang = lang == "zh" ? "zh-CN" : "en";
    if (sh.adoptedStyleSheets && w.CSSStyleSheet) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      sh.adoptedStyleSheets = [sheet];
    } else sh.append(el("style", "", CSS));
    sh.append(root);
    // Brand colour: a valid CSS colour only (made opaque on white); text on
    // it black or white, whichever reads better (≥ 4.5:1 for any colour),
    // and for text and focus rings on light grounds a darker shade of it.
    let color = pick("color");
    if (!color || !CSS_supports(color)) color = "#4f46e5";
    const k = rgb(color), g = [247, 248, 250];
    let a = k;
    while (ratio(a, g) < 4.5) a = a.map((v) => v * 0.9);
    const css = (c) => "rgb(" + c.map(Math.round) + ")";
    root.style.setProperty("--k", css(k));
    root.style.setProperty("--kt", ratio(k, [255, 255, 255]) >= 4.5 ? "#fff" : "#000");
    root.style.setProperty("--ka", css(a));
    if (/left/i.test(pick("position"))) root.classList.add("left");
    const title = pick("title") || cfg.name || t.title;

    const l = ($.l = el("button", "l"));
    l.type = "button";
    l.setAttribute("aria-haspopup", "dialog");
    $.bd = el("span", "bd");
    $.bd.hidden = true;
    $.bd.setAttribute("aria-hidden", "true");
    l.onclick = () => open(!opened);

    const p = ($.p = el("div", "p"));
    p.setAttribute("role", "dialog");
    p.setAttribute("aria-modal", "true");
    p.setAttribute("aria-label", title);
    p.id = "kefu-panel";
    l.setAttribute("aria-controls", p.id);
    const hd = el("div", "tp"), av = el("div", "av", [...title][0].toUpperCase()), hx = el("div", "hd");
    av.setAttribute("aria-hidden", "true");
    $.sub = el("div", "sub", t.botSub);
    hx.append(el("h2", "", title), $.sub);
    const x = el("button", "x");
    x.type = "button";
    x.setAttribute("aria-label", t.close);
    x.append(icon(ICONS.x));
    // Closed from inside: focus goes back to what opened it (the launcher,
    // or a button of the page that called kefu('open')).
    const shut = () => {
      open(false);
      (back && back != host && back != d.body && back.isConnected ? back : l).focus();
    };
    x.onclick = shut;
    hd.append(av, hx, x);
    $.bn = el("div", "bn");
    $.bn.setAttribute("role", "status");
    $.bn.hidden = true;
    $.cn = el("div", "cn", t.reconnecting);
    $.cn.setAttribute("role", "status");
    $.cn.hidden = true;
    $.s = el("div", "s");
    // The conversation scrolls: a named region that takes focus, so the
    // arrow keys scroll it.
    $.s.setAttribute("role", "region");
    $.s.setAttribute("aria-label", t.chat);
    $.s.tabIndex = 0;
    const greet = el("div", "r them first"), gm = el("div", "m");
    gm.append(md(pick("greeting") || t.greet, []));
    greet.append(el("div", "who", t.bot), gm);
    $.log = el("div", "log");
    $.an = el("div", "sr");
    $.an.setAttribute("aria-live", "polite");
    $.ty = el("div", "ty");
    $.ty.setAttribute("aria-hidden", "true");
    $.ty.append(el("i"), el("i"), el("i"));
    $.ty.hidden = true;
    $.cs = el("div", "cs");
    $.cs.hidden = true;
    $.s.append(greet, $.log, $.ty, $.cs);

    const ft = el("div", "ft");
    $.hu = el("button", "hu");
    $.hu.type = "button";
    $.hu.append(icon(ICONS.person), t.human);
    $.hu.onclick = () => {
      human();
      $.ta.focus();
    };
    const c = el("form", "c");
    $.ta = el("textarea");
    $.ta.rows = 1;
    $.ta.maxLength = 4000;
    $.ta.placeholder = t.ph;
    $.ta.setAttribute("aria-label", t.ph);
    $.ta.oninput = () => {
      grow();
      if (ready && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        sendFrame({ type: "typing" });
      }
    };
    $.ta.onkeydown = (e) => {
      if (e.key == "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    };
    const sd = el("button", "sd");
    sd.type = "submit";
    sd.setAttribute("aria-label", t.send);
    sd.append(icon(ICONS.send));
    c.onsubmit = (e) => {
      e.preventDefault();
      send();
      $.ta.focus();
    };
    c.append($.ta, sd);
    ft.append($.hu, c, el("div", "pw", t.powered));
    p.append(hd, $.bn, $.cn, $.s, ft);
    // Focus stays in the open panel; Esc closes it.
    p.addEventListener("keydown", (e) => {
      if (e.key == "Escape") {
        e.stopPropagation();
        shut();
      } else if (e.key == "Tab") {
        const f = [...p.querySelectorAll("button,textarea,a[href],[tabindex]")].filter((n) => !n.disabled && n.offsetParent);
        const a = sh.activeElement, first = f[0], last = f[f.length - 1];
        if (e.shiftKey ? a == first || !f.includes(a) : a == last) {
          e.preventDefault();
          (e.shiftKey ? last : first).focus();
        }
      }
    });
    root.append(p, l, $.an);
    d.body.append(host);

    built = true;
    for (const o of P.o) queue(o.c, o.t);
    open(!!wantOpen, 1); // reopened after a page load: no focus stealing
    if (P.t || P.o.length) connect();
    d.addEventListener("visibilitychange", () => {
      badge();
      if (!d.hidden && !ws && built && (opened || P.t)) reconnect();
    });
    w.addEventListener("online", () => !ws && (opened || P.t) && reconnect());
  }
  const CSS_supports = (c) => w.CSS && w.CSS.supports && w.CSS.supports("color", c);
  // rgb: any CSS colour as [r, g, b], composited on white; ratio: WCAG contrast.
  const rgb = (c) => {
    const x = d.createElement("canvas").getContext("2d");
    x.fillStyle = "#fff";
    x.fillRect(0, 0, 1, 1);
    x.fillStyle = c;
    x.fillRect(0, 0, 1, 1);
    return [...x.getImageData(0, 0, 1, 1).data].slice(0, 3);
  };
  const lum = (c) => c.reduce((s, v, i) => ((v /= 255), s + [0.2126, 0.7152, 0.0722][i] * (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)), 0);
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };

  for (const args of queued) api(...args);
  const start = () => {
    const to = setTimeout(build, 2500);
    fetch(origin + "/v1/widget/config?site=" + encodeURIComponent(site))
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}))
      .then((c) => {
        clearTimeout(to);
        build(c);
      });
  };
  if (d.body) start();
  else d.addEventListener("DOMContentLoaded", start);
})();
