package sources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/net/html/charset"

	"kefu/internal/fetch"
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

// feedTypes are the content types a product feed may come as.
var feedTypes = []string{"application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "text/csv",
	"text/tab-separated-values", "text/plain", "application/json", "application/gzip", "application/x-gzip", "application/octet-stream"}

// feed fetches and reads a product feed (conditionally: a 304 changes nothing).
func (r *runner) feed(ctx context.Context) error {
	req := fetch.Request{URL: r.src.URL, Accept: feedTypes, MaxBytes: r.s.opts.FeedMaxBytes}
	var stored int
	if err := r.s.db.QueryRow(ctx, "select count(*) from source_products where source_id = $1", r.src.ID).Scan(&stored); err != nil {
		return fmt.Errorf("count products: %w", err)
	}
	if stored > 0 {
		req.ETag, req.LastModified = r.validators[0], r.validators[1]
	}
	resp, err := r.get(ctx, req)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fatalf("feed %s: %v", r.src.URL, err)
	}
	if resp.NotModified {
		r.feedSame = true
		return nil
	}
	if resp.Status != http.StatusOK {
		return fatalf("feed %s answered HTTP %d %s", r.src.URL, resp.Status, http.StatusText(resp.Status))
	}
	body, err := gunzip(resp.Body, r.s.opts.FeedMaxBytes)
	if err != nil {
		return fatalf("feed %s: %v", r.src.URL, err)
	}
	products, fails, err := parseFeed(body, resp.ContentType)
	if err != nil {
		return fatalf("feed %s: %s", r.src.URL, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
	}
	r.feedFails = fails
	if len(products) == 0 {
		return fatalf("the feed lists no valid products (%d items failed); nothing was changed", len(fails))
	}
	if len(products) > r.src.MaxPages*10 {
		return fatalf("the feed lists %d products; this source syncs at most %d", len(products), r.src.MaxPages*10)
	}
	if len(fails)*2 > len(products)+len(fails) {
		return fatalf("%d of %d feed items are invalid (first: %s: %s); nothing was changed",
			len(fails), len(products)+len(fails), fails[0].URL, fails[0].Reason)
	}
	r.products = products
	r.newFeedETag = [2]string{resp.ETag, resp.LastModified}
	return nil
}

// applyFeed upserts the feed's products and removes those missing twice, in one transaction.
func (r *runner) applyFeed(ctx context.Context) error {
	return pgx.BeginFunc(ctx, r.s.db, func(tx pgx.Tx) error {
		if err := r.fence(ctx, tx); err != nil {
			return err
		}
		var c counts
		fails := r.feedFails
		c.failed = len(fails)
		if len(fails) > maxFailures {
			fails = fails[:maxFailures]
		}
		rows, err := tx.Query(ctx, "select sku, checksum, misses from source_products where source_id = $1", r.src.ID)
		if err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		type prev struct {
			sum    string
			misses int
		}
		known := map[string]prev{}
		var sku string
		var p prev
		if _, err := pgx.ForEachRow(rows, []any{&sku, &p.sum, &p.misses}, func() error { known[sku] = p; return nil }); err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		listed := map[string]bool{}
		if r.feedSame { // the feed as last time: what it listed stays, what it lacked misses again
			for sku, old := range known {
				if old.misses == 0 {
					listed[sku] = true
					c.unchanged++
				}
			}
			r.newFeedETag = r.validators
		}
		for _, pr := range r.products {
			if listed[pr.SKU] {
				continue // the first of a repeated id wins
			}
			listed[pr.SKU] = true
			b, _ := json.Marshal(pr)
			sum := sha256.Sum256(b)
			h := hex.EncodeToString(sum[:])
			old, ok := known[pr.SKU]
			switch {
			case ok && old.sum == h:
				c.unchanged++
				if old.misses > 0 {
					if _, err := tx.Exec(ctx, "update source_products set misses = 0 where source_id = $1 and sku = $2", r.src.ID, pr.SKU); err != nil {
						return fmt.Errorf("record product: %w", err)
					}
				}
				continue
			case ok:
				c.changed++
			default:
				c.added++
			}
			if err := r.s.commerce.UpsertProductIn(ctx, tx, r.src.SiteID, pr); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `insert into source_products (source_id, sku, checksum, misses) values ($1, $2, $3, 0)
				on conflict (source_id, sku) do update set checksum = excluded.checksum, misses = 0`, r.src.ID, pr.SKU, h); err != nil {
				return fmt.Errorf("record product: %w", err)
			}
		}
		var gone []string
		for sku, old := range known {
			if listed[sku] {
				continue
			}
			if old.misses+1 < 2 {
				c.unchanged++
				if _, err := tx.Exec(ctx, "update source_products set misses = misses + 1 where source_id = $1 and sku = $2", r.src.ID, sku); err != nil {
					return fmt.Errorf("record miss: %w", err)
				}
				continue
			}
			gone = append(gone, sku)
		}
		if len(gone) > 0 {
			if _, err := tx.Exec(ctx, "delete from source_products where source_id = $1 and sku = any($2)", r.src.ID, gone); err != nil {
				return fmt.Errorf("remove products: %w", err)
			}
			if err := r.s.commerce.DeleteProductsIn(ctx, tx, r.src.SiteID, gone); err != nil {
				return err
			}
			c.removed = len(gone)
		}
		if _, err := tx.Exec(ctx, "update sources set feed_etag = $2, feed_modified = $3 where id = $1",
			r.src.ID, r.newFeedETag[0], r.newFeedETag[1]); err != nil {
			return fmt.Errorf("record feed validators: %w", err)
		}
		return r.finish(ctx, tx, c, fails)
	})
}
