package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/notify"
)

// ---- Notification preferences (each console user's own) ----

func (s *Server) notifier() (*notify.Service, error) {
	if s.opts.Notify == nil {
		return nil, &featureOff{http.StatusNotImplemented, "notifications are"}
	}
	return s.opts.Notify, nil
}

// notificationPrefs serves GET /api/v1/notifications/preferences.
func (s *Server) notificationPrefs(c echo.Context) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	p, err := n.Prefs(c.Request().Context(), principalOf(c).user.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// setNotificationPrefs serves PUT /api/v1/notifications/preferences.
func (s *Server) setNotificationPrefs(c echo.Context) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	var in notify.Prefs
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := n.SetPrefs(c.Request().Context(), principalOf(c).user.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// testNotification serves POST /api/v1/notifications/test: an email to the
// signed-in user.
func (s *Server) testNotification(c echo.Context) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	if err := n.SendTest(c.Request().Context(), principalOf(c).user); err != nil {
		if errors.Is(err, chat.ErrInvalid) {
			return err
		}
		s.logger.ErrorContext(c.Request().Context(), "test email", "error", err)
		return echo.NewHTTPError(http.StatusBadGateway, "the mail relay did not take the email; see the server log")
	}
	return c.NoContent(http.StatusAccepted)
}

// ---- Unsubscribe links (public: the token is the credential) ----

// unsubscribePage is the page behind an email's unsubscribe link. A GET only
// shows a button (link scanners must not unsubscribe anyone); the button,
// or a mail client's RFC 8058 one-click POST, unsubscribes.
var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title></head>
<body><main>
<h1>{{.Title}}</h1>
<p role="status">{{.Text}}</p>
{{if .Form}}<form method="post" action="/notifications/unsubscribe?token={{.Token}}&amp;kind={{.Kind}}">
<button type="submit">{{.Button}}</button></form>{{end}}
<p><a href="/console#/notifications">{{.Settings}}</a></p>
</main></body></html>`))

type unsubscribeView struct {
	Lang, Title, Text, Button, Settings, Token, Kind string
	Form                                             bool
}

var unsubscribeText = map[string]map[string]string{
	"en": {"title": "Unsubscribe", "ask": "Stop these emails from kefu: {what}?", "button": "Unsubscribe",
		"done": "Done: you will not get {what} any more.", "bad": "This link is not valid any more.",
		"settings": "All notification settings", "waiting": "emails when conversations wait", "digest": "the daily digest",
		"alerts": "alerts about webhooks", "all": "any notification emails"},
	"zh": {"title": "退订", "ask": "不再接收 kefu 的这类邮件：{what}？", "button": "退订",
		"done": "已退订：您将不再收到{what}。", "bad": "此链接已失效。",
		"settings": "全部通知设置", "waiting": "会话等待提醒邮件", "digest": "每日摘要", "alerts": "Webhook 提醒",
		"all": "任何通知邮件"},
}

func (s *Server) unsubscribe(c echo.Context) error {
	lang := "en"
	if strings.HasPrefix(strings.ToLower(c.Request().Header.Get("Accept-Language")), "zh") {
		lang = "zh"
	}
	t := unsubscribeText[lang]
	token, kind := c.QueryParam("token"), c.QueryParam("kind")
	if kind == "" {
		kind = notify.KindAll
	}
	what, ok := t[kind]
	if !ok || kind == "title" {
		what = ""
	}
	v := unsubscribeView{Lang: lang, Title: t["title"], Settings: t["settings"], Token: token, Kind: kind, Button: t["button"]}
	status := http.StatusOK
	switch {
	case s.opts.Notify == nil:
		v.Text, status = t["bad"], http.StatusNotFound
	case c.Request().Method == http.MethodGet:
		v.Text, v.Form = strings.ReplaceAll(t["ask"], "{what}", what), true
	default:
		err := s.opts.Notify.Unsubscribe(c.Request().Context(), token, kind)
		switch {
		case err == nil:
			v.Text = strings.ReplaceAll(t["done"], "{what}", what)
		case errors.Is(err, chat.ErrInvalid):
			v.Text, status = t["bad"], http.StatusBadRequest
		case errors.Is(err, chat.ErrNotFound):
			v.Text, status = t["bad"], http.StatusNotFound
		default:
			return err
		}
	}
	var buf bytes.Buffer
	if err := unsubscribePage.Execute(&buf, v); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	return c.HTMLBlob(status, buf.Bytes())
}
