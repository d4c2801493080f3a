package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"kefu/chat"
	"kefu/internal/audit"
	"kefu/internal/privacy"
)

// Privacy and the audit log (admins): data-subject export and erasure, and
// the record of who did what. Routes are in routes.go; the audited
// middleware records the console's actions after they succeed.

// actorOf names the request's caller for the audit log.
func actorOf(c echo.Context) audit.Entry {
	p := principalOf(c)
	switch {
	case p == nil:
		return audit.Entry{Actor: audit.ActorSystem}
	case p.user != nil:
		id, actor := audit.ActorUser(p.user)
		return audit.Entry{UserID: id, Actor: actor}
	case p.token != nil:
		return audit.Entry{Actor: audit.ActorToken(p.token)}
	default:
		return audit.Entry{Actor: audit.ActorAdmin}
	}
}

// record appends an audit entry for the caller of c; a failure is logged,
// not returned: the action itself has happened.
func (s *Server) record(c echo.Context, e audit.Entry) {
	if s.opts.Audit == nil {
		return
	}
	who := actorOf(c)
	if e.Actor == "" {
		e.Actor, e.UserID = who.Actor, who.UserID
	}
	if e.SiteID == nil {
		key := c.QueryParam("site")
		if key == "" {
			key = c.Param("key")
		}
		if key != "" {
			if site, err := s.siteByKey(c.Request().Context(), key); err == nil {
				e.SiteID = &site.ID
			}
		}
	}
	if err := s.opts.Audit.Record(c.Request().Context(), e); err != nil {
		s.logger.ErrorContext(c.Request().Context(), "record audit entry", "action", e.Action, "error", err)
	}
}

// audited records action on the route's target (its :id, :key, :number or
// :sku) once the handler has succeeded.
func (s *Server) audited(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := next(c); err != nil {
				return err
			}
			if c.Response().Status >= 400 {
				return nil
			}
			var target string
			for _, name := range []string{"id", "key", "number", "sku"} {
				if v := c.Param(name); v != "" {
					target = v
					break
				}
			}
			s.record(c, audit.Entry{Action: action, Target: target})
			return nil
		}
	}
}

// listAudit serves GET /api/v1/audit?cursor=&limit=&site=KEY&action=&actor=
// (action: exact, or a prefix ending in "."; actor: exact, as listed).
func (s *Server) listAudit(c echo.Context) error {
	if s.opts.Audit == nil {
		return notEnabled("the audit log is")
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	f := audit.Filter{Action: strings.TrimSpace(c.QueryParam("action")), Actor: strings.TrimSpace(c.QueryParam("actor")), Limit: limit}
	if key := c.QueryParam("site"); key != "" {
		site, err := s.opts.Sites.ByKey(c.Request().Context(), key)
		if err != nil {
			return err
		}
		f.SiteID = &site.ID
	}
	page, err := s.opts.Audit.List(c.Request().Context(), f, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// subjectOf reads ?site=KEY&email=|customer_id=|visitor_token=.
func subjectOf(c echo.Context) privacy.Subject {
	return privacy.Subject{Site: c.QueryParam("site"), Email: strings.TrimSpace(c.QueryParam("email")),
		CustomerID: strings.TrimSpace(c.QueryParam("customer_id")), VisitorToken: strings.TrimSpace(c.QueryParam("visitor_token"))}
}

// exportSubject serves GET /api/v1/privacy/subjects?site=KEY&email=… : one
// JSON document with everything kefu holds about the subject.
func (s *Server) exportSubject(c echo.Context) error {
	if s.opts.Privacy == nil {
		return notEnabled("privacy requests are")
	}
	exp, err := s.opts.Privacy.Export(c.Request().Context(), subjectOf(c), actorOf(c))
	if err != nil {
		return err
	}
	// The file name says which site and day; never who (it is in the admin's downloads).
	name := "kefu-export-" + fileSafe(exp.Site) + "-" + exp.GeneratedAt.Format("20060102-150405") + ".json"
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, exp)
}

// fileSafe keeps the letters, digits, '-' and '_' of s (for a file name).
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// eraseSubject serves DELETE /api/v1/privacy/subjects?site=KEY&email=… and
// answers with what was deleted.
func (s *Server) eraseSubject(c echo.Context) error {
	if s.opts.Privacy == nil {
		return notEnabled("privacy requests are")
	}
	out, err := s.opts.Privacy.Erase(c.Request().Context(), subjectOf(c), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// modelData serves GET /api/v1/privacy/model-data?site=KEY: which data
// goes to the configured model endpoint.
func (s *Server) modelData(c echo.Context) error {
	site, err := s.site(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, privacy.ModelDataFor(s.opts.Engine.ModelStatus().Configured, site.Config()))
}

// sensitiveParams are query parameters whose values name a person.
var sensitiveParams = map[string]bool{"email": true, "customer_id": true, "visitor_token": true, "token": true}

// secretParam says whether a query parameter's name suggests a credential
// (access_token, api_key, password, secret, hash…): kefu reads none from the
// query string, but a client may put one there, and the log must not keep it.
func secretParam(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"token", "secret", "passw", "key", "hash", "signature", "auth", "session", "csrf"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// logURI is uri fit for the request log: the values of sensitiveParams, and
// any value that holds an email address or phone number, are masked.
func logURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return path + "?[unparsed]"
	}
	for k, vs := range vals {
		for i, v := range vs {
			if sensitiveParams[k] || secretParam(k) || chat.RedactContacts(v) != v {
				vs[i] = "***"
			}
		}
	}
	return path + "?" + vals.Encode()
}
