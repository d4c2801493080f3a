package sources

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"

	"kefu/knowledge"
)

// googleNS is the namespace of Google Merchant Center's g: fields.
const googleNS = "http://base.google.com/ns/1.0"

// parseFeed reads a product feed: Google Merchant Center XML (RSS 2.0 or
// Atom with g: fields), Google's CSV/TSV columns (id, title, price, …), or
// DESIGN.md's shape (a JSON array, or CSV with a sku column). It returns the
// valid products and a failure per item it could not read; a feed that is
// not readable at all is an error wrapping ErrInvalid.
func parseFeed(body []byte, contentType string) ([]knowledge.Product, []Failure, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	switch {
	case len(t) == 0:
		return nil, nil, fmt.Errorf("the feed is empty: %w", ErrInvalid)
	case t[0] == '<':
		return parseXMLFeed(t)
	case t[0] == '[':
		return designProducts(t, "json")
	}
	header, _, _ := bytes.Cut(t, []byte("\n"))
	cols := splitHeader(string(header))
	for _, c := range cols {
		if c == "sku" {
			return designProducts(t, "csv")
		}
	}
	return parseGoogleCSV(t)
}

func designProducts(data []byte, format string) ([]knowledge.Product, []Failure, error) {
	list, bad, err := knowledge.ParseProducts(data, format)
	if err != nil {
		return nil, nil, fmt.Errorf("%v: %w", err, ErrInvalid)
	}
	var fails []Failure
	for _, b := range bad {
		fails = append(fails, Failure{URL: fmt.Sprintf("line %d", b.Line), Reason: b.Err})
	}
	return list, fails, nil
}

// parseXMLFeed reads RSS <item> or Atom <entry> elements with g: fields.
func parseXMLFeed(data []byte) ([]knowledge.Product, []Failure, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	var (
		out   []knowledge.Product
		fails []Failure
		item  map[string]string // field → text, for the item being read
		field string
		text  strings.Builder
		n     int
		root  string
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("the feed is not valid XML: %v: %w", err, ErrInvalid)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
				if root != "rss" && root != "feed" && root != "RDF" {
					return nil, nil, fmt.Errorf("the feed's root element is <%s>, not an RSS <rss> or Atom <feed>: %w", root, ErrInvalid)
				}
			}
			switch {
			case (el.Name.Local == "item" || el.Name.Local == "entry") && item == nil:
				item = map[string]string{}
				n++
			case item != nil && field == "":
				field = el.Name.Local
				if el.Name.Space == googleNS || el.Name.Space == "g" {
					field = "g:" + field
				}
				text.Reset()
				if el.Name.Local == "link" { // Atom: <link href="…"/>
					for _, a := range el.Attr {
						if a.Name.Local == "href" && item["link"] == "" {
							item["link"] = strings.TrimSpace(a.Value)
						}
					}
				}
			}
		case xml.CharData:
			if field != "" {
				text.Write(el)
			}
		case xml.EndElement:
			switch {
			case item != nil && field != "" && (el.Name.Local == strings.TrimPrefix(field, "g:")):
				if v := strings.TrimSpace(text.String()); v != "" && item[field] == "" {
					item[field] = v
				}
				field = ""
			case item != nil && field == "" && (el.Name.Local == "item" || el.Name.Local == "entry"):
				p, err := googleProduct(item)
				if err != nil {
					fails = append(fails, Failure{URL: fmt.Sprintf("item %d", n), Reason: err.Error()})
				} else {
					out = append(out, p)
				}
				item = nil
			}
		}
	}
	if root == "" {
		return nil, nil, fmt.Errorf("the feed has no XML elements: %w", ErrInvalid)
	}
	return out, fails, nil
}

// parseGoogleCSV reads Google Merchant Center's tabular feed: a header of
// attribute names (id, title, link, price, availability, image_link …),
// comma- or tab-separated.
func parseGoogleCSV(data []byte) ([]knowledge.Product, []Failure, error) {
	header, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(header, []byte("\t")) > bytes.Count(header, []byte(",")) {
		r.Comma = '\t'
		r.LazyQuotes = true
	}
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("unreadable CSV feed header: %v: %w", err, ErrInvalid)
	}
	cols := make([]string, len(head))
	hasID := false
	for i, h := range head {
		cols[i] = normalizeColumn(h)
		hasID = hasID || cols[i] == "g:id"
	}
	if !hasID {
		return nil, nil, fmt.Errorf("the CSV feed has no id (Google) or sku (kefu) column: %w", ErrInvalid)
	}
	var out []knowledge.Product
	var fails []Failure
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("CSV feed line %d: %v: %w", pe.Line, pe.Err, ErrInvalid)
			}
			return nil, nil, fmt.Errorf("read CSV feed: %v: %w", err, ErrInvalid)
		}
		item := map[string]string{}
		for i, v := range rec {
			if i < len(cols) && strings.TrimSpace(v) != "" {
				item[cols[i]] = strings.TrimSpace(v)
			}
		}
		p, err := googleProduct(item)
		if err != nil {
			fails = append(fails, Failure{URL: fmt.Sprintf("line %d", line), Reason: err.Error()})
			continue
		}
		out = append(out, p)
	}
	return out, fails, nil
}

func splitHeader(h string) []string {
	sep := ","
	if strings.Count(h, "\t") > strings.Count(h, ",") {
		sep = "\t"
	}
	var out []string
	for _, c := range strings.Split(h, sep) {
		out = append(out, strings.ToLower(strings.Trim(strings.TrimSpace(c), `"`)))
	}
	return out
}

// normalizeColumn maps "Image link", "g:image_link" and "image_link" to
// "g:image_link"; fields that RSS also has unprefixed keep both spellings working.
func normalizeColumn(h string) string {
	h = strings.ToLower(strings.Trim(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), `"`))
	h = strings.TrimPrefix(h, "g:")
	h = strings.ReplaceAll(h, " ", "_")
	return "g:" + h
}

// field returns the first non-empty of item's keys.
func field(item map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := item[k]; v != "" {
			return v
		}
	}
	return ""
}

var priceRE = regexp.MustCompile(`^\s*([A-Za-z]{3})?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$`)

// parsePrice reads "19.99 USD", "USD 19.99", "1,299.00 CNY" or "19.99".
func parsePrice(s string) (float64, string, error) {
	m := priceRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "", fmt.Errorf("price %q must look like \"19.99 USD\"", s)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", ""), 64)
	if err != nil {
		return 0, "", fmt.Errorf("price %q must look like \"19.99 USD\"", s)
	}
	cur := m[1]
	if cur == "" {
		cur = m[3]
	}
	return v, strings.ToUpper(cur), nil
}

// googleProduct maps Google Merchant Center attributes to a product. Stock:
// out_of_stock is 0; in stock, preorder and backorder are g:quantity (or
// sell_on_google_quantity) when given, else 1 ("available").
func googleProduct(item map[string]string) (knowledge.Product, error) {
	p := knowledge.Product{
		SKU:         field(item, "g:id", "id"),
		Title:       field(item, "g:title", "title"),
		Description: field(item, "g:description", "description", "summary", "content"),
		URL:         field(item, "g:link", "link"),
		ImageURL:    field(item, "g:image_link"),
		Attributes:  map[string]any{},
	}
	if strings.HasPrefix(p.SKU, "http") && item["g:id"] == "" {
		p.SKU = "" // an Atom <id> is the entry's URL, not a product id
	}
	if p.SKU == "" {
		return p, fmt.Errorf("no g:id")
	}
	price := field(item, "g:sale_price", "g:price")
	if price == "" {
		return p, fmt.Errorf("product %s: no g:price", p.SKU)
	}
	v, cur, err := parsePrice(price)
	if err != nil {
		return p, fmt.Errorf("product %s: %v", p.SKU, err)
	}
	p.Price, p.Currency = v, cur
	if item["g:sale_price"] != "" && item["g:price"] != "" {
		p.Attributes["regular_price"] = item["g:price"]
	}
	avail := strings.ReplaceAll(strings.ToLower(field(item, "g:availability")), " ", "_")
	qty, qerr := strconv.Atoi(field(item, "g:quantity", "g:sell_on_google_quantity"))
	switch {
	case avail == "out_of_stock":
		p.Stock = 0
	case qerr == nil && qty >= 0:
		p.Stock = qty
	default:
		p.Stock = 1
	}
	if avail != "" {
		p.Attributes["availability"] = avail
	}
	for _, k := range []string{"brand", "gtin", "mpn", "condition", "color", "size", "material", "product_type", "google_product_category"} {
		if v := item["g:"+k]; v != "" {
			p.Attributes[k] = v
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}
