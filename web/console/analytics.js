// kefu console: the analytics page (registered in window.KEFU_PAGES, drawn with
// the kit console.js passes in).
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, { "nav.analytics": "Analytics" });
  Object.assign(window.KEFU_I18N.zh, { "nav.analytics": "数据分析" });
  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "analytics", key: "nav.analytics", admin: true, render(main, k) {
    main.append(k.el("div.page", k.el("h1", k.t("nav.analytics"))));
  } });
})();
