package sources

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"path"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// extracted is what a sync keeps of a fetched HTML page.
type extracted struct {
	Title     string
	Canonical string   // rel=canonical on the page's own host, else ""
	Main      []byte   // the main content as HTML (for knowledge.ParsePage)
	Links     []string // absolute http(s) links, fragments removed, without rel=nofollow
	NoIndex   bool     // <meta name="robots" content="noindex">
	NoFollow  bool     // <meta name="robots" content="nofollow">
}

// chrome matches class or id words of site furniture that readability may
// keep on short pages: cookie and consent banners, skip links, newsletters.
var chrome = []string{"cookie", "consent", "gdpr", "newsletter", "skip-link", "skiplink", "breadcrumb"}

// extract reads an HTML page served as contentType from pageURL: its links,
// canonical URL and robots directives from the whole page, and its main
// content through readability (navigation, headers, footers and banners
// dropped; headings, lists and tables kept).
func extract(body []byte, contentType string, pageURL *url.URL) (*extracted, error) {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return nil, fmt.Errorf("unreadable character set: %v", err)
	}
	doc, err := xhtml.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("unreadable HTML: %v", err)
	}
	out := &extracted{}
	base := pageURL
	var walk func(n *xhtml.Node)
	var strip []*xhtml.Node
	h1 := ""
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Base:
				if b, err := pageURL.Parse(attr(n, "href")); err == nil && attr(n, "href") != "" {
					base = b
				}
			case atom.H1:
				if h1 == "" {
					h1 = strings.Join(strings.Fields(textOf(n)), " ")
				}
			case atom.Title:
				if out.Title == "" && n.FirstChild != nil {
					out.Title = strings.TrimSpace(n.FirstChild.Data)
				}
			case atom.Link:
				if hasWord(attr(n, "rel"), "canonical") && out.Canonical == "" {
					if c, err := base.Parse(strings.TrimSpace(attr(n, "href"))); err == nil && sameHost(c, pageURL) {
						out.Canonical = normalize(c).String()
					}
				}
			case atom.Meta:
				if strings.EqualFold(attr(n, "name"), "robots") || strings.EqualFold(attr(n, "name"), "kefu") {
					c := strings.ToLower(attr(n, "content"))
					out.NoIndex = out.NoIndex || strings.Contains(c, "noindex") || strings.Contains(c, "none")
					out.NoFollow = out.NoFollow || strings.Contains(c, "nofollow") || strings.Contains(c, "none")
				}
			case atom.A:
				href := strings.TrimSpace(attr(n, "href"))
				if href != "" && !hasWord(attr(n, "rel"), "nofollow") {
					if l, err := base.Parse(href); err == nil && (l.Scheme == "http" || l.Scheme == "https") {
						out.Links = append(out.Links, normalize(l).String())
					}
				}
			}
			if isChrome(n) {
				strip = append(strip, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range strip {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	if h1 != "" { // a page's own heading names it better than "Returns | Shop Help"
		out.Title = h1
	}
	out.Main = mainContent(doc, pageURL, out.Title)
	return out, nil
}

func textOf(n *xhtml.Node) string {
	if n.Type == xhtml.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

// mainContent renders readability's article as a small HTML page; when
// readability finds nothing, the whole page (knowledge's parser then
// prefers <main> and skips navigation, headers and footers).
func mainContent(doc *xhtml.Node, pageURL *url.URL, title string) []byte {
	var buf bytes.Buffer
	art, err := readability.FromDocument(doc, pageURL)
	if err == nil && art.Node != nil {
		var body bytes.Buffer
		if art.RenderHTML(&body) == nil && len(bytes.TrimSpace(body.Bytes())) > 0 {
			if t := art.Title(); title == "" {
				title = t
			}
			buf.WriteString("<!doctype html><html><head><title>" + html.EscapeString(title) + "</title></head><body><main>")
			buf.Write(body.Bytes())
			buf.WriteString("</main></body></html>")
			return buf.Bytes()
		}
	}
	xhtml.Render(&buf, doc)
	return buf.Bytes()
}

func isChrome(n *xhtml.Node) bool {
	if n.DataAtom == atom.Body || n.DataAtom == atom.Html || n.DataAtom == atom.Main || n.DataAtom == atom.Article {
		return false
	}
	if strings.EqualFold(attr(n, "role"), "dialog") || strings.EqualFold(attr(n, "role"), "alertdialog") {
		return true
	}
	words := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
	for _, w := range chrome {
		if strings.Contains(words, w) {
			return true
		}
	}
	return false
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(strings.ToLower(list)) {
		if w == word {
			return true
		}
	}
	return false
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(normalize(a).Host, normalize(b).Host)
}

// notPages are link targets a crawl does not fetch.
var notPages = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".svg": true, ".ico": true, ".css": true,
	".js": true, ".zip": true, ".gz": true, ".mp4": true, ".mp3": true, ".woff": true, ".woff2": true, ".xml": true, ".json": true,
}

// inScope reports whether link belongs to a crawl from start: same scheme
// and host, under start's folder, and not an asset.
func inScope(start, link *url.URL) bool {
	if !sameHost(start, link) {
		return false
	}
	dir := start.Path
	if !strings.HasSuffix(dir, "/") {
		dir = path.Dir(dir)
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
	}
	if !strings.HasPrefix(link.Path, dir) && link.Path+"/" != dir {
		return false
	}
	return !notPages[strings.ToLower(path.Ext(link.Path))]
}
