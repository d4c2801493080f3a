package parse

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlSkip lists elements whose content is never main text.
var htmlSkip = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Footer: true, atom.Aside: true,
	atom.Noscript: true, atom.Form: true, atom.Svg: true, atom.Iframe: true, atom.Template: true,
	atom.Button: true, atom.Select: true, atom.Canvas: true, atom.Object: true, atom.Embed: true,
	atom.Dialog: true, atom.Head: true, atom.Math: true,
}

// htmlBlocks lists elements that start a new paragraph.
var htmlBlocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Blockquote: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Figure: true, atom.Figcaption: true, atom.Address: true, atom.Hr: true,
	atom.Details: true, atom.Summary: true, atom.Fieldset: true, atom.Center: true, atom.Caption: true,
	atom.Header: true, atom.Body: true, atom.Html: true, atom.Pre: true, atom.Legend: true,
}

var htmlHeadings = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

// parseHTML reads the main text of an HTML page: the content of <main> (or
// role="main"), else of a single <article>, else of <body>, without
// scripts, styles, navigation, headers, footers, asides, forms and hidden
// elements. h1–h6 build the heading path. The title is <title>, else the
// first h1.
func parseHTML(s string) (*Document, error) {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil { // a reader error, or nesting deeper than 512 elements
		return nil, fmt.Errorf("unreadable HTML (%v)", err)
	}
	title := ""
	if t := findElement(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title && n.Namespace == "" }); t != nil {
		title = cleanInline(nodeText(t))
	}
	root := findElement(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Main || strings.EqualFold(htmlAttr(n, "role"), "main")
	})
	if root == nil {
		var articles []*html.Node
		findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Article }, &articles)
		if len(articles) == 1 {
			root = articles[0]
		}
	}
	if root == nil {
		root = doc
	}
	var b textBuilder
	w := htmlWalker{
		para: b.para,
		heading: func(level int, text string) {
			if level == 1 && title == "" {
				title = text
			}
			b.heading(level, text)
		},
		inMain: root != doc,
	}
	w.walk(root)
	w.flush()
	return b.parsed(title), nil
}

// htmlFragmentParagraphs returns the paragraphs of an HTML fragment (an
// HTML block inside Markdown); headings become paragraphs.
func htmlFragmentParagraphs(s string) []string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return nil
	}
	var out []string
	w := htmlWalker{
		para:    func(p string) { out = append(out, p) },
		heading: func(_ int, text string) { out = append(out, text) },
		inMain:  true,
	}
	for _, n := range nodes {
		w.walk(n)
	}
	w.flush()
	return out
}

// htmlWalker turns an HTML tree into paragraphs and headings.
type htmlWalker struct {
	para    func(string)
	heading func(level int, text string)
	inMain  bool // inside <main>/<article>: a <header> there is content, not site chrome

	lines  []string        // finished lines of the current paragraph
	line   strings.Builder // the current line, whitespace not yet collapsed
	marker string          // list marker waiting for the line's first text
	pre    int             // depth inside <pre>
	item   int             // depth inside <li>
	cell   int             // depth inside <td>/<th>
	cells  int             // cells seen in the current row
}

func (w *htmlWalker) endLine() {
	if t := cleanInline(w.line.String()); t != "" {
		w.lines = append(w.lines, t)
	}
	w.line.Reset()
}

func (w *htmlWalker) flush() {
	w.endLine()
	if len(w.lines) > 0 {
		w.para(strings.Join(w.lines, "\n"))
		w.lines = nil
	}
}

func (w *htmlWalker) text(s string) {
	if w.marker != "" && strings.TrimSpace(s) != "" && strings.TrimSpace(w.line.String()) == "" {
		w.line.WriteString(w.marker)
		w.marker = ""
	}
	if w.pre > 0 {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if i > 0 {
				w.endLine()
			}
			w.line.WriteString(l)
		}
		return
	}
	w.line.WriteString(s)
}

// breakBlock ends the current paragraph, or only the current line inside a
// list item, where a paragraph is part of the item.
func (w *htmlWalker) breakBlock() {
	switch {
	case w.cell > 0:
		w.line.WriteByte(' ')
	case w.item > 0:
		w.endLine()
	default:
		w.flush()
	}
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		w.children(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if htmlSkip[n.DataAtom] || htmlHidden(n) || (n.DataAtom == atom.Header && !w.inMain) {
		return
	}
	if level, ok := htmlHeadings[n.DataAtom]; ok && w.cell == 0 && w.item == 0 {
		w.flush()
		var hw htmlWalker
		var parts []string
		hw.para = func(p string) { parts = append(parts, p) }
		hw.heading = func(_ int, t string) { parts = append(parts, t) }
		hw.inMain = true
		hw.children(n)
		hw.flush()
		w.heading(level, cleanInline(strings.Join(parts, " ")))
		return
	}
	switch n.DataAtom {
	case atom.Br:
		if w.cell > 0 {
			w.line.WriteByte(' ')
		} else {
			w.endLine()
		}
		return
	case atom.Article, atom.Main:
		inMain := w.inMain
		w.inMain = true
		w.breakBlock()
		w.children(n)
		w.breakBlock()
		w.inMain = inMain
		return
	case atom.Ul, atom.Ol:
		if w.item > 0 {
			w.endLine()
		} else {
			w.breakBlock()
		}
		num := 1
		if v, err := strconv.Atoi(htmlAttr(n, "start")); err == nil {
			num = v
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Li {
				w.endLine()
				w.marker = "- "
				if n.DataAtom == atom.Ol {
					w.marker = strconv.Itoa(num) + ". "
					num++
				}
				w.item++
				w.children(c)
				w.item--
				w.endLine()
				w.marker = ""
				continue
			}
			w.walk(c)
		}
		if w.item == 0 {
			w.breakBlock()
		}
		return
	case atom.Li: // outside a list
		w.endLine()
		w.item++
		w.children(n)
		w.item--
		w.endLine()
		return
	case atom.Tr:
		if w.cell > 0 {
			w.line.WriteByte(' ')
			w.children(n)
			return
		}
		w.endLine()
		cells := w.cells
		w.cells = 0
		w.children(n)
		w.cells = cells
		w.endLine()
		return
	case atom.Td, atom.Th:
		if w.cell == 0 && w.cells > 0 {
			w.line.WriteString(" | ")
		}
		w.cells++
		w.cell++
		w.children(n)
		w.cell--
		return
	case atom.Pre:
		w.breakBlock()
		w.pre++
		w.children(n)
		w.pre--
		w.breakBlock()
		return
	}
	if _, heading := htmlHeadings[n.DataAtom]; heading || htmlBlocks[n.DataAtom] {
		w.breakBlock()
		w.children(n)
		w.breakBlock()
		return
	}
	w.children(n)
}

func (w *htmlWalker) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// htmlHidden reports whether an element is hidden from readers.
func htmlHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			st := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// htmlAttr returns the value of an element's attribute, or "".
func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// findElement returns the first element (depth first) for which match is true.
func findElement(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, match); f != nil {
			return f
		}
	}
	return nil
}

// findAll appends every element for which match is true, not looking inside
// matched elements.
func findAll(n *html.Node, match func(*html.Node) bool, out *[]*html.Node) {
	if n.Type == html.ElementNode && match(n) {
		*out = append(*out, n)
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		findAll(c, match, out)
	}
}

// nodeText returns the text content of n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
