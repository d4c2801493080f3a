// kefu console: the notifications page (everyone), registered in
// window.KEFU_PAGES. Each user's own preferences: emails when conversations
// wait with nobody online (after how long), the daily digest and webhook
// alerts (admins), and desktop notifications from this console while it is
// in the background (the browser's permission is asked on a click).
(() => {
  "use strict";
  Object.assign(window.KEFU_I18N.en, {
    "nav.notifications": "Notifications",
    "nt.intro": "How kefu reaches you when you are not looking at the console. Emails show only a short preview of what a shopper wrote, with card numbers, codes and contact details masked.",
    "nt.email": "Email", "nt.noEmail": "This server sends no email (its administrator has not set KEFU_SMTP_ADDR). Desktop notifications still work.",
    "nt.waiting": "Email me when a conversation waits and nobody is online", "nt.after": "after", "nt.minutes": "minutes",
    "nt.digest": "Daily digest: conversations, escalation rate, knowledge gaps", "nt.alerts": "Alerts: a webhook was turned off because it kept failing",
    "nt.locale": "Email language", "nt.save": "Save", "nt.saved": "Preferences saved.",
    "nt.desktop": "Desktop notifications",
    "nt.browser": "Notify me here when the console is in the background (new queued conversations, messages in my conversations, alerts)",
    "nt.perm.granted": "This browser shows kefu's notifications.", "nt.perm.denied": "This browser blocks kefu's notifications; allow them in the site settings of your browser.",
    "nt.perm.default": "This browser has not been asked yet.", "nt.perm.none": "This browser cannot show notifications.",
    "nt.allow": "Allow desktop notifications", "nt.test": "Send me a test email", "nt.tested": "Test email sent to {email}.",
  });
  Object.assign(window.KEFU_I18N.zh, {
    "nav.notifications": "通知",
    "nt.intro": "当您没有看着控制台时，kefu 如何通知您。邮件只包含顾客消息的简短预览，卡号、验证码和联系方式都会被遮盖。",
    "nt.email": "邮件", "nt.noEmail": "此服务器不发送邮件（管理员尚未设置 KEFU_SMTP_ADDR）。桌面通知仍然可用。",
    "nt.waiting": "有会话在等待且无人在线时给我发邮件", "nt.after": "等待", "nt.minutes": "分钟后",
    "nt.digest": "每日摘要：会话数、转人工率、知识缺口", "nt.alerts": "提醒：Webhook 因持续失败被关闭",
    "nt.locale": "邮件语言", "nt.save": "保存", "nt.saved": "已保存偏好设置。",
    "nt.desktop": "桌面通知",
    "nt.browser": "控制台在后台时在此通知我（新的排队会话、我的会话中的消息、提醒）",
    "nt.perm.granted": "此浏览器会显示 kefu 的通知。", "nt.perm.denied": "此浏览器已阻止 kefu 的通知；请在浏览器的网站设置中允许。",
    "nt.perm.default": "此浏览器尚未被询问。", "nt.perm.none": "此浏览器无法显示通知。",
    "nt.allow": "允许桌面通知", "nt.test": "给我发一封测试邮件", "nt.tested": "测试邮件已发送至 {email}。",
  });

  (window.KEFU_PAGES = window.KEFU_PAGES || []).push({ id: "notifications", key: "nav.notifications", admin: false, render(main, k) {
    const { el, set, t, api } = k;
    const page = el("div.page.notifications", el("h1", t("nav.notifications")), el("p.muted", t("nt.intro")));
    main.append(page);
    const status = el("div", { id: "nt-status", role: "status", "aria-live": "polite" });
    const say = msg => { status.textContent = ""; status.textContent = msg; };
    const waiting = el("input", { type: "checkbox", id: "nt-waiting" });
    const minutes = el("input", { type: "number", id: "nt-minutes", min: 1, max: 1440, step: 1, required: true });
    const digest = el("input", { type: "checkbox", id: "nt-digest" });
    const alerts = el("input", { type: "checkbox", id: "nt-alerts" });
    const browser = el("input", { type: "checkbox", id: "nt-browser" });
    const locale = el("select", { id: "nt-locale" }, [["en", "English"], ["zh", "中文"]].map(([v, n]) => el("option", { value: v, text: n })));
    const noEmail = el("p.muted", { id: "nt-noemail", hidden: true }, t("nt.noEmail"));
    const perm = el("p.muted", { id: "nt-perm" });
    const allow = el("button.btn", { type: "button", id: "nt-allow", text: t("nt.allow"), on: { click: async () => {
      // Asked on this click only: browsers refuse (and users dislike) a prompt out of nowhere.
      try { await Notification.requestPermission(); } catch (e) { /* old browsers */ }
      drawPermission();
    } } });
    const testBtn = el("button.btn", { type: "button", id: "nt-test", text: t("nt.test"), on: { click: async () => {
      try { await api("POST", "/notifications/test"); say(t("nt.tested", { email: k.S.me.email })); } catch (e) { k.fail(e); say(e.message); }
    } } });
    function drawPermission() {
      const p = "Notification" in window ? Notification.permission : "none";
      perm.textContent = t("nt.perm." + p);
      allow.hidden = p !== "default";
    }
    let emailOn = false;
    function fill(p) {
      waiting.checked = p.email_waiting; minutes.value = p.wait_minutes; digest.checked = p.email_digest;
      alerts.checked = p.email_alerts; browser.checked = p.browser; locale.value = p.locale;
      emailOn = p.email_enabled;
      noEmail.hidden = emailOn;
      testBtn.hidden = !emailOn;
      window.kefuConsole && window.kefuConsole.setBrowserNotify && window.kefuConsole.setBrowserNotify(p.browser);
    }
    const admin = k.isAdmin();
    const form = el("form.nt-form", { id: "nt-form", on: { submit: async ev => {
      ev.preventDefault();
      try {
        fill(await api("PUT", "/notifications/preferences", { email_waiting: waiting.checked, wait_minutes: Number(minutes.value),
          email_digest: digest.checked, email_alerts: alerts.checked, browser: browser.checked, locale: locale.value }));
        say(t("nt.saved")); k.toast(t("nt.saved"));
      } catch (e) { k.fail(e); say(e.message); }
    } } },
      el("fieldset", el("legend", el("h2", t("nt.email"))), noEmail,
        el("label.check", waiting, " ", t("nt.waiting")),
        el("label.num", { for: "nt-minutes" }, t("nt.after"), minutes, t("nt.minutes")),
        admin ? el("label.check", digest, " ", t("nt.digest")) : null,
        admin ? el("label.check", alerts, " ", t("nt.alerts")) : null,
        el("label.num", { for: "nt-locale" }, t("nt.locale"), locale)),
      el("fieldset", el("legend", el("h2", t("nt.desktop"))),
        el("label.check", browser, " ", t("nt.browser")), perm, el("div.nt-row", allow)),
      el("div.nt-row", el("button.btn.primary", { type: "submit", id: "nt-save", text: t("nt.save") }), testBtn));
    page.append(el("section.card", { "aria-label": t("nav.notifications") }, form, status));
    drawPermission();
    (async () => {
      try { fill(await api("GET", "/notifications/preferences")); } catch (e) { k.fail(e); }
    })();
  } });
})();
