// kefu console: the privacy page (admins), registered in window.KEFU_PAGES
// and drawn with the kit console.js passes in. Three cards: a data request
// (look a shopper up, download their export, erase them), the audit log,
// and each site's retention. Server data reaches the page only as text.
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.privacy": "Privacy",
    "pv.request": "Data request", "pv.site": "Site", "pv.by": "Find by", "pv.value": "Value",
    "pv.by.email": "Email", "pv.by.customer_id": "Shop customer id", "pv.by.visitor_token": "Visitor token",
    "pv.ph.email": "shopper@example.com", "pv.ph.customer_id": "e.g. C-1042", "pv.ph.visitor_token": "from the widget's storage",
    "pv.lookup": "Look up", "pv.looking": "Looking up…",
    "pv.note": "Every look-up is recorded in the audit log as an export, with your name.",
    "pv.holds": "What kefu holds about {who}", "pv.nothing": "kefu holds nothing about {who} on this site.",
    "pv.customers": "Customer records", "pv.orders": "Orders", "pv.visitors": "Widget visitors", "pv.conversations": "Conversations",
    "pv.messages": "Messages", "pv.first": "First record", "pv.last": "Last activity",
    "pv.download": "Download JSON", "pv.erase": "Erase…", "pv.downloaded": "Export downloaded.",
    "pv.erase.title": "Erase this shopper's data",
    "pv.erase.what": "This deletes {list} on {site}. It cannot be undone.",
    "pv.erase.type": "Type {value} to confirm", "pv.erase.go": "Erase permanently", "pv.erasing": "Erasing…",
    "pv.erased": "Erased {list}. The audit log records it as {fp}.",
    "pv.audit": "Audit log", "pv.action": "Action", "pv.actor": "Who", "pv.all": "All", "pv.when": "When", "pv.details": "Details",
    "pv.f.auth.login": "Sign-ins", "pv.f.conversation.": "Conversations", "pv.f.site.settings": "Site settings",
    "pv.f.knowledge.": "Knowledge", "pv.f.privacy.": "Data requests", "pv.f.retention.purge": "Retention", "pv.f.user.": "Users", "pv.f.token.": "API tokens",
    "pv.a.auth.login": "Signed in", "pv.a.conversation.claim": "Claimed a conversation", "pv.a.conversation.transfer": "Transferred a conversation",
    "pv.a.site.settings": "Changed site settings", "pv.a.knowledge.upload": "Uploaded a document", "pv.a.knowledge.delete": "Deleted a document",
    "pv.a.privacy.export": "Exported a shopper's data", "pv.a.privacy.erase": "Erased a shopper's data", "pv.a.retention.purge": "Deleted expired data",
    "pv.a.user.create": "Added a user", "pv.a.user.disable": "Disabled a user", "pv.a.user.enable": "Enabled a user",
    "pv.a.user.sites": "Changed a user's sites", "pv.a.user.revoke_sessions": "Signed a user out", "pv.a.token.create": "Created an API token",
    "pv.a.token.revoke": "Revoked an API token", "pv.a.knowledge.reindex": "Re-indexed the knowledge base", "pv.a.intents.examples": "Added intent examples",
    "pv.a.canned.create": "Added a canned response", "pv.a.canned.update": "Changed a canned response", "pv.a.canned.delete": "Deleted a canned response",
    "pv.f.canned.": "Canned responses",
    "pv.retention": "Retention", "pv.ret.conv": "Conversations and messages", "pv.ret.files": "Uploaded files",
    "pv.days": "{n} days", "pv.forever": "kept forever", "pv.default": "default",
    "pv.ret.how": "Conversations idle longer than their site's period are deleted with their messages, and older messages of ongoing conversations too; raw uploaded files go once ingested (their searchable passages stay). The job runs every hour on one server at a time. The audit log keeps 730 days.",
    "pv.ret.last": "Last purge that deleted data: {when}: {what}.", "pv.ret.never": "No purge has deleted anything yet.",
    "pv.ret.change": "Change in site settings",
    "pv.n.conversations": "{n} conversations", "pv.n.messages": "{n} messages", "pv.n.visitors": "{n} visitor records",
    "pv.n.orders": "{n} orders", "pv.n.customers": "{n} customer records", "pv.n.files": "{n} uploaded files", "pv.n.audit": "{n} audit entries",
    "pv.n.conversations.one": "{n} conversation", "pv.n.messages.one": "{n} message", "pv.n.visitors.one": "{n} visitor record",
    "pv.n.orders.one": "{n} order", "pv.n.customers.one": "{n} customer record", "pv.n.files.one": "{n} uploaded file", "pv.n.audit.one": "{n} audit entry",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.privacy": "隐私",
    "pv.request": "数据请求", "pv.site": "站点", "pv.by": "查找方式", "pv.value": "值",
    "pv.by.email": "邮箱", "pv.by.customer_id": "商店客户编号", "pv.by.visitor_token": "访客令牌",
    "pv.ph.email": "shopper@example.com", "pv.ph.customer_id": "例如 C-1042", "pv.ph.visitor_token": "来自聊天窗口的本地存储",
    "pv.lookup": "查找", "pv.looking": "查找中…",
    "pv.note": "每次查找都会以你的名义作为一次导出记入审计日志。",
    "pv.holds": "kefu 保存的 {who} 的数据", "pv.nothing": "kefu 在此站点没有保存 {who} 的任何数据。",
    "pv.customers": "客户记录", "pv.orders": "订单", "pv.visitors": "访客记录", "pv.conversations": "会话",
    "pv.messages": "消息", "pv.first": "最早记录", "pv.last": "最近活动",
    "pv.download": "下载 JSON", "pv.erase": "删除…", "pv.downloaded": "已下载导出文件。",
    "pv.erase.title": "删除该顾客的数据",
    "pv.erase.what": "将删除 {site} 上的 {list}，且无法恢复。",
    "pv.erase.type": "输入 {value} 以确认", "pv.erase.go": "永久删除", "pv.erasing": "删除中…",
    "pv.erased": "已删除 {list}。审计日志中记为 {fp}。",
    "pv.audit": "审计日志", "pv.action": "操作", "pv.actor": "操作人", "pv.all": "全部", "pv.when": "时间", "pv.details": "详情",
    "pv.f.auth.login": "登录", "pv.f.conversation.": "会话", "pv.f.site.settings": "站点设置",
    "pv.f.knowledge.": "知识库", "pv.f.privacy.": "数据请求", "pv.f.retention.purge": "数据保留", "pv.f.user.": "用户", "pv.f.token.": "API 令牌",
    "pv.a.auth.login": "登录", "pv.a.conversation.claim": "接管会话", "pv.a.conversation.transfer": "转交会话",
    "pv.a.site.settings": "修改站点设置", "pv.a.knowledge.upload": "上传文档", "pv.a.knowledge.delete": "删除文档",
    "pv.a.privacy.export": "导出顾客数据", "pv.a.privacy.erase": "删除顾客数据", "pv.a.retention.purge": "删除过期数据",
    "pv.a.user.create": "添加用户", "pv.a.user.disable": "停用用户", "pv.a.user.enable": "启用用户",
    "pv.a.user.sites": "修改用户的站点", "pv.a.user.revoke_sessions": "强制用户退出", "pv.a.token.create": "创建 API 令牌",
    "pv.a.token.revoke": "吊销 API 令牌", "pv.a.knowledge.reindex": "重建知识库索引", "pv.a.intents.examples": "添加意图示例",
    "pv.a.canned.create": "添加快捷回复", "pv.a.canned.update": "修改快捷回复", "pv.a.canned.delete": "删除快捷回复",
    "pv.f.canned.": "快捷回复",
    "pv.retention": "数据保留", "pv.ret.conv": "会话和消息", "pv.ret.files": "上传的文件",
    "pv.days": "{n} 天", "pv.forever": "永久保留", "pv.default": "默认",
    "pv.ret.how": "闲置超过站点保留期的会话连同消息一起删除，进行中会话里更早的消息也会删除；上传的原始文件在处理完成后到期删除（可检索的段落保留）。清理任务每小时运行一次，同一时间只在一台服务器上运行。审计日志保留 730 天。",
    "pv.ret.last": "最近一次删除数据的清理：{when}：{what}。", "pv.ret.never": "清理任务尚未删除过任何数据。",
    "pv.ret.change": "在站点设置中修改",
    "pv.n.conversations": "{n} 个会话", "pv.n.messages": "{n} 条消息", "pv.n.visitors": "{n} 条访客记录",
    "pv.n.orders": "{n} 个订单", "pv.n.customers": "{n} 条客户记录", "pv.n.files": "{n} 个上传文件", "pv.n.audit": "{n} 条审计记录",
  });

  // A site that set no retention keeps sites.DefaultRetention().
  const DEFAULT_RETENTION = { conversation_days: 365, file_days: 90 };
  // Audit filters: an exact action, or a prefix ending in ".".
  const FILTERS = ["auth.login", "conversation.", "site.settings", "knowledge.", "canned.", "privacy.", "retention.purge", "user.", "token."];
  // A table that scrolls sideways on a phone is a named region keyboard users can scroll.
  const scrolls = label => ({ tabindex: "0", role: "region", "aria-label": label });

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "privacy", key: "nav.privacy", admin: true, render(main, k) {
    const { el, set, t, api } = k;
    const q = obj => { const p = new URLSearchParams(); for (const x in obj) if (obj[x] !== "" && obj[x] != null) p.set(x, obj[x]); const s = p.toString(); return s ? "?" + s : ""; };
    const loc = () => (k.lang() === "zh" ? "zh-CN" : "en-US");
    const when = iso => iso ? new Date(iso).toLocaleString(loc(), { dateStyle: "medium", timeStyle: "short" }) : "";
    const siteName = id => (k.S.sites.find(s => s.id === id) || { name: "#" + id }).name;
    // tr translates a key, or gives fallback when the UI has no string for it.
    const tr = (key, fallback) => { const s = t(key); return s === key ? fallback : s; };
    // count says "4 orders" / "1 order" ("4 个订单"); keys without a string show as "key: n".
    const count = (key, n) => {
      const one = "pv.n." + key + ".one", many = "pv.n." + key;
      if (n === 1 && (window.KEFU_I18N[k.lang()] || {})[one]) return t(one, { n });
      return t(many) !== many ? t(many, { n }) : key + ": " + n;
    };
    const listOf = parts => (window.Intl && Intl.ListFormat) ? new Intl.ListFormat(loc(), { type: "conjunction" }).format(parts) : parts.join(", ");
    const ERASED = ["conversations", "messages", "visitors", "orders", "customers"];
    const page = el("div.page.privacy", el("h1", t("nav.privacy")));
    main.append(page);

    // ---- Data request ----
    const audit = auditCard();
    const kind = el("select", { id: "pv-kind", on: { change: () => { value.placeholder = t("pv.ph." + kind.value); value.type = kind.value === "email" ? "email" : "text"; } } },
      ["email", "customer_id", "visitor_token"].map(v => el("option", { value: v, text: t("pv.by." + v) })));
    const value = el("input", { type: "email", id: "pv-value", required: true, autocomplete: "off", spellcheck: false, placeholder: t("pv.ph.email") });
    const go = el("button.btn.primary", { type: "submit", id: "pv-lookup", text: t("pv.lookup") });
    const result = el("div.pv-result", { id: "pv-result", "aria-live": "polite" });
    const siteSel = k.sitePicker(() => set(result));
    let lookupSeq = 0;
    const form = el("form.form.pv-find", { on: { submit: async ev => {
      ev.preventDefault();
      const subject = { site: siteSel.value, [kind.value]: value.value.trim() };
      if (!subject[kind.value]) return;
      const my = ++lookupSeq;
      go.disabled = true; go.textContent = t("pv.looking");
      try {
        const exp = await api("GET", "/privacy/subjects" + q(subject));
        if (my === lookupSeq) showSubject(exp, kind.value, subject[kind.value]);
        audit.reload();
      } catch (e) { k.fail(e); } finally { go.disabled = false; go.textContent = t("pv.lookup"); }
    } } },
      el("label", t("pv.site"), siteSel), el("label", t("pv.by"), kind), el("label.grow", t("pv.value"), value), go);

    function showSubject(exp, by, who) {
      const n = x => (exp[x] || []).length;
      const counts = { customers: n("customers"), orders: n("orders"), visitors: n("visitors"), conversations: n("conversations"), messages: n("messages") };
      // First and last: the earliest and latest time on any of their rows.
      const times = [];
      for (const part of ["customers", "orders", "visitors", "conversations", "messages"]) {
        for (const row of exp[part] || []) for (const f of ["created_at", "updated_at", "last_seen_at"]) if (row[f]) times.push(Date.parse(row[f]));
      }
      const valid = times.filter(x => !isNaN(x));
      const first = valid.length ? new Date(Math.min(...valid)).toISOString() : "", last = valid.length ? new Date(Math.max(...valid)).toISOString() : "";
      const empty = !Object.values(counts).some(Boolean);
      const download = el("button.btn", { type: "button", id: "pv-download", text: t("pv.download"), on: { click: () => {
        const stamp = (exp.generated_at || new Date().toISOString()).replace(/\.\d+/, "").replace(/[-:]/g, "").replace("T", "-").replace("Z", "");
        const a = el("a", { download: `kefu-export-${String(exp.site).replace(/[^\w-]/g, "")}-${stamp}.json` });
        a.href = URL.createObjectURL(new Blob([JSON.stringify(exp, null, 2)], { type: "application/json" }));
        document.body.append(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        k.toast(t("pv.downloaded"));
      } } });
      const erase = el("button.btn.danger", { type: "button", id: "pv-erase", disabled: empty, text: t("pv.erase"), on: { click: () => confirmErase(exp, by, who, counts) } });
      set(result,
        el("h3", t(empty ? "pv.nothing" : "pv.holds", { who })),
        empty ? null : el("dl.pv-counts", { id: "pv-counts" }, [["conversations", counts.conversations], ["messages", counts.messages], ["orders", counts.orders],
          ["customers", counts.customers], ["visitors", counts.visitors]].map(([key, v]) => el("div", { "data-count": key }, el("dt", t("pv." + key)), el("dd", String(v)))),
          first ? el("div", el("dt", t("pv.first")), el("dd", { title: first, text: when(first) })) : null,
          last ? el("div", el("dt", t("pv.last")), el("dd", { title: last, text: when(last) })) : null),
        el("div.pv-acts", download, erase));
    }

    function confirmErase(exp, by, who, counts) {
      const typed = el("input", { type: "text", id: "pv-confirm", autocomplete: "off", spellcheck: false, "aria-describedby": "pv-confirm-what" });
      const goBtn = el("button.btn.primary.pv-danger", { type: "submit", id: "pv-erase-go", disabled: true, text: t("pv.erase.go") });
      const err = el("p.err", { role: "alert" });
      const same = () => by === "email" ? typed.value.trim().toLowerCase() === who.toLowerCase() : typed.value.trim() === who;
      typed.addEventListener("input", () => { goBtn.disabled = !same(); });
      const site = (k.S.sites.find(s => s.key === exp.site) || { name: exp.site }).name;
      const f = el("form.pv-confirm", { on: { submit: async ev => {
        ev.preventDefault();
        if (!same()) return;
        goBtn.disabled = true; goBtn.textContent = t("pv.erasing"); err.textContent = "";
        try {
          const out = await api("DELETE", "/privacy/subjects" + q({ site: exp.site, [by]: who }));
          k.closeDialog();
          set(result, el("p.pv-done", { id: "pv-done", role: "status" }, t("pv.erased", { list: listOf(ERASED.map(x => count(x, out[x] || 0))), fp: out.subject })));
          audit.reload();
        } catch (e) { err.textContent = e.message; goBtn.disabled = false; goBtn.textContent = t("pv.erase.go"); }
      } } },
        el("p", { id: "pv-confirm-what" }, t("pv.erase.what", { list: listOf(ERASED.map(x => count(x, counts[x]))), site })),
        el("label", { for: "pv-confirm" }, t("pv.erase.type", { value: who })), typed, err, el("div.end", goBtn));
      k.dialog(t("pv.erase.title"), f);
      typed.focus();
    }

    // ---- Audit log ----
    function auditCard() {
      const users = new Map();
      const action = el("select", { id: "audit-action", on: { change: () => list.load() } },
        el("option", { value: "", text: t("pv.all") }), FILTERS.map(f => el("option", { value: f, text: t("pv.f." + f) })));
      const actor = el("select", { id: "audit-actor", on: { change: () => list.load() } }, el("option", { value: "", text: t("pv.all") }));
      const tbody = el("tbody", { id: "audit" });
      const details = e => {
        const out = [];
        if (e.site_id) out.push(el("span.badge.site", siteName(e.site_id)));
        if (e.target) out.push(el("span.mono", e.target));
        const d = e.detail || {};
        const keys = Object.keys(d).filter(x => d[x] !== 0); // "0 orders" says nothing
        if (keys.length) out.push(el("span.muted", listOf(keys.map(x => typeof d[x] === "number" ? count(x, d[x]) : x + ": " + (typeof d[x] === "object" ? JSON.stringify(d[x]) : d[x])))));
        return el("div.pv-det", out);
      };
      const list = k.pager(cursor => api("GET", "/audit" + q({ action: action.value, actor: actor.value, cursor, limit: 25 })), (items, append) => {
        const rows = items.map(e => {
          const u = e.user_id != null ? users.get(e.user_id) : null;
          return el("tr", { "data-action": e.action },
            el("td.pv-when", { title: e.at, text: when(e.at) }),
            el("td.pv-who", el("b", u ? u.name : e.actor), u ? el("div.muted", e.actor) : null),
            el("td.pv-act", { title: e.action, text: tr("pv.a." + e.action, e.action) }),
            el("td.pv-dcell", details(e)));
        });
        append ? tbody.append(...rows) : set(tbody, ...rows);
        if (!append && !rows.length) tbody.append(el("tr", el("td.muted", { colspan: 4 }, t("list.empty"))));
      });
      // Names for the "who" column and the actor filter (users outlive nothing: the actor text stays).
      api("GET", "/users" + q({ limit: 200 })).then(page => {
        for (const u of page.items || []) users.set(u.id, u);
        for (const u of page.items || []) actor.append(el("option", { value: u.email, text: u.name + " · " + u.email }));
        actor.append(el("option", { value: "system", text: "system" }), el("option", { value: "admin token", text: "admin token" }));
      }).catch(() => { /* names stay emails */ }).finally(() => list.load());
      const card = el("div.card", { id: "audit-card" }, el("h2", t("pv.audit")),
        el("div.form.pv-filter", el("label", t("pv.action"), action), el("label", t("pv.actor"), actor)),
        el("div.pv-table", scrolls(t("pv.audit")), el("table", el("thead", el("tr", ["pv.when", "pv.actor", "pv.action", "pv.details"].map(x => el("th", t(x))))), tbody)), list.more);
      card.reload = () => list.load();
      return card;
    }

    // ---- Retention ----
    const retention = el("div.card", { id: "retention" }, el("h2", t("pv.retention")), el("p.muted", t("list.loading")));
    (async () => {
      try {
        const [sites, purge] = await Promise.all([api("GET", "/sites"), api("GET", "/audit" + q({ action: "retention.purge", limit: 1 }))]);
        const period = (ret, f) => {
          const own = ret && ret[f] != null, n = own ? ret[f] : DEFAULT_RETENTION[f];
          return (n > 0 ? t("pv.days", { n }) : t("pv.forever")) + (own ? "" : " (" + t("pv.default") + ")");
        };
        const last = (purge.items || [])[0];
        const what = last ? listOf(Object.entries(last.detail || {}).filter(([, v]) => v).map(([x, v]) => count(x, v))) : "";
        set(retention, el("h2", t("pv.retention")),
          el("div.pv-table", scrolls(t("pv.retention")), el("table", el("thead", el("tr", el("th", t("pv.site")), el("th", t("pv.ret.conv")), el("th", t("pv.ret.files")))),
            el("tbody", (sites.items || []).map(s => el("tr", { "data-site": s.key }, el("td", el("b", s.name)),
              el("td", period((s.settings || {}).retention, "conversation_days")), el("td", period((s.settings || {}).retention, "file_days"))))))),
          el("p", { id: "pv-last-purge" }, last ? t("pv.ret.last", { when: when(last.at), what }) : t("pv.ret.never")),
          el("p.muted", t("pv.ret.how")),
          el("a", { href: "#/sites", text: t("pv.ret.change") }));
      } catch (e) { set(retention, el("h2", t("pv.retention")), el("p.err", e.message)); }
    })();

    page.append(el("div.card", { id: "pv-request" }, el("h2", t("pv.request")), form, el("p.muted.pv-note", t("pv.note")), result), audit, retention);
  } });
})();
