package parse

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestParsePDF(t *testing.T) {
	tests := []struct {
		desc  string
		doc   pdfDoc
		title string
		want  []string
	}{
		{
			desc: "headings by size, paragraphs by gaps, pages",
			doc: pdfDoc{Title: "Returns Guide (2024)", Pages: []string{
				pdfText("F1", 20, 72, 740, "Returns Guide") +
					pdfText("F1", 11, 72, 712, "Return unused items within 30 days of delivery.") +
					pdfText("F1", 11, 72, 698, "Refunds go to the original payment method.") +
					pdfText("F1", 11, 72, 670, "Gift cards cannot be re-") +
					pdfText("F1", 11, 72, 656, "turned.") +
					pdfText("F1", 15, 72, 620, "Damaged items") +
					pdfText("F1", 11, 72, 600, "Send a photo within 7 days.") +
					pdfText("F1", 11, 72, 586, "• Order number") +
					pdfText("F1", 11, 72, 572, "• Photo of the box"),
				pdfText("F1", 11, 72, 740, "We reply within 24 hours.") +
					pdfText("F1", 15, 72, 700, "Refunds") +
					"BT /F1 11 Tf 14 TL 72 680 Td [(Cards)-300(take)-250(5)] TJ ( days.) Tj T* (PayPal takes 3 days.) Tj ET\n",
			}},
			title: "Returns Guide (2024)",
			want: []string{
				"Returns Guide: Return unused items within 30 days of delivery. Refunds go to the original payment method.\n\nGift cards cannot be returned.",
				"Returns Guide > Damaged items: Send a photo within 7 days.\n• Order number\n• Photo of the box\n\nWe reply within 24 hours.",
				"Returns Guide > Refunds: Cards take 5 days. PayPal takes 3 days.",
			},
		},
		{
			desc: "title from the first heading, Chinese text",
			doc: pdfDoc{Pages: []string{
				pdfCJKText(18, 72, 740, "保修政策") +
					pdfCJKText(12, 72, 712, "自签收之日起两年内，") +
					pdfCJKText(12, 72, 696, "非人为损坏免费维修。") +
					pdfCJKText(12, 72, 660, "请保留购买凭证。"),
			}},
			title: "保修政策",
			want:  []string{"保修政策: 自签收之日起两年内，非人为损坏免费维修。\n\n请保留购买凭证。"},
		},
		{
			desc:  "text in a form XObject, title from the first line",
			doc:   pdfDoc{Pages: []string{"q 1 0 0 1 0 -100 cm /X1 Do Q\n"}, Form: pdfText("F1", 11, 72, 700, "Printed from a form.")},
			title: "Printed from a form.",
			want:  []string{": Printed from a form."},
		},
		{
			desc: "running headers, footers and page numbers dropped, office title cleaned",
			doc: pdfDoc{Title: "Microsoft Word - Care guide.docx", Pages: []string{
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Wash linen cold.") + pdfText("F1", 9, 300, 40, "1"),
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Dry flat.") + pdfText("F1", 9, 300, 40, "2"),
				pdfText("F1", 9, 72, 770, "Lumen & Loom – Care guide") + pdfText("F1", 11, 72, 700, "Iron while damp.") + pdfText("F1", 9, 300, 40, "Page 3 of 3"),
			}},
			title: "Care guide",
			want:  []string{": Wash linen cold.\n\nDry flat.\n\nIron while damp."},
		},
		{
			desc:  "PDF 2.0 header",
			doc:   pdfDoc{Version: "2.0", Pages: []string{pdfText("F1", 11, 72, 700, "Version two.")}},
			title: "Version two.",
			want:  []string{": Version two."},
		},
		{
			desc:  "text positioned with Tm and words placed one by one",
			doc:   pdfDoc{Pages: []string{"BT /F1 10 Tf 1 0 0 1 72 700 Tm (Each) Tj 1 0 0 1 100 700 Tm (word) Tj 1 0 0 1 130 700 Tm (placed.) Tj ET\n"}},
			title: "Each word placed.",
			want:  []string{": Each word placed."},
		},
	}
	for _, tt := range tests {
		p := parseOK(t, "doc.pdf", testPDF(tt.doc))
		if p.Title != tt.title {
			t.Errorf("%s: Title = %q; want %q", tt.desc, p.Title, tt.title)
		}
		diffLines(t, tt.desc, blockLines(p), tt.want)
	}
}

func TestParsePDFHostile(t *testing.T) {
	// Malformed files that could make the library loop or explode must
	// finish quickly, with text or with an error saying the file is bad.
	tests := []struct {
		desc string
		doc  pdfDoc
		want string // in Text, when Parse succeeds
	}{
		{"page tree contains itself", pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Loop.")}, SelfKid: true}, "Loop."},
		{"form draws itself", pdfDoc{Pages: []string{"/X1 Do\n"}, Form: strings.Repeat("/X1 Do ", 20) + pdfText("F1", 11, 72, 700, "Recursive.")}, "Recursive."},
		{"huge CMap count", pdfDoc{Pages: []string{pdfCJKText(12, 72, 700, "退货") + pdfText("F1", 11, 72, 680, "Latin text.")}, CMap: "999999999 beginbfchar\n<0001> <0041>\nendbfchar\n"}, "Latin text."},
	}
	for _, tt := range tests {
		p, err := Parse("hostile.pdf", testPDF(tt.doc))
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: Parse error = %v; want nil or a reason the PDF is bad", tt.desc, err)
			}
			continue
		}
		checkDocument(t, p)
		if !strings.Contains(p.Text, tt.want) {
			t.Errorf("%s: Text = %.200q; want it to contain %q", tt.desc, p.Text, tt.want)
		}
	}
}

// pdfDoc describes a small PDF written by testPDF.
type pdfDoc struct {
	Version string   // header version; default 1.4
	Title   string   // Info Title, if set
	Pages   []string // content streams, one per page
	Form    string   // content of form XObject /X1 (fonts: F1)
	CMap    string   // the ToUnicode CMap of F2, instead of one for the codes used
	Encrypt bool     // add an /Encrypt dictionary whose password is not empty
	SelfKid bool     // the page tree lists itself among its kids
}

// pdfText shows text in a simple font at (x, y), encoded in WinAnsi.
func pdfText(font string, size, x, y float64, text string) string {
	winAnsi := map[rune]string{'•': `\225`, '–': `\226`, '’': `\222`, 'é': `\351`}
	var esc strings.Builder
	for _, r := range text {
		switch {
		case r == '\\' || r == '(' || r == ')':
			esc.WriteString(`\` + string(r))
		case winAnsi[r] != "":
			esc.WriteString(winAnsi[r])
		default:
			esc.WriteRune(r)
		}
	}
	return fmt.Sprintf("BT /%s %g Tf %g %g Td (%s) Tj ET\n", font, size, x, y, esc.String())
}

// pdfCJKText shows text in the Type0 font F2, whose codes are the
// characters' UTF-16 code units (testPDF writes a ToUnicode map for them).
func pdfCJKText(size, x, y float64, text string) string {
	var hex strings.Builder
	for _, u := range utf16.Encode([]rune(text)) {
		fmt.Fprintf(&hex, "%04X", u)
	}
	return fmt.Sprintf("BT /F2 %g Tf %g %g Td <%s> Tj ET\n", size, x, y, hex.String())
}

var hexString = regexp.MustCompile(`<([0-9A-F]{4})+>`)

// testPDF writes doc as a PDF file with a correct cross-reference table:
// Helvetica as F1, a CJK Type0 font as F2, and a form XObject X1.
func testPDF(doc pdfDoc) []byte {
	codes := map[string]bool{}
	for _, c := range append(slices.Clone(doc.Pages), doc.Form) {
		for _, h := range hexString.FindAllString(c, -1) {
			for i := 1; i+4 <= len(h)-1; i += 4 {
				codes[h[i:i+4]] = true
			}
		}
	}
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Test-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	sorted := slices.Sorted(func(yield func(string) bool) {
		for c := range codes {
			if !yield(c) {
				return
			}
		}
	})
	for len(sorted) > 0 {
		n := min(len(sorted), 100)
		fmt.Fprintf(&cmap, "%d beginbfchar\n", n)
		for _, c := range sorted[:n] {
			fmt.Fprintf(&cmap, "<%s> <%s>\n", c, c)
		}
		cmap.WriteString("endbfchar\n")
		sorted = sorted[n:]
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	cmapText := cmap.String()
	if doc.CMap != "" {
		cmapText = doc.CMap
	}

	stream := func(dict, data string) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	}
	const firstPage = 9
	var kids []string
	if doc.SelfKid {
		kids = append(kids, "2 0 R")
	}
	for i := range doc.Pages {
		kids = append(kids, fmt.Sprintf("%d 0 R", firstPage+2*i))
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(doc.Pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H /DescendantFonts [5 0 R] /ToUnicode 6 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 >>",
		stream("", cmapText),
		fmt.Sprintf("<< /Title (%s) /Producer (kefu tests) >>", doc.Title),
		stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /X1 8 0 R >> >>", doc.Form),
	}
	for i, content := range doc.Pages {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /X1 8 0 R >> >> /Contents %d 0 R >>", firstPage+2*i+1),
			stream("", content))
	}

	var b bytes.Buffer
	version := doc.Version
	if version == "" {
		version = "1.4"
	}
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	trailer := fmt.Sprintf("/Size %d /Root 1 0 R", len(objs)+1)
	if doc.Title != "" {
		trailer += " /Info 7 0 R"
	}
	if doc.Encrypt {
		o, u := strings.Repeat("O", 32), strings.Repeat("U", 32)
		trailer += fmt.Sprintf(" /ID [(0123456789abcdef) (0123456789abcdef)] /Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O (%s) /U (%s) /P -4 >>", o, u)
	}
	fmt.Fprintf(&b, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

// encryptedPDF is a password-protected PDF (the empty password does not open it).
func encryptedPDF() []byte {
	return testPDF(pdfDoc{Pages: []string{pdfText("F1", 11, 72, 700, "Secret text.")}, Encrypt: true})
}
