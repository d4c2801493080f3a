// kefu console: the API reference (admins), registered in window.KEFU_PAGES.
// It reads /api/openapi.json (the OpenAPI 3.1 document the server serves)
// and draws it: operations by tag, each with its parameters, request body
// and responses, schemas expanded a few levels; and the webhook deliveries.
// Nothing is fetched from anywhere else.
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.api": "API reference",
    "api.intro": "kefu's HTTP API, from its OpenAPI 3.1 document. Shop backends call it with an API token (Authorization: Bearer …); the console uses it too.",
    "api.json": "The document as JSON", "api.filter": "Filter operations", "api.count": "{n} operations shown.",
    "api.params": "Parameters", "api.body": "Request body", "api.responses": "Responses", "api.required": "required",
    "api.public": "no sign-in", "api.webhooks": "Webhook deliveries (what kefu sends to your endpoints)", "api.loading": "Loading the API document…",
    "api.name": "Name", "api.in": "In", "api.type": "Type", "api.desc": "Description",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.api": "API 参考",
    "api.intro": "kefu 的 HTTP API，来自其 OpenAPI 3.1 文档。商店后台用 API 令牌调用（Authorization: Bearer …）；控制台也使用它。",
    "api.json": "JSON 格式的文档", "api.filter": "筛选接口", "api.count": "显示 {n} 个接口。",
    "api.params": "参数", "api.body": "请求体", "api.responses": "响应", "api.required": "必填",
    "api.public": "无需登录", "api.webhooks": "Webhook 投递（kefu 发送到您的接收地址的内容）", "api.loading": "正在加载 API 文档…",
    "api.name": "名称", "api.in": "位置", "api.type": "类型", "api.desc": "说明",
  });

  const METHODS = ["get", "head", "post", "put", "patch", "delete"];

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "api", key: "nav.api", admin: true, render(main, k) {
    const { el, set, t } = k;
    const status = el("p.muted", { id: "api-status", role: "status", "aria-live": "polite" }, t("api.loading"));
    const filter = el("input", { type: "search", id: "api-filter", placeholder: "/api/v1/webhooks", on: { input: () => apply() } });
    const body = el("div", { id: "api-ops" });
    const page = el("div.page.apiref", el("h1", t("nav.api")), el("p.muted", t("api.intro")),
      el("p", el("a", { href: "/api/openapi.json", target: "_blank", rel: "noopener", text: t("api.json") })),
      el("div.wh-bar", el("label", { for: "api-filter" }, t("api.filter")), filter), status, body);
    main.append(page);
    let doc = null;

    const resolve = s => {
      for (let i = 0; s && s.$ref && i < 10; i++) s = s.$ref.replace(/^#\//, "").split("/").reduce((o, p) => (o || {})[p], doc);
      return s || {};
    };
    const typeOf = s => {
      if (s.$ref) return s.$ref.split("/").pop();
      if (s.const !== undefined) return JSON.stringify(s.const);
      if (s.enum) return s.enum.join(" | ");
      if (s.oneOf) return s.oneOf.map(typeOf).join(" | ");
      const tp = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "any";
      if (tp === "array" && s.items) return typeOf(s.items) + "[]";
      return tp;
    };
    // schema draws a schema's properties as a list, depth levels deep.
    function schema(s, depth) {
      const named = s.$ref ? s.$ref.split("/").pop() : "";
      s = resolve(s);
      if (s.allOf) s = s.allOf.map(resolve).reduce((a, b) => ({ ...a, ...b, properties: { ...(a.properties || {}), ...(b.properties || {}) },
        required: [...(a.required || []), ...(b.required || [])] }), {});
      if (s.type === "array" && s.items) return el("div", el("span.api-type", typeOf(s)), depth > 0 ? schema(s.items, depth) : null);
      const props = Object.entries(s.properties || {});
      if (!props.length) return el("span.api-type", named || typeOf(s));
      const req = new Set(s.required || []);
      return el("ul.api-schema", props.map(([name, p]) => {
        const r = resolve(p);
        const nested = depth > 1 && (r.properties || r.allOf || (r.type === "array" && r.items && resolve(r.items).properties));
        return el("li", el("code", name), " ", el("span.api-type", typeOf(p)), req.has(name) ? [" ", el("span.api-req", t("api.required"))] : null,
          r.description || p.description ? [" — ", r.description || p.description] : null, nested ? schema(p, depth - 1) : null);
      }));
    }
    function content(c) {
      return Object.entries(c || {}).map(([type, m]) => el("div", el("span.api-type", type), m.schema ? schema(m.schema, 3) : null));
    }
    function operation(path, method, op, shared) {
      const params = [...(shared || []), ...(op.parameters || [])].map(resolve);
      const id = "op-" + (op.operationId || method + path.replace(/\W+/g, "-"));
      const parts = [];
      if (op.description) parts.push(el("p", op.description));
      if (params.length) parts.push(el("h3", t("api.params")), el("div.scroll", el("table", el("caption.sr", t("api.params")),
        el("thead", el("tr", ["api.name", "api.in", "api.type", "api.desc"].map(h => el("th", { scope: "col", text: t(h) })))),
        el("tbody", params.map(p => el("tr", el("td", el("code", p.name), p.required ? [" ", el("span.api-req", t("api.required"))] : null),
          el("td", p.in), el("td.api-type", typeOf(p.schema || {})), el("td", p.description || "")))))));
      if (op.requestBody) parts.push(el("h3", t("api.body")), content(resolve(op.requestBody).content));
      parts.push(el("h3", t("api.responses")), el("ul.api-schema", Object.entries(op.responses || {}).map(([code, r]) => {
        r = resolve(r);
        return el("li", el("b", code), " ", r.description || "", content(r.content));
      })));
      const open = (op.security && op.security.length === 0) ? el("span.badge", t("api.public")) : null;
      return el("details.api-op", { id, "data-search": (method + " " + path + " " + (op.summary || "")).toLowerCase() },
        el("summary", el("span.api-m." + method, method.toUpperCase()), el("span.api-path", path), el("span.muted", op.summary || ""), open),
        el("div", parts));
    }
    function draw() {
      const tags = (doc.tags || []).map(x => x.name);
      const byTag = {};
      for (const [path, item] of Object.entries(doc.paths || {})) {
        for (const m of METHODS) {
          const op = item[m];
          if (!op) continue;
          const tag = (op.tags || ["other"])[0];
          if (!tags.includes(tag)) tags.push(tag);
          (byTag[tag] = byTag[tag] || []).push(operation(path, m, op, item.parameters));
        }
      }
      const sections = tags.filter(tag => byTag[tag]).map(tag => {
        const info = (doc.tags || []).find(x => x.name === tag) || {};
        return el("section.card.api-tag", { "aria-labelledby": "api-t-" + tag }, el("h2", { id: "api-t-" + tag }, tag),
          info.description ? el("p.muted", info.description) : null, byTag[tag]);
      });
      const hooks = Object.entries(doc.webhooks || {}).map(([name, item]) =>
        METHODS.filter(m => item[m]).map(m => operation(name, m, item[m], item.parameters)));
      if (hooks.length) sections.push(el("section.card", { "aria-labelledby": "api-t-webhooks-out" },
        el("h2", { id: "api-t-webhooks-out" }, t("api.webhooks")), hooks));
      set(body, ...sections);
      apply();
    }
    function apply() {
      if (!doc) return;
      const q = filter.value.trim().toLowerCase();
      let n = 0;
      for (const d of body.querySelectorAll("details.api-op")) {
        const show = !q || d.dataset.search.includes(q);
        d.hidden = !show;
        if (show) n++;
      }
      for (const s of body.querySelectorAll("section")) s.hidden = ![...s.querySelectorAll("details.api-op")].some(d => !d.hidden);
      status.textContent = t("api.count", { n });
    }
    (async () => {
      try {
        const res = await fetch("/api/openapi.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!res.ok) throw new Error(res.statusText);
        doc = await res.json();
        draw();
      } catch (e) { status.textContent = ""; k.fail(e); }
    })();
  } });
})();
