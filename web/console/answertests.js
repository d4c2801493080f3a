// kefu console: the answer tests page (admins), registered in
// window.KEFU_PAGES and drawn with the kit console.js passes in. Two cards:
// the site's answer tests (questions with the facts a right answer must
// contain, their latest results, what regressed, run now, add, remove) and
// the site's search vocabulary (shopper words → the words its pages use).
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.answertests": "Answer tests",
    "at.intro": "Questions your shoppers ask, with the facts a right answer must contain. They run after every change to the knowledge base.",
    "at.site": "Site", "at.run": "Run now", "at.running": "Running…", "at.none": "No answer tests yet. Add the questions your shoppers ask most.",
    "at.disabled": "Answer tests are not enabled on this server.",
    "at.question": "Question", "at.facts": "Facts a right answer contains", "at.result": "Latest result", "at.reply": "Bot's reply",
    "at.source": "Passage", "at.remove": "Remove", "at.removeq": "Remove the test “{q}”?",
    "at.add": "Add a test", "at.factsHelp": "One fact a line; wordings of the same fact separated by “/” (30 days / 30 天).",
    "at.added": "Test added.", "at.removed": "Test removed.",
    "at.pass": "Pass", "at.wrong": "Wrong", "at.declined": "Declined", "at.never": "Not run yet",
    "at.missing": "Missing: {list}",
    "at.foundIn": "Your knowledge states it in {list}: the bot did not find or choose it (words shoppers use can go in the search vocabulary below).",
    "at.notFound": "No passage of your knowledge states it: add it to a page.",
    "at.summary": "Last run {when} ({reason}): {passed} passed, {failed} failed.",
    "at.regressed": "{n} questions that passed before fail since {reason}.", "at.regressed.one": "1 question that passed before fails since {reason}.",
    "at.manual": "a manual run",
    "vo.title": "Search vocabulary", "vo.intro": "Words your shoppers use, and the words your pages use for them. Built-in shop words (send back → return, 德国 → 欧盟 …) always apply.",
    "vo.line": "Line", "vo.ph": "throw, blanket throw => plaid", "vo.add": "Add", "vo.none": "No words of your own yet.",
    "vo.phrases": "Shoppers write", "vo.terms": "Search also looks for", "vo.added": "Words added.",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.answertests": "回答测试",
    "at.intro": "顾客常问的问题，以及正确回答必须包含的事实。知识库每次变更后都会自动运行。",
    "at.site": "站点", "at.run": "立即运行", "at.running": "运行中…", "at.none": "还没有回答测试。请添加顾客最常问的问题。",
    "at.disabled": "此服务器未启用回答测试。",
    "at.question": "问题", "at.facts": "正确回答包含的事实", "at.result": "最近结果", "at.reply": "机器人的回答",
    "at.source": "出处", "at.remove": "删除", "at.removeq": "删除测试“{q}”？",
    "at.add": "添加测试", "at.factsHelp": "每行一个事实；同一事实的不同说法用“/”分隔（30 天 / 30 days）。",
    "at.added": "已添加测试。", "at.removed": "已删除测试。",
    "at.pass": "通过", "at.wrong": "错误", "at.declined": "未回答", "at.never": "尚未运行",
    "at.missing": "缺少：{list}",
    "at.foundIn": "知识库的 {list} 写了这些事实，但机器人没有找到或没有选用（可以把顾客的说法加到下面的搜索词汇里）。",
    "at.notFound": "知识库里没有写这些事实的段落：请把它加到页面里。",
    "at.summary": "最近一次运行 {when}（{reason}）：通过 {passed} 个，失败 {failed} 个。",
    "at.regressed": "有 {n} 个以前通过的问题，在 {reason} 之后失败了。", "at.regressed.one": "有 1 个以前通过的问题，在 {reason} 之后失败了。",
    "at.manual": "手动运行",
    "vo.title": "搜索词汇", "vo.intro": "顾客的说法，以及您的页面里对应的词。内置的购物词汇（寄回 → 退货、德国 → 欧盟 …）始终生效。",
    "vo.line": "词条", "vo.ph": "毯子, 毛毯 => throw blanket", "vo.add": "添加", "vo.none": "还没有自定义词汇。",
    "vo.phrases": "顾客的说法", "vo.terms": "搜索同时查找", "vo.added": "已添加词汇。",
  });

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "answertests", key: "nav.answertests", admin: true, render(main, k) {
    const { el, set, t, api, tongue } = k;
    const loc = () => (k.lang() === "zh" ? "zh-CN" : "en-US");
    const when = iso => iso ? new Date(iso).toLocaleString(loc(), { dateStyle: "medium", timeStyle: "short" }) : "";
    const qs = () => "?site=" + encodeURIComponent(siteSel.value);
    const page = el("div.page.answertests", el("h1", t("nav.answertests")), el("p.muted", t("at.intro")));
    main.append(page);
    const siteSel = k.sitePicker(() => { load(); vocab.load(); });

    // ---- Tests ----
    const status = el("div.at-status", { id: "at-status", role: "status", "aria-live": "polite" });
    const runBtn = el("button.btn.primary", { type: "button", id: "at-run", text: t("at.run"), on: { click: async () => {
      runBtn.disabled = true; runBtn.textContent = t("at.running"); status.textContent = t("at.running");
      try { await api("POST", "/answer-tests/run" + qs()); await load(); } catch (e) { k.fail(e); status.textContent = ""; }
      finally { runBtn.disabled = false; runBtn.textContent = t("at.run"); }
    } } });
    const tbody = el("tbody", { id: "at-rows" });
    const table = el("table.tbl.at-table", el("caption.sr-only", t("nav.answertests")),
      el("thead", el("tr", el("th", { scope: "col", text: t("at.question") }), el("th", { scope: "col", text: t("at.facts") }),
        el("th", { scope: "col", text: t("at.result") }), el("th", { scope: "col", text: t("at.reply") }), el("th", el("span.sr-only", t("at.remove"))))),
      tbody);
    const verdict = r => r ? el("span.badge.at-" + r.verdict, t("at." + r.verdict)) : el("span.muted", t("at.never"));
    const reason = r => r === "manual" ? t("at.manual") : r.replace(/^knowledge changed: ?/, "");
    async function load() {
      try {
        const out = await api("GET", "/answer-tests" + qs());
        const run = out.latest_run;
        const parts = [];
        if (run) {
          const n = (run.regressed || []).length;
          if (n) parts.push(el("p.at-regressed", { id: "at-regressed", role: "alert" },
            t(n === 1 ? "at.regressed.one" : "at.regressed", { n, reason: reason(run.reason) }),
            el("ul", run.regressed.map(r => el("li", r.question)))));
          parts.push(el("p.muted", t("at.summary", { when: when(run.finished_at), reason: reason(run.reason), passed: run.passed, failed: run.failed })));
        }
        set(status, ...parts);
        const rows = (out.tests || []).map(x => el("tr", { "data-id": x.id },
          el("td", el("b", { lang: tongue(x.question) }, x.question), (x.context || []).length ? el("div.muted", x.context.join(" · ")) : null),
          el("td", el("ul.at-facts", x.facts.map(f => el("li", f.join(" / "))))),
          el("td", verdict(x.last), x.last && x.last.missing.length ? el("div.muted", t("at.missing", { list: x.last.missing.join("; ") })) : null),
          el("td.at-reply", x.last ? el("div", { lang: tongue(x.last.reply) }, x.last.reply) : null, x.last && x.last.source ? el("div.muted", t("at.source") + ": " + x.last.source) : null,
            x.last && !x.last.passed ? el("div.at-found", (x.last.found_in || []).length ? t("at.foundIn", { list: x.last.found_in.join("; ") }) : t("at.notFound")) : null),
          el("td", el("button.btn.small", { type: "button", "aria-label": t("at.remove") + ": " + x.question, text: t("at.remove"), on: { click: () => remove(x) } }))));
        set(tbody, ...(rows.length ? rows : [el("tr", el("td", { colspan: 5, text: t("at.none") }))]));
      } catch (e) {
        // A server without answer tests says so in the table, not as an error.
        if (e.code === "not_enabled") { set(tbody, el("tr", el("td.muted", { colspan: 5, text: t("at.disabled") }))); return; }
        k.fail(e);
      }
    }
    async function remove(x) {
      if (!window.confirm(t("at.removeq", { q: x.question }))) return;
      try { await api("DELETE", `/answer-tests/${x.id}` + qs()); k.toast(t("at.removed")); load(); } catch (e) { k.fail(e); }
    }
    const question = el("input", { type: "text", id: "at-question", required: true, maxlength: 4000 });
    const facts = el("textarea", { id: "at-facts-in", required: true, rows: 3, "aria-describedby": "at-facts-help" });
    const add = el("form.form.at-add", { on: { submit: async ev => {
      ev.preventDefault();
      const list = facts.value.split("\n").map(l => l.split("/").map(w => w.trim()).filter(Boolean)).filter(f => f.length);
      try {
        await api("POST", "/answer-tests" + qs(), { question: question.value, facts: list });
        question.value = ""; facts.value = ""; k.toast(t("at.added")); load();
      } catch (e) { k.fail(e); }
    } } },
      el("h2", t("at.add")),
      el("label", { for: "at-question" }, t("at.question")), question,
      el("label", { for: "at-facts-in" }, t("at.facts")), facts, el("p.muted", { id: "at-facts-help" }, t("at.factsHelp")),
      el("div.end", el("button.btn", { type: "submit", id: "at-add", text: t("at.add") })));

    // ---- Vocabulary ----
    const vocab = (() => {
      const list = el("tbody", { id: "vo-rows" });
      const line = el("input", { type: "text", id: "vo-line", required: true, maxlength: 2000, placeholder: t("vo.ph") });
      const form = el("form.form.vo-add", { on: { submit: async ev => {
        ev.preventDefault();
        try { await api("POST", "/knowledge/synonyms" + qs(), { line: line.value }); line.value = ""; k.toast(t("vo.added")); load(); } catch (e) { k.fail(e); }
      } } }, el("label", { for: "vo-line" }, t("vo.line")), line, el("button.btn", { type: "submit", id: "vo-add", text: t("vo.add") }));
      async function load() {
        try {
          const out = await api("GET", "/knowledge/synonyms" + qs());
          const rows = (out.items || []).map(x => el("tr", el("td", x.phrases.join(", ")), el("td", x.terms.join(", ")),
            el("td", el("button.btn.small", { type: "button", "aria-label": t("at.remove") + ": " + x.phrases.join(", "), text: t("at.remove"), on: { click: async () => {
              try { await api("DELETE", `/knowledge/synonyms/${x.id}` + qs()); load(); } catch (e) { k.fail(e); }
            } } }))));
          set(list, ...(rows.length ? rows : [el("tr", el("td", { colspan: 3, text: t("vo.none") }))]));
        } catch (e) { k.fail(e); }
      }
      const card = el("section.card", { "aria-labelledby": "vo-h" }, el("h2", { id: "vo-h" }, t("vo.title")), el("p.muted", t("vo.intro")), form,
        el("table.tbl", el("caption.sr-only", t("vo.title")), el("thead", el("tr", el("th", { scope: "col", text: t("vo.phrases") }),
          el("th", { scope: "col", text: t("vo.terms") }), el("th", el("span.sr-only", t("at.remove"))))), list));
      return { card, load };
    })();

    page.append(
      el("div.at-bar", el("label", t("at.site"), siteSel), runBtn),
      el("section.card", { "aria-labelledby": "at-h" }, el("h2", { id: "at-h" }, t("nav.answertests")), status, table, add),
      vocab.card);
    load();
    vocab.load();
  } });
})();
