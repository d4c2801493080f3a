// kefu console: the analytics page (registered in window.KEFU_PAGES, drawn with
// the kit console.js passes in). It answers "is this helping my customers and
// my team?" from /api/v1/analytics/*: KPI cards against the previous period,
// SVG charts drawn here (no chart library, nothing from a CDN), tables with
// CSV downloads, and knowledge gaps that an admin publishes as FAQ documents.
// Server text reaches the page only through textContent (el() and svgText).
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.analytics": "Analytics",
    "an.title": "Analytics", "an.days": "{n} days", "an.custom": "Custom", "an.from": "From", "an.to": "To", "an.apply": "Apply",
    "an.range": "Date range", "an.allsites": "All sites", "an.badrange": "The start date must be on or before the end date.",
    "an.period": "{from} – {to} (UTC days), compared with {pfrom} – {pto}", "an.empty": "No conversations in this period.",
    "an.loaderr": "Could not load {what}: {msg}", "an.summary": "the summary", "an.gaps": "the knowledge gaps", "an.atrisk": "the customers at risk", "an.topics": "the topics",
    "an.csv": "Download CSV", "an.csv.summary": "These numbers as CSV", "an.prev": "previous {v}", "an.vsprev": "vs previous period", "an.new": "new", "an.nochange": "no change", "an.nodata": "No data in this period.",
    "an.ofconv": "{p} of conversations", "an.reopened": "{n} reopened",
    "kpi.conversations": "Conversations", "kpi.conversations.d": "Conversations started in the period (UTC days).",
    "kpi.escalation": "Escalation rate", "kpi.escalation.d": "Conversations handed to a person at least once ÷ conversations.",
    "kpi.botconfirmed": "Bot resolved, confirmed", "kpi.botconfirmed.d": "No person took part, and the shopper rated 4–5 or said goodbye (not negatively) after a bot reply.",
    "kpi.botassumed": "Bot resolved, assumed", "kpi.botassumed.d": "No person took part and not confirmed; no low rating or complaint; resolved or idle for over 24 h. A guess: never added to confirmed.",
    "kpi.humanresolved": "Resolved by a person", "kpi.humanresolved.d": "A person took part and the conversation is resolved now.",
    "kpi.reopen": "Reopen rate", "kpi.reopen.d": "Conversations the shopper reopened after resolution ÷ conversations resolved at least once.",
    "kpi.csat": "CSAT", "kpi.csat.d": "Mean rating (1–5) of rated conversations; n is the number of ratings.",
    "kpi.first": "First response", "kpi.first.d": "From the shopper's first message to the first bot or agent reply: median (p50), p90 above.",
    "kpi.humanfirst": "First human response", "kpi.humanfirst.d": "From escalation to an agent's first message: median, p90 above.",
    "kpi.queue": "Queue wait", "kpi.queue.d": "From escalation to an agent claiming the conversation: median, p90 above.",
    "kpi.resolution": "Resolution time", "kpi.resolution.d": "From the start of a conversation to its resolution: median, p90 above.",
    "an.nratings": "n = {n}", "an.p90": "p90 {v}",
    "ch.daily": "Conversations per day", "ch.daily.alt": "Conversations per day from {from} to {to}: {total} conversations, {esc} escalated, {conf} bot resolved (confirmed), {ass} bot resolved (assumed).",
    "ch.reasons": "Escalations by reason", "ch.reasons.d": "Escalations, not conversations: one conversation can escalate more than once. Grey: the previous period.", "ch.intents.d": "Shopper messages by the intent the classifier gave them. Grey: the previous period.", "ch.intents": "Top intents", "ch.csat": "Ratings: bot vs person",
    "ch.sentiment": "Shopper sentiment per day", "ch.sentiment.d": "Mean sentiment of classified shopper messages (−1 negative … +1 positive); the daily table counts conversations with a negative message.",
    "ch.model": "Model", "ch.topics": "Topics and their sentiment",
    "ch.bars.alt": "{title}: {list}.", "ch.csat.alt": "Ratings 1 to 5. Bot: {bot}. Person: {human}.", "ch.sent.alt": "Average shopper sentiment per day: {list}.",
    "ch.model.alt": "Time to first token: p50 {p50}, p95 {p95}.", "ch.topics.alt": "Topics by messages (negative/neutral/positive): {list}.",
    "ch.previous": "previous period", "an.thisperiod": "this period",
    "s.conversations": "Conversations", "s.escalated": "Escalated", "s.botconfirmed": "Bot resolved (confirmed)", "s.botassumed": "Bot resolved (assumed)",
    "s.bot": "Bot", "s.human": "Person", "s.sentiment": "Sentiment", "s.negative": "Negative", "s.neutral": "Neutral", "s.positive": "Positive",
    "tb.daily": "Daily numbers", "tb.day": "Day", "tb.csatavg": "CSAT", "tb.sentavg": "Sentiment", "tb.negative": "Negative convs",
    "tb.reason": "Reason", "tb.intent": "Intent", "tb.count": "Count", "tb.previous": "Previous", "tb.change": "Change",
    "tb.rating": "Rating", "tb.who": "Answered by", "tb.avg": "Average", "tb.n": "Ratings",
    "m.replies": "Bot replies", "m.replies.d": "Bot messages a model drafted (offline answers not counted).", "m.ttft": "Time to first token", "m.ttft.d": "From the request to the model's first streamed token: p50 and p95.",
    "m.tokens": "Tokens", "m.tokens.d": "Tokens the bot's replies used.", "m.cost": "Estimated cost", "m.cost.d": "Tokens ÷ 1,000 × the site's price per 1,000 tokens ({price}), in the shop's currency. An estimate, not a bill.",
    "m.noprice": "no price configured", "m.price": "Price / 1k tokens",
    "g.title": "Knowledge gaps", "g.help": "Questions the bot could not answer well, grouped. Turn one into an FAQ: edit the draft and publish it to the knowledge base.",
    "g.none": "No unanswered questions in this period.", "g.count": "{n} times", "g.once": "once", "g.examples": "Examples", "g.languages": "Languages",
    "g.abstained": "abstained", "g.low_confidence": "low confidence", "g.no_answer": "no answer",
    "g.tapped": "{n} found by tapping {topics}", "g.tapped.help": "After the bot's reply, shoppers tapped a topic it offered instead: the answer is in your knowledge base, in words the bot did not connect to the question. Publishing this FAQ entry teaches it.", "g.last": "last {t}", "g.convs": "Conversations",
    "g.edit": "Edit & publish", "g.site": "Site", "g.ftitle": "Title", "g.fquestion": "Question", "g.fanswer": "Answer", "g.publish": "Publish", "g.cancel": "Cancel",
    "g.published": "Published", "g.covered": "Answered now", "g.covered.help": "The knowledge base answers this question now (for example since its FAQ entry was published).", "g.done": "Published to the knowledge base.", "g.needed": "Title, question and answer are all needed.",
    "r.title": "Customers at risk", "r.help": "Shoppers with negative messages, an escalation nobody resolved, or a low rating (1–2).",
    "r.none": "No customers at risk in this period.", "r.customer": "Customer", "r.reasons": "Why", "r.negative": "Negative msgs", "r.csat": "Rating", "r.last": "Last seen", "r.convs": "Conversations",
    "r.visitor": "Visitor {id}", "risk.negative_sentiment": "Negative sentiment", "risk.unresolved_escalation": "Unresolved escalation", "risk.low_csat": "Low rating",
    "t.title": "Topics", "t.help": "What shoppers complain about or comment on (complaints, feedback, negative messages and rating comments), by topic, with their sentiment.", "t.none": "No topics in this period.",
    "t.topic": "Topic", "t.examples": "Examples", "t.total": "{n} texts classified in all",
    "an.open": "Open conversation {n}", "an.table": "Table",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.analytics": "数据分析",
    "an.title": "数据分析", "an.days": "{n} 天", "an.custom": "自定义", "an.from": "开始", "an.to": "结束", "an.apply": "应用",
    "an.range": "日期范围", "an.allsites": "全部站点", "an.badrange": "开始日期不能晚于结束日期。",
    "an.period": "{from} – {to}（UTC 日期），对比 {pfrom} – {pto}", "an.empty": "此期间没有会话。",
    "an.loaderr": "无法加载{what}：{msg}", "an.summary": "概览", "an.gaps": "知识缺口", "an.atrisk": "流失风险客户", "an.topics": "话题",
    "an.csv": "下载 CSV", "an.csv.summary": "以上数字导出 CSV", "an.prev": "上期 {v}", "an.vsprev": "对比上期", "an.new": "新增", "an.nochange": "持平", "an.nodata": "此期间没有数据。",
    "an.ofconv": "占会话 {p}", "an.reopened": "{n} 个重开",
    "kpi.conversations": "会话数", "kpi.conversations.d": "本期（UTC 日期）开始的会话。",
    "kpi.escalation": "转人工率", "kpi.escalation.d": "至少转过一次人工的会话 ÷ 会话数。",
    "kpi.botconfirmed": "机器人解决（已确认）", "kpi.botconfirmed.d": "没有人工参与，且顾客评分 4–5，或在机器人回复后道别（非负面）。",
    "kpi.botassumed": "机器人解决（推定）", "kpi.botassumed.d": "没有人工参与且未确认；无低分、无投诉；已解决或闲置超过 24 小时。这是推测，从不与已确认数相加。",
    "kpi.humanresolved": "人工解决", "kpi.humanresolved.d": "有人工参与且会话已解决。",
    "kpi.reopen": "重开率", "kpi.reopen.d": "解决后顾客重新打开的会话 ÷ 至少解决过一次的会话。",
    "kpi.csat": "满意度", "kpi.csat.d": "已评分会话的平均评分（1–5）；n 为评分数量。",
    "kpi.first": "首次响应", "kpi.first.d": "从顾客第一条消息到机器人或客服的第一次回复：中位数（p50），上方为 p90。",
    "kpi.humanfirst": "人工首次响应", "kpi.humanfirst.d": "从转人工到客服第一条消息：中位数，上方为 p90。",
    "kpi.queue": "排队时长", "kpi.queue.d": "从转人工到客服接入：中位数，上方为 p90。",
    "kpi.resolution": "解决时长", "kpi.resolution.d": "从会话开始到解决：中位数，上方为 p90。",
    "an.nratings": "n = {n}", "an.p90": "p90 {v}",
    "ch.daily": "每日会话", "ch.daily.alt": "{from} 至 {to} 每日会话：共 {total} 个会话，{esc} 个转人工，{conf} 个机器人解决（已确认），{ass} 个机器人解决（推定）。",
    "ch.reasons": "转人工原因", "ch.reasons.d": "统计的是转人工次数而非会话数：一个会话可能多次转人工。灰色为上期。", "ch.intents.d": "按分类器判定的意图统计顾客消息。灰色为上期。", "ch.intents": "主要意图", "ch.csat": "评分：机器人与人工",
    "ch.sentiment": "每日顾客情绪", "ch.sentiment.d": "已分类顾客消息的平均情绪（−1 负面 … +1 正面）；每日表格统计含负面消息的会话数。",
    "ch.model": "模型", "ch.topics": "话题及其情绪",
    "ch.bars.alt": "{title}：{list}。", "ch.csat.alt": "评分 1 至 5。机器人：{bot}。人工：{human}。", "ch.sent.alt": "每日顾客平均情绪：{list}。",
    "ch.model.alt": "首字延迟：p50 {p50}，p95 {p95}。", "ch.topics.alt": "各话题消息数（负面/中性/正面）：{list}。",
    "ch.previous": "上期", "an.thisperiod": "本期",
    "s.conversations": "会话", "s.escalated": "转人工", "s.botconfirmed": "机器人解决（已确认）", "s.botassumed": "机器人解决（推定）",
    "s.bot": "机器人", "s.human": "人工", "s.sentiment": "情绪", "s.negative": "负面", "s.neutral": "中性", "s.positive": "正面",
    "tb.daily": "每日数据", "tb.day": "日期", "tb.csatavg": "满意度", "tb.sentavg": "情绪", "tb.negative": "负面会话",
    "tb.reason": "原因", "tb.intent": "意图", "tb.count": "数量", "tb.previous": "上期", "tb.change": "变化",
    "tb.rating": "评分", "tb.who": "回复方", "tb.avg": "平均", "tb.n": "评分数",
    "m.replies": "机器人回复", "m.replies.d": "由模型撰写的机器人消息（离线回答不计）。", "m.ttft": "首字延迟", "m.ttft.d": "从请求到模型流式输出第一个词元的时间：p50 与 p95。",
    "m.tokens": "词元数", "m.tokens.d": "机器人回复使用的词元数。", "m.cost": "估算费用", "m.cost.d": "词元数 ÷ 1000 × 站点的每千词元价格（{price}），以店铺货币计。仅为估算，并非账单。",
    "m.noprice": "未配置价格", "m.price": "每千词元价格",
    "g.title": "知识缺口", "g.help": "机器人未能很好回答的问题（已分组）。编辑草稿后即可发布为知识库中的常见问题。",
    "g.none": "此期间没有未回答的问题。", "g.count": "{n} 次", "g.once": "1 次", "g.examples": "示例", "g.languages": "语言",
    "g.abstained": "未作答", "g.low_confidence": "置信度低", "g.no_answer": "无答案",
    "g.tapped": "{n} 次点选话题后找到：{topics}", "g.tapped.help": "机器人回复后，顾客点选了它推荐的其他话题：答案就在知识库里，只是机器人没把这种问法对上。发布这条常见问题即可教会它。", "g.last": "最近 {t}", "g.convs": "会话",
    "g.edit": "编辑并发布", "g.site": "站点", "g.ftitle": "标题", "g.fquestion": "问题", "g.fanswer": "答案", "g.publish": "发布", "g.cancel": "取消",
    "g.published": "已发布", "g.covered": "现已可答", "g.covered.help": "知识库现在可以回答这个问题（例如其常见问题已发布）。", "g.done": "已发布到知识库。", "g.needed": "标题、问题和答案均为必填。",
    "r.title": "流失风险客户", "r.help": "有负面消息、转人工后未解决，或评分较低（1–2）的顾客。",
    "r.none": "此期间没有流失风险客户。", "r.customer": "客户", "r.reasons": "原因", "r.negative": "负面消息", "r.csat": "评分", "r.last": "最近", "r.convs": "会话",
    "r.visitor": "访客 {id}", "risk.negative_sentiment": "负面情绪", "risk.unresolved_escalation": "转人工未解决", "risk.low_csat": "评分低",
    "t.title": "话题", "t.help": "顾客在抱怨或评价什么（投诉、反馈、负面消息及评分留言），按话题分类并附情绪。", "t.none": "此期间没有话题。",
    "t.topic": "话题", "t.examples": "示例", "t.total": "共分类 {n} 条文本",
    "an.open": "打开会话 {n}", "an.table": "表格",
  });

  const NS = "http://www.w3.org/2000/svg";
  // Every colour stands out from the white card at least 3:1 (WCAG 1.4.11).
  const COLORS = { conversations: "#2454d6", escalated: "#c4302b", botconfirmed: "#1a7f4b", botassumed: "#4e9a6f", bot: "#2454d6", human: "#c0771a",
    prev: "#8d95a2", negative: "#c4302b", neutral: "#8d95a2", positive: "#1a7f4b", sentiment: "#6b4fbb" };
  const STORE = "kefu.analytics";

  // ---- Dates ----
  const pad = n => String(n).padStart(2, "0");
  // Periods are whole UTC days (the server counts a conversation on the UTC day it started).
  const isoDay = d => d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  function lastDays(n) {
    const to = new Date(), from = new Date(to.getTime() - (n - 1) * 86400000);
    return { from: isoDay(from), to: isoDay(to) };
  }
  const validDay = s => /^\d{4}-\d{2}-\d{2}$/.test(s || "");

  // ---- Number formats ----
  const num = (v, lang) => v == null ? "—" : Number(v).toLocaleString(lang === "zh" ? "zh-CN" : "en-US");
  const pct = v => v == null ? "—" : (v * 100).toFixed(1).replace(/\.0$/, "") + "%";
  const score = v => v == null ? "—" : Number(v).toFixed(2);
  function dur(ms) {
    if (ms == null) return "—";
    const s = ms / 1000;
    if (ms < 1000) return Math.round(ms) + " ms";
    if (s < 60) return s.toFixed(1) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    if (s < 86400) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }
  // Money is in the shop's currency (the price setting has no unit): no symbol.
  const money = v => v == null ? "—" : Number(v).toFixed(v >= 100 ? 0 : v > 0 && v < 0.1 ? 4 : 2);
  const short = (s, n) => { s = String(s == null ? "" : s); return s.length > n ? s.slice(0, n - 1) + "…" : s; };
  const md = day => String(day || "").slice(5); // "MM-DD"

  // ---- SVG ----
  // svg(tag, attrs, …children): strings become text nodes (never markup).
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs || {}) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    for (const k of kids.flat(9)) if (k != null && k !== false) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const tip = text => svg("title", null, text);
  // chartBox returns an accessible <svg> whose viewBox is w×h: it scales
  // with its container (width 100%), and the label carries the numbers.
  function chartBox(w, h, label, cls) {
    return svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": label, tabindex: "0", class: "an-chart " + (cls || "") }, tip(label));
  }
  // niceMax rounds v up to 1, 2 or 5 × 10^k so the axis ticks are round.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  // ticks splits 0…span (a niceMax) into round steps: 2 → 4 × 0.5, 1, 2.5 or 5 → 5 steps.
  const ticks = span => { const m = span / Math.pow(10, Math.floor(Math.log10(span) + 1e-9)); return Math.abs(m - 2) < 1e-9 ? 4 : 5; }; // 2.5 → 5 × 0.5
  const tickFmt = v => Number.isInteger(v) ? String(v) : v.toFixed(1);

  // lineChart draws one line (with a dot per value) per series over days;
  // null values leave a gap. opts: {min, max, fmt}.
  function lineChart(W, days, series, label, opts) {
    opts = opts || {};
    const H = 220, L = 38, R = 10, T = 10, B = 26, pw = W - L - R, ph = H - T - B;
    const box = chartBox(W, H, label, "an-line");
    const vals = series.flatMap(s => s.values.filter(v => v != null));
    const lo = opts.min != null ? opts.min : 0;
    const hi = opts.max != null ? Math.max(opts.max, ...vals) : niceMax(Math.max(5, ...vals)); // counts: at least 0…5, in whole steps
    const x = i => L + (days.length <= 1 ? pw / 2 : (i * pw) / (days.length - 1));
    const y = v => T + ph - ((v - lo) / (hi - lo || 1)) * ph;
    const grid = svg("g", { class: "an-grid" }), nt = ticks(hi - lo);
    for (let i = 0; i <= nt; i++) {
      const v = lo + ((hi - lo) * i) / nt;
      grid.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, tickFmt(v)));
    }
    const every = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor(pw / 56))));
    days.forEach((d, i) => { if (i % every === 0 || i === days.length - 1 && days.length < 3) grid.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, md(d))); });
    box.append(grid);
    for (const s of series) {
      let d = "", pen = false;
      s.values.forEach((v, i) => { if (v == null) { pen = false; return; } d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); pen = true; });
      const g = svg("g", { class: "an-series", "data-series": s.key });
      if (d) g.append(svg("path", { d, fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash ? "5 4" : null }));
      s.values.forEach((v, i) => {
        if (v == null) return;
        // Zeros get small dots: many days of nothing should not look busy.
        g.append(svg("circle", { class: "an-pt", cx: x(i), cy: y(v), r: v === 0 ? 1.5 : days.length > 45 ? 2.2 : 3.2, fill: s.color },
          tip(`${days[i]} · ${s.label}: ${opts.fmt ? opts.fmt(v) : v}`)));
      });
      box.append(g);
    }
    return box;
  }

  // hbars draws horizontal bars: one per item, with the previous period as a
  // thin grey bar under it when the item has one.
  function hbars(W, items, label, opts) {
    opts = opts || {};
    const fmt = opts.fmt || String;
    // Narrow (a phone): each label on its own line above its bar, uncut.
    const narrow = W < 460 && items.some(i => String(i.label).length > 8);
    const labelW = narrow ? 0 : Math.min(170, Math.max(90, W * 0.34)), R = opts.fmt ? 70 : 44, T = 4, lh = narrow ? 16 : 0;
    const row = lh + (items.some(i => i.prev != null) ? 30 : 24);
    const H = T + row * items.length + 4;
    const box = chartBox(W, H, label, "an-hbars");
    const max = niceMax(Math.max(1, ...items.map(i => Math.max(i.value, i.prev || 0))));
    const bw = v => ((W - labelW - R) * v) / max;
    const chars = narrow ? Math.floor(W / 6.6) : Math.floor(labelW / 7.2);
    items.forEach((it, i) => {
      const y0 = T + i * row + lh;
      const g = svg("g", { class: "an-bar-row" }, tip(`${it.label}: ${fmt(it.value)}` + (it.prev != null ? ` (${opts.prevLabel} ${fmt(it.prev)})` : "")));
      g.append(narrow ? svg("text", { x: 0, y: y0 - 2, class: "an-lbl" }, short(it.label, chars))
        : svg("text", { x: labelW - 8, y: y0 + 14, "text-anchor": "end", class: "an-lbl" }, short(it.label, chars)));
      g.append(svg("rect", { class: "an-bar", x: labelW, y: y0 + 3, width: Math.max(it.value > 0 ? 2 : 0, bw(it.value)), height: 14, rx: 2, fill: it.color || opts.color || COLORS.conversations }));
      if (it.prev != null) g.append(svg("rect", { class: "an-bar-prev", x: labelW, y: y0 + 20, width: Math.max(it.prev > 0 ? 2 : 0, bw(it.prev)), height: 4, rx: 1, fill: COLORS.prev }));
      g.append(svg("text", { x: labelW + bw(it.value) + 5, y: y0 + 14, class: "an-val" }, fmt(it.value)));
      box.append(g);
    });
    return box;
  }

  // groupedBars draws vertical bars in groups (CSAT 1–5, bot and person).
  function groupedBars(W, groups, series, label) {
    const H = 200, L = 34, R = 8, T = 10, B = 26, pw = W - L - R, ph = H - T - B;
    const box = chartBox(W, H, label, "an-vbars");
    const max = niceMax(Math.max(5, ...series.flatMap(s => s.values)));
    const y = v => T + ph - (v / max) * ph;
    const grid = svg("g", { class: "an-grid" });
    const nt = ticks(max);
    for (let i = 0; i <= nt; i++) { const v = (max * i) / nt; grid.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, tickFmt(v))); }
    box.append(grid);
    const gw = pw / groups.length, bw = Math.min(28, (gw * 0.7) / series.length);
    groups.forEach((gname, gi) => {
      const gx = L + gi * gw + (gw - bw * series.length) / 2;
      series.forEach((s, si) => {
        const v = s.values[gi] || 0;
        box.append(svg("rect", { class: "an-bar", "data-series": s.key, x: gx + si * bw, y: y(v), width: bw - 2, height: Math.max(0, T + ph - y(v)), fill: s.color }, tip(`${s.label} · ${gname}: ${v}`)));
      });
      box.append(svg("text", { x: L + gi * gw + gw / 2, y: H - 8, "text-anchor": "middle", class: "an-lbl" }, gname));
    });
    return box;
  }

  // stackBars draws one horizontal 100% bar per topic: negative, neutral, positive.
  function stackBars(W, items, label) {
    const narrow = W < 460 && items.some(i => String(i.label).length > 8);
    const labelW = narrow ? 0 : Math.min(170, Math.max(90, W * 0.34)), R = 40, T = 4, lh = narrow ? 16 : 0, row = lh + 24;
    const H = T + row * items.length + 4;
    const box = chartBox(W, H, label, "an-stack");
    const max = Math.max(1, ...items.map(i => i.total));
    const chars = narrow ? Math.floor(W / 6.6) : Math.floor(labelW / 7.2);
    items.forEach((it, i) => {
      const y0 = T + i * row + lh;
      const g = svg("g", { class: "an-bar-row" });
      g.append(narrow ? svg("text", { x: 0, y: y0 - 2, class: "an-lbl" }, short(it.label, chars))
        : svg("text", { x: labelW - 8, y: y0 + 14, "text-anchor": "end", class: "an-lbl" }, short(it.label, chars)));
      let x0 = labelW;
      for (const part of it.parts) {
        const w = ((W - labelW - R) * part.value) / max;
        if (w > 0) g.append(svg("rect", { class: "an-bar", x: x0, y: y0 + 3, width: w, height: 14, fill: part.color }, tip(`${it.label} · ${part.label}: ${part.value}`)));
        x0 += w;
      }
      g.append(svg("text", { x: x0 + 5, y: y0 + 14, class: "an-val" }, String(it.total)));
      box.append(g);
    });
    return box;
  }

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "analytics", key: "nav.analytics", admin: true, render(main, k) {
    const { el, set, t, api } = k;
    const lang = k.lang();

    // ---- Filters (kept for the tab's session) ----
    let F;
    try { F = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { F = null; }
    if (!F || !validDay(F.from) || !validDay(F.to)) F = { days: 30, ...lastDays(30), site: null };
    if (F.days) Object.assign(F, lastDays(F.days)); // a preset moves with today
    const save = () => sessionStorage.setItem(STORE, JSON.stringify(F));
    const query = extra => {
      const p = new URLSearchParams({ from: F.from, to: F.to });
      if (F.site) p.set("site", F.site);
      for (const key in extra || {}) p.set(key, extra[key]);
      return "?" + p.toString();
    };
    const csvLink = (path, table, label) => el("a.btn.small.an-csv", { href: "/api/v1/analytics/" + path + query(table ? { format: "csv", table } : { format: "csv" }),
      download: "", "data-csv": table || path, text: label || t("an.csv") });
    const convLink = (id, n) => el("a.an-conv", { href: "#/inbox/resolved/" + encodeURIComponent(id), title: t("an.open", { n }), "aria-label": t("an.open", { n }), text: "#" + n });

    const presets = [7, 30, 90].map(n => el("button.btn", { type: "button", "data-days": n, "aria-pressed": String(F.days === n), text: t("an.days", { n }),
      on: { click: () => { F.days = n; Object.assign(F, lastDays(n)); from.value = F.from; to.value = F.to; load(); } } }));
    const from = el("input", { type: "date", id: "an-from", value: F.from, "aria-label": t("an.from") });
    const to = el("input", { type: "date", id: "an-to", value: F.to, "aria-label": t("an.to") });
    const rangeErr = el("span.err", { role: "alert", id: "an-range-err" });
    const custom = el("form.an-custom", { on: { submit: ev => {
      ev.preventDefault();
      if (!validDay(from.value) || !validDay(to.value) || from.value > to.value) { rangeErr.textContent = t("an.badrange"); return; }
      F.days = 0; F.from = from.value; F.to = to.value; load();
    } } }, el("label", t("an.from"), from), el("label", t("an.to"), to), el("button.btn", { type: "submit", id: "an-apply", text: t("an.apply") }));
    // The console's site picker, with "all sites" first.
    const site = k.sitePicker(() => { F.site = site.value; load(); });
    site.id = "an-site"; // not #site: this select may be empty (all sites), which the other pages do not expect
    site.prepend(el("option", { value: "", text: t("an.allsites") }));
    // First visit: the site the other admin pages show; then what was picked here.
    if (F.site === "" || k.S.sites.some(s => s.key === F.site)) site.value = F.site;
    F.site = site.value;

    const period = el("p.muted.an-period", { id: "an-period" });
    const kpis = el("section.an-kpis", { id: "an-kpis", "aria-label": t("an.summary") });
    const charts = el("div.an-charts", { id: "an-charts" });
    const tables = el("div.an-tables", { id: "an-tables" });
    const gaps = el("div", { id: "an-gaps" }), risk = el("div", { id: "an-risk" }), topics = el("div", { id: "an-topics" });
    const page = el("div.page.an", { id: "analytics" },
      el("h1", t("an.title")),
      el("div.an-filters", { role: "group", "aria-label": t("an.range") }, el("div.an-presets", presets), custom, el("label.an-site", t("g.site"), site), rangeErr),
      el("div.an-head.an-periodrow", period, el("span", { id: "an-summary-csv" })), kpis, charts, tables,
      el("div.card.an-card", el("div.an-head", el("h2", t("g.title")), el("span.an-csvslot", { id: "an-gaps-csv" })), el("p.muted.an-help", t("g.help")), gaps),
      el("div.card.an-card", el("div.an-head", el("h2", t("r.title")), el("span.an-csvslot", { id: "an-risk-csv" })), el("p.muted.an-help", t("r.help")), risk),
      el("div.card.an-card", el("div.an-head", el("h2", t("t.title")), el("span.an-csvslot", { id: "an-topics-csv" })), el("p.muted.an-help", t("t.help")), topics));
    main.append(page);

    // Charts are drawn at their container's width (1 viewBox unit = 1 px, so
    // text stays legible on a phone) and redrawn when that width changes.
    const drawn = [];
    const ro = "ResizeObserver" in window ? new ResizeObserver(() => requestAnimationFrame(() => {
      if (!page.isConnected) { ro.disconnect(); return; }
      for (const d of drawn) { const w = Math.round(d.host.clientWidth); if (w > 0 && Math.abs(w - d.w) > 16) { d.w = w; set(d.host, d.draw(w)); } }
    })) : null;
    function chartCard(id, title, help, draw, legend, extra) {
      const host = el("div.an-chartbox");
      const card = el("figure.card.an-card.an-fig", { "data-chart": id }, el("figcaption", el("h2", title), help ? el("p.muted.an-help", help) : null), host, legend || null, extra || null);
      drawn.push({ host, draw, w: 0 });
      return card;
    }
    function drawCharts() {
      for (const d of drawn) { d.w = Math.round(d.host.clientWidth) || 600; set(d.host, d.draw(d.w)); if (ro) ro.observe(d.host); }
    }
    const legend = items => el("ul.an-legend", items.map(([label, color, dash]) => el("li", el("i", { class: dash ? "dash" : "", style: "background:" + color }), label)));
    const errorCard = (what, e) => el("div.card.an-error", { role: "alert" }, t("an.loaderr", { what: t(what), msg: e.message }));
    function table(head, rows, id) {
      // A heading that starts with "#" heads a numeric (right-aligned) column.
      return el("div.an-scroll", el("table.an-table", { id }, el("thead", el("tr", head.map(h => h.startsWith("#")
        ? el("th.num", { scope: "col" }, h.slice(1)) : el("th", { scope: "col" }, h)))), el("tbody", rows)));
    }
    const N = h => "#" + h; // a numeric column's heading
    const change = (cur, prev) => {
      if (prev == null) return "";
      if (!prev) return cur ? t("an.new") : t("an.nochange");
      const d = (cur - prev) / prev;
      return (d > 0 ? "+" : d < 0 ? "−" : "") + Math.abs(d * 100).toFixed(0) + "%";
    };

    // ---- KPI cards ----
    // delta describes cur against prev: kind "count"/"ms" as a % change,
    // "rate" in percentage points, "score" as a difference; good is +1 when
    // up is better, -1 when down is better.
    function delta(cur, prev, kind, good) {
      const fmtPrev = kind === "rate" ? pct(prev) : kind === "score" ? score(prev) : kind === "ms" ? dur(prev) : num(prev, lang);
      if (cur == null || prev == null) return el("span.an-delta.flat", { text: t("an.prev", { v: fmtPrev }) });
      let d, text;
      if (kind === "rate") { d = (cur - prev) * 100; text = Math.abs(d).toFixed(1) + " pt"; }
      else if (kind === "score") { d = cur - prev; text = Math.abs(d).toFixed(2); }
      else if (!prev) { d = cur ? 1 : 0; text = cur ? t("an.new") : t("an.nochange"); }
      else { d = ((cur - prev) / prev) * 100; text = Math.abs(d).toFixed(0) + "%"; }
      const dir = Math.abs(d) < 0.05 ? 0 : d > 0 ? 1 : -1;
      const arrow = dir > 0 ? "▲ " : dir < 0 ? "▼ " : "";
      return el("span.an-delta." + (dir === 0 || !good ? "flat" : dir === good ? "good" : "bad"), { title: t("an.vsprev") + ": " + fmtPrev },
        dir === 0 && !(kind === "count" && !prev && cur) ? t("an.nochange") : arrow + text, el("span.muted", " · " + t("an.prev", { v: fmtPrev })));
    }
    function kpi(id, labelKey, value, sub, dl, defVars) {
      const def = t(labelKey + ".d", defVars);
      return el("div.an-kpi", { "data-kpi": id, title: def },
        el("div.an-kpi-label", t(labelKey)), el("div.an-kpi-value", { "data-value": id, text: value }),
        sub ? el("div.an-kpi-sub", sub) : null, dl, el("div.an-kpi-def", def));
    }
    function drawKPIs(r) {
      const c = r.current || {}, p = r.previous || {};
      const share = v => c.conversations ? t("an.ofconv", { p: pct(v / c.conversations) }) : null;
      set(kpis,
        kpi("conversations", "kpi.conversations", num(c.conversations, lang), null, delta(c.conversations, p.conversations, "count", 0)),
        kpi("escalation_rate", "kpi.escalation", pct(c.escalation_rate), num(c.escalated, lang) + " " + t("s.escalated").toLowerCase(), delta(c.escalation_rate, p.escalation_rate, "rate", -1)),
        kpi("bot_resolved_confirmed", "kpi.botconfirmed", num(c.bot_resolved_confirmed, lang), share(c.bot_resolved_confirmed), delta(c.bot_resolved_confirmed, p.bot_resolved_confirmed, "count", 1)),
        kpi("bot_resolved_assumed", "kpi.botassumed", num(c.bot_resolved_assumed, lang), share(c.bot_resolved_assumed), delta(c.bot_resolved_assumed, p.bot_resolved_assumed, "count", 0)),
        kpi("human_resolved", "kpi.humanresolved", num(c.human_resolved, lang), share(c.human_resolved), delta(c.human_resolved, p.human_resolved, "count", 0)),
        kpi("csat_avg", "kpi.csat", score(c.csat_avg), t("an.nratings", { n: c.csat_count || 0 }), delta(c.csat_avg, p.csat_avg, "score", 1)),
        kpi("first_response_p50", "kpi.first", dur(c.first_response_p50_ms), t("an.p90", { v: dur(c.first_response_p90_ms) }), delta(c.first_response_p50_ms, p.first_response_p50_ms, "ms", -1)),
        kpi("human_first_response_p50", "kpi.humanfirst", dur(c.human_first_response_p50_ms), t("an.p90", { v: dur(c.human_first_response_p90_ms) }), delta(c.human_first_response_p50_ms, p.human_first_response_p50_ms, "ms", -1)),
        kpi("queue_wait_p50", "kpi.queue", dur(c.queue_wait_p50_ms), t("an.p90", { v: dur(c.queue_wait_p90_ms) }), delta(c.queue_wait_p50_ms, p.queue_wait_p50_ms, "ms", -1)),
        kpi("resolution_p50", "kpi.resolution", dur(c.resolution_p50_ms), t("an.p90", { v: dur(c.resolution_p90_ms) }), delta(c.resolution_p50_ms, p.resolution_p50_ms, "ms", -1)),
        kpi("reopen_rate", "kpi.reopen", pct(c.reopen_rate), t("an.reopened", { n: num(c.reopened, lang) }), delta(c.reopen_rate, p.reopen_rate, "rate", -1)));
    }

    // ---- Charts and summary tables ----
    function drawSummary(r) {
      drawn.length = 0;
      const c = r.current || {};
      const daily = r.daily || [];
      const days = daily.map(d => d.day);
      const reasons = (r.escalations_by_reason || []).map(x => ({ key: x.reason, label: reasonLabel(x.reason), value: x.count || 0, prev: x.previous ?? null }));
      const intentsList = (r.intents || []).slice(0, 12).map(x => ({ key: x.intent, label: x.intent, value: x.count || 0, prev: x.previous ?? null }));
      const cs = r.csat || {}, bot = (cs.bot && cs.bot.distribution) || [0, 0, 0, 0, 0], human = (cs.human && cs.human.distribution) || [0, 0, 0, 0, 0];
      const m = r.model || {};
      const sum = key => daily.reduce((a, d) => a + (d[key] || 0), 0);
      const empty = !c.conversations;
      const nothing = msg => () => el("p.muted.an-empty", msg || t("an.nodata"));
      const series = [
        { key: "conversations", label: t("s.conversations"), color: COLORS.conversations, values: daily.map(d => d.conversations || 0) },
        { key: "escalated", label: t("s.escalated"), color: COLORS.escalated, values: daily.map(d => d.escalated || 0) },
        { key: "bot_resolved_confirmed", label: t("s.botconfirmed"), color: COLORS.botconfirmed, values: daily.map(d => d.bot_resolved_confirmed || 0) },
        { key: "bot_resolved_assumed", label: t("s.botassumed"), color: COLORS.botassumed, dash: true, values: daily.map(d => d.bot_resolved_assumed || 0) },
      ];
      const dailyAlt = t("ch.daily.alt", { from: r.from || F.from, to: r.to || F.to, total: sum("conversations"), esc: sum("escalated"), conf: sum("bot_resolved_confirmed"), ass: sum("bot_resolved_assumed") });
      const barsAlt = (title, items) => t("ch.bars.alt", { title, list: items.map(i => `${i.label} ${i.value}` + (i.prev != null ? ` (${t("ch.previous")} ${i.prev})` : "")).join(", ") || "—" });
      const sentVals = daily.map(d => d.sentiment_avg ?? null);
      const ttft = [{ key: "p50", label: "p50", value: Math.round(m.ttft_p50_ms || 0) }, { key: "p95", label: "p95", value: Math.round(m.ttft_p95_ms || 0) }];
      const mstat = (id, key, value, vars) => el("div.an-mstat", { "data-model": id, title: t(key + ".d", vars) }, el("div.an-kpi-label", t(key)), el("div.an-kpi-value", value), el("div.an-kpi-def", t(key + ".d", vars)));
      const price = m.price_per_1k_tokens ? m.price_per_1k_tokens + " / 1k" : t("m.noprice");

      set(charts,
        empty ? el("div.card.an-card.an-emptycard", { id: "an-empty" }, el("p", t("an.empty"))) : null,
        chartCard("daily", t("ch.daily"), null, w => days.length ? lineChart(w, days, series, dailyAlt, {}) : nothing()(),
          legend(series.map(s => [s.label, s.color, s.dash]))),
        chartCard("reasons", t("ch.reasons"), t("ch.reasons.d"), w => reasons.length ? hbars(w, reasons, barsAlt(t("ch.reasons"), reasons), { color: COLORS.escalated, prevLabel: t("ch.previous") }) : nothing()(),
          reasons.some(i => i.prev != null) ? legend([[t("an.thisperiod"), COLORS.escalated], [t("ch.previous"), COLORS.prev]]) : null),
        chartCard("intents", t("ch.intents"), t("ch.intents.d"), w => intentsList.length ? hbars(w, intentsList, barsAlt(t("ch.intents"), intentsList), { prevLabel: t("ch.previous") }) : nothing()(),
          intentsList.some(i => i.prev != null) ? legend([[t("an.thisperiod"), COLORS.conversations], [t("ch.previous"), COLORS.prev]]) : null),
        chartCard("csat", t("ch.csat"), null, w => groupedBars(w, ["1★", "2★", "3★", "4★", "5★"], [
          { key: "bot", label: t("s.bot"), color: COLORS.bot, values: bot }, { key: "human", label: t("s.human"), color: COLORS.human, values: human }],
        t("ch.csat.alt", { bot: bot.join(", "), human: human.join(", ") })),
        legend([[t("s.bot") + " · " + score(cs.bot && cs.bot.avg) + " (n " + ((cs.bot && cs.bot.count) || 0) + ")", COLORS.bot],
          [t("s.human") + " · " + score(cs.human && cs.human.avg) + " (n " + ((cs.human && cs.human.count) || 0) + ")", COLORS.human]])),
        chartCard("sentiment", t("ch.sentiment"), t("ch.sentiment.d"), w => sentVals.some(v => v != null)
          ? lineChart(w, days, [{ key: "sentiment", label: t("s.sentiment"), color: COLORS.sentiment, values: sentVals }],
            t("ch.sent.alt", { list: daily.filter(d => d.sentiment_avg != null).map(d => `${d.day} ${score(d.sentiment_avg)}`).join(", ") }), { min: -1, max: 1, fmt: score })
          : nothing()()),
        chartCard("model", t("ch.model"), null, w => !m.replies ? nothing()() : hbars(w, ttft, t("ch.model.alt", { p50: dur(m.ttft_p50_ms), p95: dur(m.ttft_p95_ms) }), { color: COLORS.sentiment, fmt: dur }), null,
          el("div.an-mstats", mstat("replies", "m.replies", num(m.replies, lang)), mstat("ttft", "m.ttft", dur(m.ttft_p50_ms) + " / " + dur(m.ttft_p95_ms)),
            mstat("tokens", "m.tokens", num(m.tokens, lang)), mstat("cost", "m.cost", money(m.estimated_cost), { price }))));
      drawCharts();

      // Tables: the readable alternative to each chart, each with its CSV.
      // The heading and the CSV link stay outside <summary> (a summary is a
      // button: nothing interactive may sit in it, and it hides a heading).
      const tcard = (title, tableName, body, open) => el("div.card.an-card.an-tcard", { "data-table": tableName },
        el("div.an-head", el("h2", title), csvLink("summary", tableName)),
        el("details", { open: !!open }, el("summary", t("an.table")), body));
      set(tables,
        tcard(t("tb.daily"), "daily", daily.length ? table([t("tb.day"), ...[t("s.conversations"), t("s.escalated"), t("s.botconfirmed"), t("s.botassumed"), t("tb.csatavg"), t("tb.sentavg"), t("tb.negative")].map(N)],
          daily.map(d => el("tr", el("td", d.day), el("td.num", num(d.conversations, lang)), el("td.num", num(d.escalated, lang)), el("td.num", num(d.bot_resolved_confirmed, lang)),
            el("td.num", num(d.bot_resolved_assumed, lang)), el("td.num", score(d.csat_avg)), el("td.num", score(d.sentiment_avg)), el("td.num", num(d.negative, lang)))), "an-daily") : nothing()()),
        tcard(t("ch.reasons"), "reasons", reasons.length ? table([t("tb.reason"), ...[t("tb.count"), t("tb.previous"), t("tb.change")].map(N)],
          reasons.map(x => el("tr", { "data-reason": x.key }, el("td", { title: x.key }, x.label), el("td.num", String(x.value)), el("td.num", x.prev == null ? "—" : String(x.prev)), el("td.num", change(x.value, x.prev)))), "an-reasons") : nothing()(), true),
        tcard(t("ch.intents"), "intents", (r.intents || []).length ? table([t("tb.intent"), ...[t("tb.count"), t("tb.previous"), t("tb.change")].map(N)],
          (r.intents || []).map(x => el("tr", el("td.mono", x.intent), el("td.num", String(x.count || 0)), el("td.num", x.previous == null ? "—" : String(x.previous)), el("td.num", change(x.count || 0, x.previous)))), "an-intents") : nothing()(), true),
        tcard(t("ch.csat"), "csat", table([t("tb.who"), ...["1★", "2★", "3★", "4★", "5★", t("tb.avg"), t("tb.n")].map(N)],
          [["bot", cs.bot], ["human", cs.human]].map(([who, x]) => el("tr", el("td", t("s." + who)), ((x && x.distribution) || [0, 0, 0, 0, 0]).map(v => el("td.num", String(v))),
            el("td.num", score(x && x.avg)), el("td.num", String((x && x.count) || 0)))), "an-csat")),
        tcard(t("ch.model"), "model", table([t("m.replies"), "TTFT p50", "TTFT p95", t("m.tokens"), t("m.price"), t("m.cost")].map(N),
          [el("tr", el("td.num", num(m.replies, lang)), el("td.num", dur(m.ttft_p50_ms)), el("td.num", dur(m.ttft_p95_ms)), el("td.num", num(m.tokens, lang)),
            el("td.num", m.price_per_1k_tokens ? String(m.price_per_1k_tokens) : "—"), el("td.num", money(m.estimated_cost)))], "an-model")));
    }
    function reasonLabel(r) { const key = "reason." + r, s = t(key); return s === key ? r : s; }

    // ---- Gaps ----
    let published;
    try { published = new Set(JSON.parse(sessionStorage.getItem(STORE + ".published") || "[]")); } catch (e) { published = new Set(); }
    const savePublished = () => sessionStorage.setItem(STORE + ".published", JSON.stringify([...published].slice(-200)));
    function drawGaps(items) {
      if (!items.length) return set(gaps, el("p.muted.an-empty", t("g.none")));
      set(gaps, el("ol.an-gaps", items.map(g => {
        const d = g.draft || {};
        const row = el("li.an-gap", { "data-gap": g.id });
        const f = {
          site: el("select", { name: "site", "aria-label": t("g.site") }, k.S.sites.map(s => el("option", { value: s.key, selected: s.key === (F.site || (k.S.sites[0] || {}).key), text: s.name }))),
          title: el("input", { type: "text", name: "title", value: d.title || g.question || "", required: true, maxlength: 120 }),
          question: el("input", { type: "text", name: "question", value: d.question || g.question || "", required: true, maxlength: 500 }),
          answer: el("textarea", { name: "answer", rows: 4, required: true, maxlength: 5000 }),
        };
        f.answer.value = d.answer || "";
        const status = el("span.an-gap-status", { role: "status" });
        const publish = el("button.btn.primary", { type: "submit", text: t("g.publish") });
        const form = el("form.an-gapform", { hidden: true, on: { submit: async ev => {
          ev.preventDefault();
          const body = { site: f.site.value, title: f.title.value.trim(), question: f.question.value.trim(), answer: f.answer.value.trim() };
          if (!body.title || !body.question || !body.answer) { status.textContent = t("g.needed"); return; }
          publish.disabled = true;
          try {
            await api("POST", "/analytics/gaps/publish", body);
            k.toast(t("g.done"));
            published.add(pubKey); savePublished();
            row.classList.add("published");
            form.hidden = true; edit.hidden = true;
            badge.hidden = false;
          } catch (e) { k.fail(e); publish.disabled = false; }
        } } },
          k.S.sites.length > 1 || !F.site ? el("label", t("g.site"), f.site) : null,
          el("label", t("g.ftitle"), f.title), el("label", t("g.fquestion"), f.question), el("label", t("g.fanswer"), f.answer),
          el("div.an-formbar", publish, el("button.btn", { type: "button", text: t("g.cancel"), on: { click: () => { form.hidden = true; edit.setAttribute("aria-expanded", "false"); edit.focus(); } } }), status));
        const edit = el("button.btn.small.an-edit", { type: "button", "aria-expanded": "false", text: t("g.edit"), on: { click: () => {
          form.hidden = !form.hidden; edit.setAttribute("aria-expanded", String(!form.hidden)); if (!form.hidden) f.answer.focus();
        } } });
        const badge = el("span.badge.an-published", { hidden: true, text: t("g.published") });
        // Published from this tab before (the report still lists the old conversations): say so.
        const pubKey = (F.site || "*") + "\n" + (g.question || "");
        if (published.has(pubKey)) { row.classList.add("published"); badge.hidden = false; }
        const reasons = g.reasons || {};
        add(row, [
          el("div.an-gap-head", el("b.an-gap-q", g.question || ""), el("span.badge.an-gap-count", g.count === 1 ? t("g.once") : t("g.count", { n: g.count || 0 })), badge,
            g.covered ? el("span.badge.an-covered", { title: t("g.covered.help"), text: t("g.covered") }) : null, edit),
          el("div.an-gap-meta.muted",
            ["abstained", "low_confidence", "no_answer"].filter(x => reasons[x]).map(x => el("span.badge.reason", `${t("g." + x)} ${reasons[x]}`)),
            (g.tapped_topics || []).length ? el("span.an-tapped", { title: t("g.tapped.help") }, t("g.tapped", { n: reasons.tapped || 0, topics: g.tapped_topics.map(x => "“" + x + "”").join(", ") })) : null,
            (g.languages || []).length ? el("span", t("g.languages") + ": " + g.languages.join(", ")) : null,
            g.last_at ? el("span", t("g.last", { t: new Date(g.last_at).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-US") })) : null,
            (g.conversation_ids || []).length ? el("span.an-convs", t("g.convs") + ": ", g.conversation_ids.slice(0, 8).map((id, i) => convLink(id, i + 1))) : null),
          (g.examples || []).length ? el("ul.an-examples", { "aria-label": t("g.examples") }, g.examples.slice(0, 5).map(x => el("li", x))) : null,
          form]);
        return row;
      })));
    }
    const add = k.add;

    // ---- At-risk customers ----
    function drawRisk(items) {
      if (!items.length) return set(risk, el("p.muted.an-empty", t("r.none")));
      set(risk, table([t("r.customer"), t("r.reasons"), N(t("r.negative")), N(t("r.csat")), t("r.last"), t("r.convs")], items.map(it => {
        const c = it.customer || {};
        const who = c.name || c.email ? [el("b", c.name || c.email), c.name && c.email ? el("div.muted", c.email) : null] : t("r.visitor", { id: String(it.visitor_id || "").slice(0, 8) });
        return el("tr", el("td", who), el("td", (it.reasons || []).map(r => el("span.badge.reason", { title: r }, t("risk." + r) === "risk." + r ? r : t("risk." + r)))),
          el("td.num", String(it.negative_messages || 0)), el("td.num", it.csat == null ? "—" : String(it.csat)),
          el("td", it.last_at ? new Date(it.last_at).toLocaleString(lang === "zh" ? "zh-CN" : "en-US", { dateStyle: "medium", timeStyle: "short" }) : "—"),
          el("td.an-convs", (it.conversation_ids || []).slice(0, 6).map((id, i) => convLink(id, i + 1))));
      }), "an-risk-table"));
    }

    // ---- Topics ----
    function drawTopics(res) {
      // Topics nobody wrote about are left out here (the CSV has every topic).
      const list = (res.topics || []).filter(x => x.count > 0).sort((x, y) => y.count - x.count);
      if (!list.length) return set(topics, el("p.muted.an-empty", t("t.none")));
      const name = x => (lang === "zh" ? x.label_zh : x.label_en) || x.label_en || x.topic;
      const items = list.slice(0, 12).map(x => ({ label: name(x), total: x.count || 0, parts: [
        { label: t("s.negative"), value: x.negative || 0, color: COLORS.negative }, { label: t("s.neutral"), value: x.neutral || 0, color: COLORS.neutral },
        { label: t("s.positive"), value: x.positive || 0, color: COLORS.positive }] }));
      const host = el("div.an-chartbox", { "data-chart": "topics" });
      const draw = w => stackBars(w, items, t("ch.topics.alt", { list: items.map(i => `${i.label} ${i.total} (${i.parts.map(p => p.value).join("/")})`).join(", ") }));
      set(topics, host, legend([[t("s.negative"), COLORS.negative], [t("s.neutral"), COLORS.neutral], [t("s.positive"), COLORS.positive]]),
        res.total != null ? el("p.muted", t("t.total", { n: num(res.total, lang) })) : null,
        table([t("t.topic"), ...[t("tb.count"), t("s.negative"), t("s.neutral"), t("s.positive")].map(N), t("t.examples")], list.map(x => el("tr", { "data-topic": x.topic },
          el("td", name(x)), el("td.num", String(x.count || 0)), el("td.num", String(x.negative || 0)), el("td.num", String(x.neutral || 0)), el("td.num", String(x.positive || 0)),
          el("td.an-ex", (x.examples || []).slice(0, 2).map(e => el("div", short(e, 140)))))), "an-topics-table"));
      const d = { host, draw, w: Math.round(host.clientWidth) || 600 };
      drawn.push(d);
      set(host, draw(d.w));
      if (ro) ro.observe(host);
    }

    // ---- Loading ----
    let seq = 0;
    async function section(my, host, what, path, draw) {
      try {
        const res = await api("GET", "/analytics/" + path + query());
        if (my === seq) draw(res);
      } catch (e) {
        if (my === seq) set(host, errorCard(what, e));
      }
    }
    function load() {
      const my = ++seq;
      save();
      rangeErr.textContent = "";
      from.value = F.from; to.value = F.to;
      for (const b of presets) b.setAttribute("aria-pressed", String(Number(b.dataset.days) === F.days));
      if (ro) ro.disconnect();
      drawn.length = 0;
      set(period, F.from + " – " + F.to);
      for (const [host] of [[kpis], [charts], [tables]]) set(host);
      kpis.append(el("p.muted", t("list.loading")));
      for (const host of [gaps, risk, topics]) set(host, el("p.muted", t("list.loading")));
      set(page.querySelector("#an-summary-csv"), csvLink("summary", "summary", t("an.csv.summary")));
      set(page.querySelector("#an-gaps-csv"), csvLink("gaps"));
      set(page.querySelector("#an-risk-csv"), csvLink("at-risk"));
      set(page.querySelector("#an-topics-csv"), csvLink("topics"));
      section(my, kpis, "an.summary", "summary", r => {
        set(period, t("an.period", { from: r.from || F.from, to: r.to || F.to, pfrom: r.previous_from || "—", pto: r.previous_to || "—" }));
        drawKPIs(r);
        drawSummary(r);
      });
      section(my, gaps, "an.gaps", "gaps", r => drawGaps(r.items || []));
      section(my, risk, "an.atrisk", "at-risk", r => drawRisk(r.items || []));
      section(my, topics, "an.topics", "topics", drawTopics);
    }
    load();
  } });
})();
