package parse

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	gtext "github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// markdownParser is the goldmark parser: CommonMark plus GitHub tables,
// strikethrough and task lists.
var markdownParser = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))

// parseMarkdown reads Markdown with goldmark. Top-level headings build the
// heading path; paragraphs, lists (one line per item, keeping "- " or "1. "),
// tables (cells joined with " | ") and code blocks become text with the
// Markdown syntax removed (links keep their text, images their alt text).
// YAML front matter is skipped; its title is used when there is no H1.
func parseMarkdown(s string) *Document {
	s, fmTitle := stripFrontMatter(s)
	src := []byte(s)
	doc := markdownParser.Parser().Parse(gtext.NewReader(src))
	var b textBuilder
	title := ""
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*gast.Heading); ok {
			t := cleanInline(mdInlineText(h, src))
			if h.Level == 1 && title == "" {
				title = t
			}
			b.heading(h.Level, t)
			continue
		}
		for _, p := range mdBlock(n, src) {
			b.para(p)
		}
	}
	if title == "" {
		title = fmTitle
	}
	return b.parsed(title)
}

// stripFrontMatter removes a leading YAML front matter block (between two
// "---" lines, made of "key: value" lines) and returns its title field.
func stripFrontMatter(s string) (rest, title string) {
	if !strings.HasPrefix(s, "---\n") {
		return s, ""
	}
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines) && i < 200; i++ {
		if l := strings.TrimRight(lines[i], " "); l == "---" || l == "..." {
			if i == 1 {
				return s, ""
			}
			for _, fm := range lines[1:i] {
				if k, v, ok := strings.Cut(fm, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "title") {
					title = cleanInline(strings.Trim(strings.TrimSpace(v), `"'`))
				}
			}
			return strings.Join(lines[i+1:], "\n"), title
		}
		if k, _, ok := strings.Cut(lines[i], ":"); !ok && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i]), "-") && !strings.HasPrefix(lines[i], " ") || strings.ContainsAny(k, "<>[]") {
			return s, "" // not YAML: a thematic break followed by text
		}
	}
	return s, ""
}

// mdBlock returns the cleaned paragraphs of a Markdown block node.
func mdBlock(n gast.Node, src []byte) []string {
	switch n := n.(type) {
	case *gast.Paragraph, *gast.TextBlock, *gast.Heading:
		if t := mdParagraph(n, src); t != "" {
			return []string{t}
		}
		return nil
	case *gast.List:
		if t := strings.Join(mdList(n, src), "\n"); t != "" {
			return []string{t}
		}
		return nil
	case *east.Table:
		var rows []string
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, cleanInline(mdInlineText(c, src)))
			}
			if row := strings.Join(cells, " | "); strings.Trim(row, " |") != "" {
				rows = append(rows, row)
			}
		}
		if len(rows) == 0 {
			return nil
		}
		return []string{strings.Join(rows, "\n")}
	case *gast.FencedCodeBlock, *gast.CodeBlock:
		if t := cleanLines(mdLines(n, src)); t != "" {
			return []string{t}
		}
		return nil
	case *gast.HTMLBlock:
		raw := mdLines(n, src)
		if n.HasClosure() {
			raw += string(n.ClosureLine.Value(src))
		}
		return htmlFragmentParagraphs(raw)
	case *gast.ThematicBreak:
		return nil
	}
	// Blockquotes and anything else with block children.
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		out = append(out, mdBlock(c, src)...)
	}
	return out
}

// mdList returns one line per list item, with its marker; nested lists
// follow their parent item.
func mdList(l *gast.List, src []byte) []string {
	var lines []string
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		var text []string
		var nested []string
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			if sub, ok := c.(*gast.List); ok {
				nested = append(nested, mdList(sub, src)...)
				continue
			}
			text = append(text, mdBlock(c, src)...)
		}
		if t := strings.Join(text, "\n"); t != "" {
			lines = append(lines, marker+t)
		}
		lines = append(lines, nested...)
	}
	return lines
}

// mdLines returns the raw lines of a code or HTML block.
func mdLines(n gast.Node, src []byte) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// mdParagraph returns the text of a paragraph-like node, keeping hard line
// breaks as "\n".
func mdParagraph(n gast.Node, src []byte) string {
	return cleanLines(strings.ReplaceAll(mdInlineText(n, src), "\u2028", "\n"))
}

// mdInlineText returns the text of n's inline children. Soft line breaks
// become "\n" only between CJK characters (where no space is wanted) and
// a space otherwise; hard line breaks become "\n".
func mdInlineText(n gast.Node, src []byte) string {
	var b strings.Builder
	mdInline(&b, n, src)
	// Hard breaks were written as U+2028 (normalizeNewlines removed any from
	// the source); soft breaks as "\n".
	s := b.String()
	var out []string
	for line := range strings.SplitSeq(s, "\u2028") {
		out = append(out, cleanInline(line))
	}
	return strings.Join(out, "\u2028")
}

func mdInline(b *strings.Builder, n gast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Text:
			v := c.Segment.Value(src)
			if c.IsRaw() {
				b.Write(v)
			} else {
				b.WriteString(unescapeMarkdown(string(v)))
			}
			switch {
			case c.HardLineBreak():
				b.WriteRune('\u2028')
			case c.SoftLineBreak():
				b.WriteByte('\n')
			}
		case *gast.String:
			if c.IsCode() || c.IsRaw() {
				b.Write(c.Value)
			} else {
				b.WriteString(unescapeMarkdown(string(c.Value)))
			}
		case *gast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*gast.Text); ok {
					b.Write(t.Segment.Value(src))
				}
			}
		case *gast.AutoLink:
			b.Write(c.Label(src))
		case *gast.RawHTML:
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				tag := strings.ToLower(string(seg.Value(src)))
				if strings.HasPrefix(tag, "<br") {
					b.WriteRune('\u2028')
				}
			}
		case *east.TaskCheckBox:
			// "[x]" carries no text
		default: // emphasis, links, images (alt text), strikethrough
			mdInline(b, c, src)
		}
	}
}

// unescapeMarkdown removes backslash escapes and decodes entities.
func unescapeMarkdown(s string) string {
	if strings.IndexByte(s, '\\') >= 0 {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
				i++
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return s
}

func isASCIIPunct(c byte) bool {
	return c < utf8.RuneSelf && unicode.IsPunct(rune(c)) || strings.IndexByte("$+<=>^`|~", c) >= 0
}
