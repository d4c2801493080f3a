package web

import (
	"embed"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// The agent console's pages: one HTML page (a single-page app routed by the
// URL's #fragment) and its script, strings and style, all embedded. The
// page is never cached (it names the assets by content hash), the assets
// are cached for good under their hashed URLs. Everything it shows comes
// from the /api/v1 routes and the /v1/agent/ws socket.

//go:embed console/index.html console/console.js console/i18n.js console/console.css console/analytics.js console/privacy.js console/answertests.js console/sources.js
//go:embed console/webhooks.js console/notifications.js console/apiref.js
var consoleFS embed.FS

func consoleAssetFrom(name, ctype string) *asset { return mustAsset(consoleFS, "console/"+name, ctype) }

var (
	consoleAssets = map[string]*asset{
		"console.js":       consoleAssetFrom("console.js", "text/javascript; charset=utf-8"),
		"i18n.js":          consoleAssetFrom("i18n.js", "text/javascript; charset=utf-8"),
		"console.css":      consoleAssetFrom("console.css", "text/css; charset=utf-8"),
		"analytics.js":     consoleAssetFrom("analytics.js", "text/javascript; charset=utf-8"),
		"privacy.js":       consoleAssetFrom("privacy.js", "text/javascript; charset=utf-8"),
		"answertests.js":   consoleAssetFrom("answertests.js", "text/javascript; charset=utf-8"),
		"sources.js":       consoleAssetFrom("sources.js", "text/javascript; charset=utf-8"),
		"webhooks.js":      consoleAssetFrom("webhooks.js", "text/javascript; charset=utf-8"),
		"notifications.js": consoleAssetFrom("notifications.js", "text/javascript; charset=utf-8"),
		"apiref.js":        consoleAssetFrom("apiref.js", "text/javascript; charset=utf-8"),
	}
	consoleHTML = func() []byte {
		page, err := consoleFS.ReadFile("console/index.html")
		if err != nil {
			panic(err)
		}
		s := string(page)
		for name, a := range consoleAssets {
			s = strings.ReplaceAll(s, "/console/assets/"+name+`"`, "/console/assets/"+name+"?v="+a.hash+`"`)
		}
		return []byte(s)
	}()
)

// consoleCSP allows only kefu's own scripts, styles and connections: the
// console renders server data as text, and this is the second lock.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'"

// consolePage serves GET /console (and /login): the app shell.
func (s *Server) consolePage(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", consoleCSP+" "+wsSources(c.Request()))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	return c.HTMLBlob(http.StatusOK, consoleHTML)
}

// wsSources adds the page's own host over ws(s) to connect-src: not every
// browser counts ws: as 'self'.
func wsSources(r *http.Request) string {
	host := r.Host
	if host == "" || strings.ContainsAny(host, " ;'\"") {
		return ""
	}
	return "ws://" + host + " wss://" + host
}

// consoleAsset serves GET /console/assets/:name.
func (s *Server) consoleAsset(c echo.Context) error {
	a, ok := consoleAssets[c.Param("name")]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such console asset")
	}
	return serveAsset(c, a)
}
