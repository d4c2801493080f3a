package web

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/knowledge/demo"
)

// assets are the shopper-side files: the widget script and the demo page.
//
//go:embed static/widget.js templates/demo.html
var assets embed.FS

// asset is an embedded file prepared for serving: its bytes, a gzipped copy
// and a content hash for the ETag and versioned URLs.
type asset struct {
	body, gz []byte
	hash     string
	ctype    string
}

// mustAsset reads an embedded file and keeps it with its gzip and hash.
func mustAsset(fsys embed.FS, name, ctype string) *asset {
	body, err := fsys.ReadFile(name)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	return &asset{body: body, gz: buf.Bytes(), hash: hex.EncodeToString(sum[:8]), ctype: ctype}
}

var (
	widgetJS = mustAsset(assets, "static/widget.js", "text/javascript; charset=utf-8")
	demoPage = template.Must(template.ParseFS(assets, "templates/demo.html"))
)

// widgetScript serves GET /widget.js. Shops embed the bare URL, so it is
// cached briefly and revalidated by its ETag; /widget.js?v=HASH (the demo
// page's form) is cached for good.
func (s *Server) widgetScript(c echo.Context) error { return serveAsset(c, widgetJS) }

func serveAsset(c echo.Context, a *asset) error {
	h := c.Response().Header()
	h.Set("Vary", "Accept-Encoding")
	if c.QueryParam("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300, stale-while-revalidate=86400")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	body, etag := a.body, `"`+a.hash+`"`
	if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		// Why a second tag: a strong ETag names one representation, and the
		// gzipped bytes are another one.
		body, etag = a.gz, `"`+a.hash+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if etagMatch(c.Request().Header.Get("If-None-Match"), a.hash) {
		h.Del("Content-Encoding")
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.ctype, body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, val, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "q") {
				q, _ = strconv.ParseFloat(val, 64)
			}
		}
		return q > 0
	}
	return false
}

// etagMatch reports whether If-None-Match names either representation of
// the asset with hash (or is "*").
func etagMatch(header, hash string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == `"`+hash+`"` || tag == `"`+hash+`-gz"` {
			return true
		}
	}
	return false
}

// widgetConfigKeys are the keys of a site's settings.widget object that
// the widget reads; each is a string, and data-* attributes on the script
// tag override them.
var widgetConfigKeys = []string{"title", "color", "greeting", "position", "locale"}

// widgetConfig serves GET /v1/widget/config?site=KEY: what the widget shows
// before the shopper opens it (the shop's name and settings.widget). It is
// as public as the key, so any origin may read it.
func (s *Server) widgetConfig(c echo.Context) error {
	if s.opts.Sites == nil {
		return echo.NewHTTPError(http.StatusNotFound, "unknown site key")
	}
	site, err := s.opts.Sites.ByKey(c.Request().Context(), c.QueryParam("site"))
	if errors.Is(err, sites.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "unknown site key")
	}
	if err != nil {
		return err
	}
	out := map[string]string{"name": site.Name}
	if cfg, ok := site.Settings["widget"].(map[string]any); ok {
		for _, k := range widgetConfigKeys {
			if v, ok := cfg[k].(string); ok && v != "" && len(v) <= 1000 {
				out[k] = v
			}
		}
	}
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=60")
	return c.JSON(http.StatusOK, out)
}

// demoMissing is the /demo answer when the demo shop was never seeded.
const demoMissing = `<!doctype html><meta charset="utf-8"><title>Demo shop not set up</title>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#1f2937">
<h1>The demo shop is not set up</h1><p>Load it with <code>kefu seed --demo</code>, or start the server with
<code>kefu serve --demo</code> (which <code>make run</code> does), then reload this page.</p></body>`

type demoProduct struct {
	Title, Description, Price, Category, Color, Initial string
	Tone                                                int
	InStock                                             bool
}

type demoCustomer struct {
	ID, Name, Email, Hash string
}

type demoOrder struct {
	Number, Status, Carrier, Tracking, Placed string
	Items                                     int
}

type demoView struct {
	Shop, SiteKey, Script, Locale, Lang string
	Products                            []demoProduct
	Customers                           []knowledge.Customer
	Customer                            *demoCustomer
	Orders                              []demoOrder
}

// demoShop serves GET /demo: the demo storefront, which embeds the widget
// exactly as a shop would and can sign in as a demo customer (the identity
// hash is computed here, as a shop's backend would).
func (s *Server) demoShop(c echo.Context) error {
	ctx := c.Request().Context()
	if s.opts.Sites == nil {
		return c.HTML(http.StatusNotFound, demoMissing)
	}
	site, err := s.opts.Sites.ByName(ctx, demo.Site)
	if errors.Is(err, sites.ErrNotFound) {
		return c.HTML(http.StatusNotFound, demoMissing)
	}
	if err != nil {
		return err
	}
	v := demoView{
		Shop:    strings.TrimSpace(strings.TrimSuffix(site.Name, "(demo)")),
		SiteKey: site.Key,
		Script:  "/widget.js?v=" + widgetJS.hash,
	}
	switch strings.ToLower(c.QueryParam("lang")) {
	case "zh", "zh-cn":
		v.Locale, v.Lang = "zh-CN", "zh"
	case "en":
		v.Locale, v.Lang = "en", "en"
	}
	if s.opts.Commerce != nil {
		products, err := s.opts.Commerce.Products(ctx, site.ID, 12)
		if err != nil {
			return err
		}
		for _, p := range products {
			v.Products = append(v.Products, productView(p))
		}
		if v.Customers, err = s.opts.Commerce.Customers(ctx, site.ID, 8); err != nil {
			return err
		}
		if id := c.QueryParam("customer"); id != "" {
			if err := s.demoSignIn(c, site, id, &v); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := demoPage.Execute(&buf, v); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// demoSignIn signs the page in as customer id (when the site has that
// customer) and lists their recent orders.
func (s *Server) demoSignIn(c echo.Context, site *sites.Site, id string, v *demoView) error {
	ctx := c.Request().Context()
	rowID, err := s.opts.Commerce.CustomerByExternalID(ctx, site.ID, id)
	if errors.Is(err, knowledge.ErrNotFound) {
		return nil // an unknown id stays signed out
	}
	if err != nil {
		return err
	}
	cust := &demoCustomer{ID: id, Hash: identityHash(site.Secret, id)}
	for _, cu := range v.Customers {
		if cu.ID == id {
			cust.Name, cust.Email = cu.Name, cu.Email
		}
	}
	orders, err := s.opts.Commerce.Orders(ctx, site.ID, rowID, 3)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if cust.Email == "" && o.Customer != nil {
			cust.Name, cust.Email = o.Customer.Name, o.Customer.Email
		}
		n := 0
		for _, it := range o.Items {
			n += it.Quantity
		}
		ov := demoOrder{Number: o.Number, Status: o.Status, Carrier: o.Carrier, Tracking: o.TrackingNumber, Items: n}
		if o.CreatedAt != nil {
			ov.Placed = o.CreatedAt.Format("2 Jan 2006")
		}
		v.Orders = append(v.Orders, ov)
	}
	v.Customer = cust
	return nil
}

// identityHash is what a shop's backend computes to verify a shopper to the
// widget: hex(HMAC-SHA256(site secret, user id)) (DESIGN.md).
func identityHash(secret, userID string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

func productView(p knowledge.Product) demoProduct {
	h := fnv.New32a()
	h.Write([]byte(p.SKU))
	initial, _ := utf8.DecodeRuneInString(p.Title)
	dp := demoProduct{Title: p.Title, Description: p.Description, Price: money(p.Price, p.Currency),
		Initial: string(unicode.ToUpper(initial)), Tone: int(h.Sum32() % 6), InStock: p.Stock > 0}
	if cat, ok := p.Attributes["category"].(string); ok {
		dp.Category = cat
	}
	if col, ok := p.Attributes["color"].(string); ok {
		dp.Color = col
	}
	return dp
}

// money formats an amount for the demo page: "$24.90", "¥32.00", "45.00 EUR".
func money(amount float64, currency string) string {
	n := strconv.FormatFloat(amount, 'f', 2, 64)
	switch currency {
	case "USD", "":
		return "$" + n
	case "CNY":
		return "¥" + n
	case "EUR":
		return "€" + n
	}
	return n + " " + currency
}
