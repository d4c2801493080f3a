// kefu console: the webhooks page (admins), registered in window.KEFU_PAGES
// and drawn with the kit console.js passes in. A site's subscriptions (add,
// turn on or off, new secret, remove) and one subscription's delivery log
// (status, latency, the start of the response, redeliver). Server data
// reaches the page only as text.
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.webhooks": "Webhooks",
    "wh.intro": "kefu POSTs what happens on a site to your other systems, signed with the webhook's secret (Kefu-Signature header). Failed deliveries are retried for 24 hours, in order per conversation.",
    "wh.site": "Site", "wh.list": "Endpoints", "wh.none": "No webhooks for this site yet.",
    "wh.url": "Endpoint URL", "wh.events": "Events", "wh.state": "State", "wh.actions": "Actions",
    "wh.on": "On", "wh.off": "Off", "wh.failures": "{n} failed in a row", "wh.disabledBecause": "{url} was turned off: {reason}",
    "wh.log": "Deliveries", "wh.enable": "Turn on", "wh.disable": "Turn off", "wh.rotate": "New secret", "wh.remove": "Remove",
    "wh.removeq": "Remove the webhook to {url}? Its delivery log goes too.", "wh.removed": "Webhook removed.",
    "wh.rotateq": "Give {url} a new secret? The receiver must use the new one from now on.",
    "wh.add": "Add a webhook", "wh.urlHelp": "https:// only, on a public address, unless private addresses are allowed below.",
    "wh.notes": "Include agents' internal notes in message.created",
    "wh.private": "Allow a private or loopback address (and plain http): only for a receiver inside your own network",
    "wh.desc": "Description (optional)", "wh.added": "Webhook added.",
    "wh.secret.title": "The webhook's secret", "wh.secret.once": "Copy it now: it is shown only this once. The receiver checks each delivery's Kefu-Signature with it.",
    "wh.log.title": "Deliveries to {url}", "wh.log.none": "Nothing sent yet.", "wh.log.filter": "Show",
    "wh.log.all": "All", "wh.st.pending": "Pending", "wh.st.delivered": "Delivered", "wh.st.failed": "Failed",
    "wh.log.when": "When", "wh.log.event": "Event", "wh.log.state": "State", "wh.log.attempts": "Attempts",
    "wh.log.status": "Status", "wh.log.latency": "Time", "wh.log.response": "Response", "wh.log.redeliver": "Send again",
    "wh.redelivered": "Queued to send again.", "wh.next": "next try {when}", "wh.ms": "{n} ms",
    "wh.ev.conversation.created": "Conversation started", "wh.ev.conversation.escalated": "Escalated to a person",
    "wh.ev.conversation.claimed": "Taken by an agent", "wh.ev.conversation.resolved": "Resolved",
    "wh.ev.conversation.reopened": "Reopened", "wh.ev.message.created": "New message",
    "wh.ev.csat.received": "Rating received", "wh.ev.knowledge.sync_finished": "Knowledge sync finished",
    "wh.ev.knowledge.sync_failed": "Knowledge sync failed", "wh.ev.answer_tests.regressed": "Answer tests regressed",
    "wh.loading": "Loading…",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.webhooks": "Webhook",
    "wh.intro": "kefu 会把站点上发生的事件 POST 到您的其他系统，并用该 Webhook 的密钥签名（Kefu-Signature 请求头）。投递失败会在 24 小时内重试，同一会话按顺序投递。",
    "wh.site": "站点", "wh.list": "接收地址", "wh.none": "此站点还没有 Webhook。",
    "wh.url": "接收地址 URL", "wh.events": "事件", "wh.state": "状态", "wh.actions": "操作",
    "wh.on": "已开启", "wh.off": "已关闭", "wh.failures": "连续失败 {n} 次", "wh.disabledBecause": "{url} 已被关闭：{reason}",
    "wh.log": "投递记录", "wh.enable": "开启", "wh.disable": "关闭", "wh.rotate": "更换密钥", "wh.remove": "删除",
    "wh.removeq": "删除发往 {url} 的 Webhook？其投递记录也会删除。", "wh.removed": "已删除 Webhook。",
    "wh.rotateq": "为 {url} 更换密钥？接收方此后必须使用新密钥。",
    "wh.add": "添加 Webhook", "wh.urlHelp": "只允许公网地址的 https://，除非在下方允许内网地址。",
    "wh.notes": "message.created 也包括客服的内部备注",
    "wh.private": "允许内网或本机地址（以及 http）：仅用于您自己网络内的接收方",
    "wh.desc": "说明（可选）", "wh.added": "已添加 Webhook。",
    "wh.secret.title": "Webhook 密钥", "wh.secret.once": "请立即复制：密钥只显示这一次。接收方用它校验每次投递的 Kefu-Signature。",
    "wh.log.title": "发往 {url} 的投递", "wh.log.none": "还没有投递。", "wh.log.filter": "显示",
    "wh.log.all": "全部", "wh.st.pending": "待投递", "wh.st.delivered": "已送达", "wh.st.failed": "失败",
    "wh.log.when": "时间", "wh.log.event": "事件", "wh.log.state": "状态", "wh.log.attempts": "尝试次数",
    "wh.log.status": "状态码", "wh.log.latency": "耗时", "wh.log.response": "响应", "wh.log.redeliver": "重新发送",
    "wh.redelivered": "已排队重新发送。", "wh.next": "下次尝试 {when}", "wh.ms": "{n} 毫秒",
    "wh.ev.conversation.created": "会话开始", "wh.ev.conversation.escalated": "转人工",
    "wh.ev.conversation.claimed": "客服接入", "wh.ev.conversation.resolved": "已解决",
    "wh.ev.conversation.reopened": "重新打开", "wh.ev.message.created": "新消息",
    "wh.ev.csat.received": "收到评价", "wh.ev.knowledge.sync_finished": "知识同步完成",
    "wh.ev.knowledge.sync_failed": "知识同步失败", "wh.ev.answer_tests.regressed": "回答测试退步",
    "wh.loading": "加载中…",
  });

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "webhooks", key: "nav.webhooks", admin: true, render(main, k) {
    const { el, set, t, api } = k;
    const loc = () => (k.lang() === "zh" ? "zh-CN" : "en-US");
    const when = iso => iso ? new Date(iso).toLocaleString(loc(), { dateStyle: "short", timeStyle: "medium" }) : "";
    const evName = e => t("wh.ev." + e);
    const page = el("div.page.webhooks", el("h1", t("nav.webhooks")), el("p.muted", t("wh.intro")));
    main.append(page);
    const siteSel = k.sitePicker(() => { closeLog(); load(); });
    const status = el("div.wh-status", { id: "wh-status", role: "status", "aria-live": "polite" });
    const alerts = el("div", { id: "wh-alerts" });
    let types = [];

    // ---- The site's subscriptions ----
    const tbody = el("tbody", { id: "wh-rows" });
    const table = el("table.tbl.wh-table", el("caption.sr", t("wh.list")),
      el("thead", el("tr", el("th", { scope: "col", text: t("wh.url") }), el("th", { scope: "col", text: t("wh.events") }),
        el("th", { scope: "col", text: t("wh.state") }), el("th", { scope: "col", text: t("wh.actions") }))), tbody);
    const say = msg => { status.textContent = ""; status.textContent = msg; };
    async function load() {
      try {
        const out = await api("GET", "/webhooks?site=" + encodeURIComponent(siteSel.value));
        types = out.event_types || [];
        drawEvents();
        const items = out.items || [];
        set(alerts, ...items.filter(w => !w.enabled && w.disabled_reason).map(w =>
          el("p.err.wh-disabled", { role: "alert" }, t("wh.disabledBecause", { url: w.url, reason: w.disabled_reason }))));
        set(tbody, ...(items.length ? items.map(row) : [el("tr", el("td", { colspan: 4, text: t("wh.none") }))]));
      } catch (e) { k.fail(e); }
    }
    function row(w) {
      const btn = (label, cls, fn) => el("button.btn.small" + cls, { type: "button", text: t(label), "aria-label": t(label) + ": " + w.url, on: { click: fn } });
      return el("tr", { "data-id": w.id },
        el("td", el("div.mono.wh-url", w.url), w.description ? el("div.muted", w.description) : null),
        el("td", el("ul.wh-events", w.events.map(e => el("li", { title: e }, evName(e))))),
        el("td", el("span.badge" + (w.enabled ? ".st-ready" : ".st-failed"), t(w.enabled ? "wh.on" : "wh.off")),
          w.failures ? el("div.muted", t("wh.failures", { n: w.failures })) : null),
        el("td.wh-actions",
          btn("wh.log", ".wh-log", () => openLog(w)),
          btn(w.enabled ? "wh.disable" : "wh.enable", ".wh-toggle", () => toggle(w)),
          btn("wh.rotate", ".wh-rotate", () => rotate(w)),
          btn("wh.remove", ".wh-remove", () => remove(w))));
    }
    async function toggle(w) {
      try {
        const out = await api("POST", `/webhooks/${w.id}/${w.enabled ? "disable" : "enable"}`);
        say(t(out.enabled ? "wh.on" : "wh.off") + ": " + out.url);
        load();
      } catch (e) { k.fail(e); }
    }
    async function rotate(w) {
      if (!window.confirm(t("wh.rotateq", { url: w.url }))) return;
      try { showSecret(await api("POST", `/webhooks/${w.id}/rotate-secret`)); } catch (e) { k.fail(e); }
    }
    async function remove(w) {
      if (!window.confirm(t("wh.removeq", { url: w.url }))) return;
      try {
        await api("DELETE", `/webhooks/${w.id}`);
        if (logFor && logFor.id === w.id) closeLog();
        k.toast(t("wh.removed")); say(t("wh.removed")); load();
      } catch (e) { k.fail(e); }
    }
    function showSecret(w) {
      const code = el("code.mono.wh-secret", { id: "wh-secret" }, w.secret);
      const copy = el("button.btn.small", { type: "button", text: t("act.copy"), on: { click: () => k.copy(w.secret, copy) } });
      k.dialog(t("wh.secret.title"), el("p", t("wh.secret.once")), el("p", el("span.mono", w.url)), el("p.wh-secret-row", code, " ", copy));
    }

    // ---- Add ----
    const url = el("input", { type: "url", id: "wh-url", required: true, maxlength: 2000, placeholder: "https://crm.example.com/kefu", "aria-describedby": "wh-url-help" });
    const events = el("div.wh-checks", { id: "wh-events" });
    const notes = el("input", { type: "checkbox", id: "wh-notes" });
    const priv = el("input", { type: "checkbox", id: "wh-private" });
    const desc = el("input", { type: "text", id: "wh-desc", maxlength: 200 });
    function drawEvents() {
      if (events.childElementCount || !types.length) return;
      set(events, ...types.map(e => el("label.check", el("input", { type: "checkbox", name: "event", value: e, checked: e.startsWith("conversation.") || e === "message.created" }),
        " ", evName(e), " ", el("span.muted.mono", e))));
    }
    const form = el("form.form.wh-add", { on: { submit: async ev => {
      ev.preventDefault();
      const chosen = [...events.querySelectorAll("input:checked")].map(i => i.value);
      try {
        const w = await api("POST", "/webhooks?site=" + encodeURIComponent(siteSel.value),
          { url: url.value.trim(), events: chosen, include_notes: notes.checked, allow_private: priv.checked, description: desc.value });
        url.value = ""; desc.value = ""; notes.checked = false; priv.checked = false;
        say(t("wh.added")); load(); showSecret(w);
      } catch (e) { k.fail(e); say(e.message); }
    } } },
      el("h2", t("wh.add")),
      el("label", { for: "wh-url" }, t("wh.url")), url, el("p.muted", { id: "wh-url-help" }, t("wh.urlHelp")),
      el("fieldset", el("legend", t("wh.events")), events),
      el("label.check", notes, " ", t("wh.notes")),
      el("label.check", priv, " ", t("wh.private")),
      el("label", { for: "wh-desc" }, t("wh.desc")), desc,
      el("div.end", el("button.btn.primary", { type: "submit", id: "wh-add", text: t("wh.add") })));

    // ---- One subscription's delivery log ----
    let logFor = null;
    const logCard = el("section.card.wh-log-card", { id: "wh-log", "aria-labelledby": "wh-log-h", hidden: true });
    const logState = el("select", { id: "wh-log-state", on: { change: () => logPager.load() } },
      ["", "pending", "delivered", "failed"].map(v => el("option", { value: v, text: t(v ? "wh.st." + v : "wh.log.all") })));
    const logBody = el("tbody", { id: "wh-log-rows" });
    const logPager = k.pager(cursor => api("GET", `/webhooks/${logFor.id}/deliveries?` + new URLSearchParams({ state: logState.value, cursor, limit: 25 })),
      (items, append) => {
        const rows = items.map(d => el("tr", { "data-id": d.id },
          el("td", when(d.created_at)),
          el("td", { title: d.type }, evName(d.type)),
          el("td", el("span.badge.wh-st-" + d.state, t("wh.st." + d.state)), d.state === "pending" && d.next_attempt_at ? el("div.muted", t("wh.next", { when: when(d.next_attempt_at) })) : null),
          el("td", String(d.attempts)),
          el("td", d.status != null ? String(d.status) : "—", d.error ? el("div.muted.wh-error", d.error) : null),
          el("td", d.latency_ms != null ? t("wh.ms", { n: d.latency_ms }) : "—"),
          el("td", d.response ? el("code.mono.wh-response", d.response) : "—"),
          el("td", el("button.btn.small", { type: "button", text: t("wh.log.redeliver"), "aria-label": t("wh.log.redeliver") + ": " + evName(d.type) + " " + when(d.created_at),
            on: { click: () => redeliver(d) } }))));
        if (append) rows.forEach(r => logBody.append(r));
        else set(logBody, ...(rows.length ? rows : [el("tr", el("td", { colspan: 8, text: t("wh.log.none") }))]));
      });
    async function redeliver(d) {
      try { await api("POST", `/webhooks/${logFor.id}/deliveries/${d.id}/redeliver`); say(t("wh.redelivered")); k.toast(t("wh.redelivered")); logPager.load(); }
      catch (e) { k.fail(e); }
    }
    function openLog(w) {
      logFor = w;
      set(logCard, el("h2", { id: "wh-log-h", tabindex: "-1" }, t("wh.log.title", { url: w.url })),
        el("div.wh-bar", el("label", { for: "wh-log-state" }, t("wh.log.filter")), logState),
        el("div.scroll", el("table.tbl.wh-log-table", el("caption.sr", t("wh.log.title", { url: w.url })),
          el("thead", el("tr", ["wh.log.when", "wh.log.event", "wh.log.state", "wh.log.attempts", "wh.log.status", "wh.log.latency", "wh.log.response"]
            .map(h => el("th", { scope: "col", text: t(h) })), el("th", el("span.sr", t("wh.log.redeliver"))))), logBody)),
        logPager.more);
      set(logBody, el("tr", el("td", { colspan: 8, text: t("wh.loading") })));
      logCard.hidden = false;
      logPager.load();
      logCard.querySelector("h2").focus();
    }
    function closeLog() { logFor = null; logCard.hidden = true; }

    page.append(
      el("div.wh-bar", el("label", t("wh.site"), siteSel)),
      status, alerts,
      el("section.card", { "aria-labelledby": "wh-h" }, el("h2", { id: "wh-h" }, t("wh.list")), el("div.scroll", table)),
      logCard,
      el("section.card", { "aria-label": t("wh.add") }, form));
    load();
  } });
})();
