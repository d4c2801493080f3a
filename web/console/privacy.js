// kefu console: the privacy page (registered in window.KEFU_PAGES, drawn with
// the kit console.js passes in).
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, { "nav.privacy": "Privacy" });
  Object.assign(window.KEFU_I18N.zh, { "nav.privacy": "隐私" });
  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "privacy", key: "nav.privacy", admin: true, render(main, k) {
    main.append(k.el("div.page", k.el("h1", k.t("nav.privacy"))));
  } });
})();
