// kefu console: the Sources page (admins), registered in window.KEFU_PAGES
// and drawn with the kit console.js passes in. Pages, sitemaps, crawls and
// product feeds kefu keeps the knowledge base current from: add one, choose
// its schedule, sync now, read its log, pause, remove. While a sync runs the
// page polls GET /knowledge/sources and shows its progress. Server data
// reaches the page only as text.
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.sources": "Sources",
    "src.intro": "kefu keeps these pages, sitemaps and product feeds in sync: changed pages are re-read, pages gone twice in a row leave the knowledge base, and feeds update your products.",
    "src.add": "Add a source", "src.url": "URL", "src.url.ph": "https://shop.example.com/sitemap.xml", "src.kind": "Kind",
    "src.kind.auto": "Detect from the URL", "src.kind.page": "One page", "src.kind.sitemap": "Sitemap", "src.kind.crawl": "Crawl from this page", "src.kind.feed": "Product feed",
    "src.every": "Schedule", "src.every.hourly": "Hourly", "src.every.daily": "Daily", "src.every.weekly": "Weekly", "src.every.manual": "Manual only",
    "src.private": "Allow private network addresses (an internal help center; recorded in the audit log)",
    "src.adding": "Adding…", "src.added": "Source added; its first sync starts now.", "src.list": "Sources",
    "src.col.source": "Source", "src.col.schedule": "Schedule", "src.col.last": "Last sync", "src.col.actions": "Actions",
    "src.none": "No sources yet. Add your help center's sitemap to start.",
    "src.disabled": "Knowledge sources are not enabled on this server.",
    "src.never": "Not synced yet", "src.queued": "Waiting for a server to start it…", "src.running": "Syncing… {done} of {total} pages",
    "src.ok": "Synced {when}", "src.failed": "Failed {when}", "src.abandoned": "Interrupted {when}",
    "src.tally": "{added} added, {changed} changed, {removed} removed, {unchanged} unchanged, {failed} failed",
    "src.pages": "{n} pages kept", "src.products": "{n} products kept", "src.paused": "Paused", "src.private.on": "private addresses allowed",
    "src.sync": "Sync now", "src.pause": "Pause", "src.resume": "Resume", "src.log": "Log", "src.remove": "Remove",
    "src.remove.title": "Remove this source?", "src.remove.what": "{url} and the {n} pages or products it brought in leave the knowledge base.",
    "src.remove.go": "Remove source", "src.removed": "Source removed.", "src.saved": "Schedule saved.",
    "src.log.title": "Sync log", "src.log.when": "Started", "src.log.status": "Result", "src.log.took": "Took", "src.log.requests": "Requests", "src.log.changes": "Changes",
    "src.log.failures": "What failed", "src.log.none": "No runs yet.", "src.log.seconds": "{n} s",
    "src.status.ok": "ok", "src.status.failed": "failed", "src.status.running": "running", "src.status.abandoned": "interrupted",
    "pv.a.source.add": "Added a knowledge source", "pv.a.source.update": "Changed a knowledge source", "pv.a.source.sync": "Synced a knowledge source",
    "pv.a.source.remove": "Removed a knowledge source",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.sources": "同步来源",
    "src.intro": "kefu 会按计划同步这些网页、站点地图和商品源：变更的页面会重新读取，连续两次消失的页面会移出知识库，商品源会更新你的商品。",
    "src.add": "添加来源", "src.url": "网址", "src.url.ph": "https://shop.example.com/sitemap.xml", "src.kind": "类型",
    "src.kind.auto": "根据网址判断", "src.kind.page": "单个页面", "src.kind.sitemap": "站点地图", "src.kind.crawl": "从此页面抓取", "src.kind.feed": "商品源",
    "src.every": "同步频率", "src.every.hourly": "每小时", "src.every.daily": "每天", "src.every.weekly": "每周", "src.every.manual": "仅手动",
    "src.private": "允许内网地址（内部帮助中心；会记入审计日志）",
    "src.adding": "添加中…", "src.added": "来源已添加，首次同步马上开始。", "src.list": "来源",
    "src.col.source": "来源", "src.col.schedule": "频率", "src.col.last": "最近同步", "src.col.actions": "操作",
    "src.none": "还没有来源。添加帮助中心的站点地图即可开始。",
    "src.disabled": "此服务器未启用知识来源。",
    "src.never": "尚未同步", "src.queued": "等待服务器开始同步…", "src.running": "同步中… {done}/{total} 个页面",
    "src.ok": "{when}同步成功", "src.failed": "{when}同步失败", "src.abandoned": "{when}同步中断",
    "src.tally": "新增 {added}，变更 {changed}，移除 {removed}，未变 {unchanged}，失败 {failed}",
    "src.pages": "保留 {n} 个页面", "src.products": "保留 {n} 个商品", "src.paused": "已暂停", "src.private.on": "允许内网地址",
    "src.sync": "立即同步", "src.pause": "暂停", "src.resume": "恢复", "src.log": "日志", "src.remove": "移除",
    "src.remove.title": "移除此来源？", "src.remove.what": "{url} 及其带来的 {n} 个页面或商品将移出知识库。",
    "src.remove.go": "移除来源", "src.removed": "来源已移除。", "src.saved": "频率已保存。",
    "src.log.title": "同步日志", "src.log.when": "开始时间", "src.log.status": "结果", "src.log.took": "耗时", "src.log.requests": "请求数", "src.log.changes": "变化",
    "src.log.failures": "失败项", "src.log.none": "还没有同步记录。", "src.log.seconds": "{n} 秒",
    "src.status.ok": "成功", "src.status.failed": "失败", "src.status.running": "进行中", "src.status.abandoned": "中断",
    "pv.a.source.add": "添加知识来源", "pv.a.source.update": "修改知识来源", "pv.a.source.sync": "同步知识来源", "pv.a.source.remove": "移除知识来源",
  });

  const SCHEDULES = [["hourly", 3600], ["daily", 86400], ["weekly", 604800], ["manual", 0]];

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "sources", key: "nav.sources", admin: true, render(main, k) {
    const { el, set, t, api } = k;
    const q = obj => { const p = new URLSearchParams(); for (const x in obj) if (obj[x] !== "" && obj[x] != null) p.set(x, obj[x]); const s = p.toString(); return s ? "?" + s : ""; };
    const loc = () => (k.lang() === "zh" ? "zh-CN" : "en-US");
    const when = iso => iso ? new Date(iso).toLocaleString(loc(), { dateStyle: "medium", timeStyle: "short" }) : "";
    const page = el("div.page.sources");
    main.append(page);

    // ---- Add ----
    const url = el("input", { type: "url", id: "src-url", name: "url", required: true, placeholder: t("src.url.ph"), autocomplete: "off", spellcheck: false });
    const kind = el("select", { id: "src-kind", name: "kind" }, ["", "page", "sitemap", "crawl", "feed"].map(v => el("option", { value: v, text: t("src.kind." + (v || "auto")) })));
    const every = el("select", { id: "src-every", name: "every" }, SCHEDULES.map(([v]) => el("option", { value: v, selected: v === "daily", text: t("src.every." + v) })));
    const priv = el("input", { type: "checkbox", id: "src-private", name: "allow_private" });
    const err = el("p.err", { id: "src-err", role: "alert" });
    const go = el("button.btn.primary", { type: "submit", id: "src-add", text: t("src.add") });
    const form = el("form.form.src-add", { "aria-labelledby": "src-add-h", on: { submit: async ev => {
      ev.preventDefault();
      err.textContent = "";
      go.disabled = true; go.textContent = t("src.adding");
      try {
        await api("POST", "/knowledge/sources" + q({ site: siteSel.value }), { url: url.value.trim(), kind: kind.value, every: every.value, allow_private: priv.checked });
        url.value = ""; priv.checked = false;
        k.toast(t("src.added"));
        load();
      } catch (e) { err.textContent = e.message; url.focus(); } finally { go.disabled = false; go.textContent = t("src.add"); }
    } } },
      el("label.grow", t("src.url"), url),
      el("label", t("src.kind"), kind),
      el("label", t("src.every"), every),
      el("label.src-priv", priv, el("span", t("src.private"))),
      go, err);

    // ---- List ----
    const tbody = el("tbody", { id: "sources" });
    const status = el("p.visually-hidden", { id: "src-status", role: "status", "aria-live": "polite" });
    const siteSel = k.sitePicker(() => load());
    let items = [], next = "", seq = 0, timer = null, wasBusy = new Set();
    const more = el("button.btn.more", { type: "button", hidden: true, text: t("list.more"), on: { click: () => load(true) } });

    async function load(append) {
      const my = ++seq;
      try {
        const res = await api("GET", "/knowledge/sources" + q({ site: siteSel.value, cursor: append ? next : "", limit: 25 }));
        if (my !== seq) return;
        items = append ? items.concat(res.items || []) : (res.items || []);
        next = res.next_cursor || "";
        more.hidden = !next;
        draw();
      } catch (e) {
        if (my !== seq) return;
        // A server without sources says so in the table, not as an error.
        if (e.code === "not_enabled" && !append) { set(tbody, el("tr", el("td.muted", { colspan: 4 }, t("src.disabled")))); return; }
        k.fail(e);
      }
    }
    const running = s => !!(s.last_run && s.last_run.status === "running");
    const busy = s => s.sync_requested || s.due || running(s);
    function draw() {
      // Keep focus on the control it was on (a poll redraws the rows).
      const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : null;
      set(tbody, items.length ? items.map(row) : el("tr", el("td.muted", { colspan: 4 }, t("src.none"))));
      if (focused) { const f = tbody.querySelector(`[data-focus="${CSS.escape(focused)}"]`); if (f) f.focus(); }
      const waiting = items.filter(busy);
      // Screen readers hear when a sync starts and how it ended, not every page count.
      const said = [];
      for (const s of items) {
        const was = wasBusy.has(s.id), now = busy(s);
        if (now && !was) said.push(s.url + ": " + t("src.queued"));
        if (!now && was) said.push(s.url + ": " + lastText(s) + (s.last_run ? ", " + t("src.tally", s.last_run) : ""));
      }
      wasBusy = new Set(waiting.map(s => s.id));
      if (said.length) status.textContent = said.join(". ");
      clearTimeout(timer);
      // Poll while a sync runs (often) or waits for a server to start it (less often).
      if (waiting.length) timer = setTimeout(() => { if (document.body.contains(tbody)) load(); }, items.some(running) ? 1000 : 2500);
    }
    function lastText(s) {
      const r = s.last_run;
      if (running(s)) return t("src.running", { done: r.done, total: r.total || "?" });
      if (s.sync_requested || (s.due && !r)) return t("src.queued");
      if (!r) return t("src.never");
      return t("src." + (r.status === "ok" ? "ok" : r.status === "abandoned" ? "abandoned" : "failed"), { when: when(r.finished_at || r.started_at) });
    }
    function row(s) {
      const r = s.last_run, id = "src-" + s.id;
      const sched = el("select", { "aria-label": t("src.col.schedule") + ": " + s.url, "data-focus": id + "-every", on: { change: async () => {
        try { await api("PATCH", `/knowledge/sources/${s.id}`, { every: sched.value }); k.toast(t("src.saved")); load(); } catch (e) { k.fail(e); }
      } } }, SCHEDULES.map(([v, secs]) => el("option", { value: v, selected: s.every_seconds === secs, text: t("src.every." + v) })),
        SCHEDULES.some(([, secs]) => secs === s.every_seconds) ? null : el("option", { value: s.every_seconds + "s", selected: true, text: s.schedule }));
      const act = (key, on, extra) => el("button.btn.small" + (extra || ""), { type: "button", "data-act": key, "data-focus": id + "-" + key,
        "aria-label": t("src." + key) + ": " + s.url, text: t("src." + key), on: { click: on } });
      let last;
      if (running(s)) {
        last = [el("div", lastText(s)), el("progress", { max: r.total || 1, value: r.done || 0, "aria-label": t("src.running", { done: r.done, total: r.total || "?" }) })];
      } else {
        last = [el("div", { class: r && r.status !== "ok" ? "st-failed" : r ? "st-ready" : "muted" }, lastText(s)),
          r && r.status !== "running" ? el("div.muted", t("src.tally", r)) : null,
          r && r.error ? el("div.err", r.error) : null];
      }
      return el("tr", { "data-source": s.id, "aria-busy": busy(s) ? "true" : "false" },
        el("th", { scope: "row" }, el("a.mono.src-url", { href: s.url, target: "_blank", rel: "noopener noreferrer", text: s.url }),
          el("div.muted", t("src.kind." + s.kind), " · ", t(s.kind === "feed" ? "src.products" : "src.pages", { n: s.pages }),
            s.allow_private ? [" · ", t("src.private.on")] : null, s.paused ? [" · ", el("b", t("src.paused"))] : null)),
        el("td", sched),
        el("td.src-last", last),
        el("td.src-acts",
          act("sync", async () => { try { await api("POST", `/knowledge/sources/${s.id}/sync`); load(); } catch (e) { k.fail(e); } }, busy(s) ? "" : ".primary"),
          act(s.paused ? "resume" : "pause", async () => { try { await api("PATCH", `/knowledge/sources/${s.id}`, { paused: !s.paused }); load(); } catch (e) { k.fail(e); } }),
          act("log", () => showLog(s)),
          act("remove", () => confirmRemove(s), ".danger")));
    }

    async function showLog(s) {
      const body = el("div.src-log", { id: "src-log" }, t("list.loading"));
      k.dialog(t("src.log.title") + " · " + s.url, body);
      try {
        const res = await api("GET", `/knowledge/sources/${s.id}/runs` + q({ limit: 20 }));
        const runs = res.items || [];
        set(body, runs.length ? el("table", el("caption.visually-hidden", t("src.log.title")),
          el("thead", el("tr", ["src.log.when", "src.log.status", "src.log.changes", "src.log.took", "src.log.requests"].map(x => el("th", { scope: "col" }, t(x))))),
          el("tbody", runs.map(r => [
            el("tr", { "data-run": r.id },
              el("td", when(r.started_at)),
              el("td", el("span", { class: r.status === "ok" ? "st-ready" : r.status === "running" ? "st-processing" : "st-failed", text: t("src.status." + r.status) })),
              el("td", t("src.tally", r), r.error ? el("div.err", r.error) : null),
              el("td", t("src.log.seconds", { n: (r.duration_seconds || 0).toFixed(1) })),
              el("td", String(r.requests))),
            (r.failures || []).length ? el("tr.src-fails", el("td", { colspan: 5 }, el("details", el("summary", t("src.log.failures") + " (" + r.failures.length + ")"),
              el("ul", r.failures.map(f => el("li", el("span.mono", f.url), ": ", f.reason)))))) : null]))) : el("p.muted", t("src.log.none")));
      } catch (e) { set(body, el("p.err", e.message)); }
    }

    function confirmRemove(s) {
      const goBtn = el("button.btn.primary.pv-danger", { type: "button", id: "src-remove-go", text: t("src.remove.go"), on: { click: async () => {
        goBtn.disabled = true;
        try { await api("DELETE", `/knowledge/sources/${s.id}`); k.closeDialog(); k.toast(t("src.removed")); load(); }
        catch (e) { goBtn.disabled = false; k.fail(e); }
      } } });
      k.dialog(t("src.remove.title"), el("p", { id: "src-remove-what" }, t("src.remove.what", { url: s.url, n: s.pages })), el("div.end", goBtn));
    }

    page.append(
      el("h1", t("nav.sources")),
      el("p.muted.src-intro", t("src.intro")),
      el("div.form", el("label", t("kb.site"), siteSel)),
      el("section.card", { "aria-labelledby": "src-add-h" }, el("h2", { id: "src-add-h" }, t("src.add")), form),
      el("section.card", { "aria-labelledby": "src-list-h" }, el("h2", { id: "src-list-h" }, t("src.list")),
        el("div.pv-table", el("table.src-table", el("thead", el("tr", ["src.col.source", "src.col.schedule", "src.col.last", "src.col.actions"].map(x => el("th", { scope: "col" }, t(x))))), tbody)),
        more, status));
    load();
  } });
})();
