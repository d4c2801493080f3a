package parse

import (
	"bytes"
	"errors"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"kefu/retrieval"
)

// decodeText turns the bytes of a text file into a normalized string: UTF-8
// or BOM-marked UTF-16 in, "\n" line endings and no control characters out.
// Binary data and other encodings are refused.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		var err error
		if data, err = decodeUTF16(data); err != nil {
			return "", err
		}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errors.New("binary data (NUL bytes) in a text file")
	}
	if !utf8.Valid(data) {
		return "", errors.New("not valid UTF-8 text (binary data or another encoding; save the file as UTF-8)")
	}
	s := string(data)
	controls, total := 0, 0
	for _, r := range s {
		total++
		if isControl(r) {
			controls++
		}
	}
	// Why: a stray bell or escape happens in old text files, many do not.
	if controls > max(2, total/100) {
		return "", errors.New("binary data (control characters) in a text file")
	}
	return normalizeNewlines(s), nil
}

// decodeUTF16 decodes UTF-16 with a byte order mark to UTF-8.
func decodeUTF16(data []byte) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, errors.New("truncated UTF-16 text")
	}
	le := data[0] == 0xFF
	units := make([]uint16, 0, len(data)/2-1)
	for i := 2; i+1 < len(data); i += 2 {
		if le {
			units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
		} else {
			units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
		}
	}
	return []byte(string(utf16.Decode(units))), nil
}

// normalizeNewlines turns CRLF, CR, form feeds and the Unicode line and
// paragraph separators into "\n" and drops control characters other than
// tabs (which later cleaning turns into spaces, and CSV may need).
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\u2028', '\u2029', '\u0085', '\f', '\v':
			return '\n'
		}
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// isControl reports whether r is a control character other than the usual
// whitespace ones.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r', '\f', '\v':
		return false
	}
	return unicode.IsControl(r)
}

// isInvisible reports whether r carries no text: zero-width characters,
// byte order marks, soft hyphens, controls.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u2060', '\ufeff', '\u00ad', '\ufffe':
		return true
	}
	return isControl(r)
}

// isCJKText reports whether r belongs to text written without spaces: CJK
// characters plus CJK and full-width punctuation.
func isCJKText(r rune) bool {
	return retrieval.IsCJK(r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// cleanInline collapses every whitespace run (newlines included) into one
// space and trims the ends. A line break between two CJK characters is
// dropped instead, since wrapped Chinese text has no spaces between words.
func cleanInline(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending, newline := false, false
	last := rune(-1)
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = pending || b.Len() > 0
			newline = newline || r == '\n'
			continue
		}
		if isInvisible(r) {
			continue
		}
		if pending && !(newline && isCJKText(last) && isCJKText(r)) {
			b.WriteByte(' ')
		}
		pending, newline = false, false
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// cleanLines cleans each line of s with cleanInline and drops empty lines.
func cleanLines(s string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = cleanInline(line); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// paragraphs splits text at blank lines and cleans each paragraph's lines.
func paragraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		line = cleanInline(line)
		if line == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// endsSentence reports whether s ends with sentence punctuation.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?;:,。！？；：，、…", r)
}
