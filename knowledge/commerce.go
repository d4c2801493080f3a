package knowledge

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Order statuses.
var orderStatuses = map[string]bool{"processing": true, "shipped": true, "delivered": true, "cancelled": true, "refunded": true}

// Customer is the shop's customer as the shop knows it; ID is the shop's own id.
type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Item is one line of an order.
type Item struct {
	SKU      string  `json:"sku"`
	Title    string  `json:"title"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

// Order is an order in DESIGN.md's import shape.
type Order struct {
	Number         string     `json:"number"`
	Site           string     `json:"site,omitempty"`
	Customer       *Customer  `json:"customer,omitempty"`
	Status         string     `json:"status"`
	Items          []Item     `json:"items"`
	Total          float64    `json:"total"`
	Currency       string     `json:"currency"`
	Carrier        string     `json:"carrier,omitempty"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	CreatedAt      *time.Time `json:"created_at,omitempty"`
	ShippedAt      *time.Time `json:"shipped_at,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

// Product is a product in DESIGN.md's import shape.
type Product struct {
	SKU         string         `json:"sku"`
	Site        string         `json:"site,omitempty"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Price       float64        `json:"price"`
	Currency    string         `json:"currency"`
	Stock       int            `json:"stock"`
	URL         string         `json:"url"`
	ImageURL    string         `json:"image_url"`
	Attributes  map[string]any `json:"attributes"`
}

// Validate checks an order and fills defaults; errors wrap ErrInvalid.
func (o *Order) Validate() error {
	o.Number = strings.TrimSpace(o.Number)
	switch {
	case o.Number == "":
		return fmt.Errorf("order number is required: %w", ErrInvalid)
	case !orderStatuses[o.Status]:
		return fmt.Errorf("order %s: status %q must be processing, shipped, delivered, cancelled or refunded: %w", o.Number, o.Status, ErrInvalid)
	case o.Customer != nil && strings.TrimSpace(o.Customer.ID) == "":
		return fmt.Errorf("order %s: customer.id is required when a customer is given: %w", o.Number, ErrInvalid)
	case o.Total < 0 || math.IsNaN(o.Total):
		return fmt.Errorf("order %s: total must not be negative: %w", o.Number, ErrInvalid)
	}
	for i, it := range o.Items {
		if it.Quantity <= 0 || it.Price < 0 {
			return fmt.Errorf("order %s: item %d needs a positive quantity and a price of at least 0: %w", o.Number, i+1, ErrInvalid)
		}
	}
	if o.Items == nil {
		o.Items = []Item{}
	}
	return validCurrency(&o.Currency)
}

// Validate checks a product and fills defaults; errors wrap ErrInvalid.
func (p *Product) Validate() error {
	p.SKU = strings.TrimSpace(p.SKU)
	switch {
	case p.SKU == "":
		return fmt.Errorf("product sku is required: %w", ErrInvalid)
	case strings.TrimSpace(p.Title) == "":
		return fmt.Errorf("product %s: title is required: %w", p.SKU, ErrInvalid)
	case p.Price < 0 || math.IsNaN(p.Price):
		return fmt.Errorf("product %s: price must not be negative: %w", p.SKU, ErrInvalid)
	}
	if p.Attributes == nil {
		p.Attributes = map[string]any{}
	}
	return validCurrency(&p.Currency)
}

func validCurrency(c *string) error {
	*c = strings.ToUpper(strings.TrimSpace(*c))
	if *c == "" {
		*c = "USD"
	}
	if len(*c) != 3 {
		return fmt.Errorf("currency %q must be a 3-letter ISO code: %w", *c, ErrInvalid)
	}
	return nil
}

// Commerce stores customers, orders and products.
type Commerce struct {
	db    *pgxpool.Pool
	cache catalogCache
}

// NewCommerce returns the commerce store on db.
func NewCommerce(db *pgxpool.Pool) *Commerce { return &Commerce{db: db} }

// UpsertOrder validates o and inserts or replaces it (and its customer) for siteID.
func (c *Commerce) UpsertOrder(ctx context.Context, siteID int64, o Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, c.db, func(tx pgx.Tx) error {
		var customerID *int64
		if o.Customer != nil {
			var id int64
			err := tx.QueryRow(ctx, `insert into customers (site_id, external_id, email, name) values ($1, $2, $3, $4)
				on conflict (site_id, external_id) do update set email = excluded.email, name = excluded.name, updated_at = now()
				returning id`, siteID, strings.TrimSpace(o.Customer.ID), strings.TrimSpace(o.Customer.Email), strings.TrimSpace(o.Customer.Name)).Scan(&id)
			if err != nil {
				return fmt.Errorf("upsert customer %s: %w", o.Customer.ID, err)
			}
			customerID = &id
		}
		created := time.Now()
		if o.CreatedAt != nil {
			created = *o.CreatedAt
		}
		_, err := tx.Exec(ctx, `insert into orders (site_id, number, customer_id, status, items, total, currency, carrier,
				tracking_number, created_at, shipped_at, delivered_at)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			on conflict (site_id, number) do update set customer_id = excluded.customer_id, status = excluded.status,
				items = excluded.items, total = excluded.total, currency = excluded.currency, carrier = excluded.carrier,
				tracking_number = excluded.tracking_number, created_at = excluded.created_at,
				shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at, updated_at = now()`,
			siteID, o.Number, customerID, o.Status, o.Items, o.Total, o.Currency, o.Carrier, o.TrackingNumber,
			created, o.ShippedAt, o.DeliveredAt)
		if err != nil {
			return fmt.Errorf("upsert order %s: %w", o.Number, err)
		}
		return nil
	})
}

// UpsertProduct validates p and inserts or replaces it for siteID.
func (c *Commerce) UpsertProduct(ctx context.Context, siteID int64, p Product) error {
	return upsertProduct(ctx, c.db, siteID, p)
}

// UpsertProductIn is UpsertProduct inside tx (a feed sync stores all of a
// run's products in one transaction).
func (c *Commerce) UpsertProductIn(ctx context.Context, tx pgx.Tx, siteID int64, p Product) error {
	return upsertProduct(ctx, tx, siteID, p)
}

// DeleteProductsIn removes siteID's products with these SKUs inside tx.
func (c *Commerce) DeleteProductsIn(ctx context.Context, tx pgx.Tx, siteID int64, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "delete from products where site_id = $1 and sku = any($2)", siteID, skus); err != nil {
		return fmt.Errorf("delete products: %w", err)
	}
	return nil
}

func upsertProduct(ctx context.Context, db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}, siteID int64, p Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	_, err := db.Exec(ctx, `insert into products (site_id, sku, title, description, price, currency, stock, url, image_url, attributes)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		on conflict (site_id, sku) do update set title = excluded.title, description = excluded.description,
			price = excluded.price, currency = excluded.currency, stock = excluded.stock, url = excluded.url,
			image_url = excluded.image_url, attributes = excluded.attributes, updated_at = now()`,
		siteID, p.SKU, p.Title, p.Description, p.Price, p.Currency, p.Stock, p.URL, p.ImageURL, p.Attributes)
	if err != nil {
		return fmt.Errorf("upsert product %s: %w", p.SKU, err)
	}
	return nil
}

// ParseProducts decodes products in DESIGN.md's import shape (a JSON array,
// or CSV with the same field names, nested fields with dots; format "json",
// "csv" or "" to sniff). Invalid rows are reported with their lines.
func ParseProducts(data []byte, format string) ([]Product, []RowError, error) {
	var out []Product
	res, err := importRows(context.Background(), bytes.NewReader(data), ImportOptions{Format: format, SiteID: -1},
		func(_ context.Context, p Product) error {
			if err := p.Validate(); err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	return out, res.Errors, nil
}

// RowError is one rejected row of an import, by its line in the file.
type RowError struct {
	Line int    `json:"line"`
	Err  string `json:"error"`
}

// ImportResult says what an import loaded and what it rejected.
type ImportResult struct {
	Loaded int        `json:"loaded"`
	Errors []RowError `json:"errors"`
}

// ImportOptions say where imported rows go and how the file is written.
type ImportOptions struct {
	Format string // "json" (an array) or "csv" (nested fields flattened with dots); sniffed when empty
	SiteID int64  // the site of rows without a "site" key
	// Site resolves a row's "site" key to a site id; rows naming a site are
	// refused when it is nil.
	Site func(ctx context.Context, key string) (int64, error)
}

// ImportOrders loads orders. Invalid rows are reported with their line
// numbers; valid rows still load.
func (c *Commerce) ImportOrders(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	return importRows(ctx, r, opts, func(ctx context.Context, o Order) error {
		site, err := opts.site(ctx, o.Site)
		if err != nil {
			return err
		}
		return c.UpsertOrder(ctx, site, o)
	})
}

// ImportProducts loads products, like ImportOrders.
func (c *Commerce) ImportProducts(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	return importRows(ctx, r, opts, func(ctx context.Context, p Product) error {
		site, err := opts.site(ctx, p.Site)
		if err != nil {
			return err
		}
		return c.UpsertProduct(ctx, site, p)
	})
}

func (o ImportOptions) site(ctx context.Context, key string) (int64, error) {
	switch {
	case key == "" && o.SiteID == 0:
		return 0, fmt.Errorf("row has no site and no default site was given: %w", ErrInvalid)
	case key == "":
		return o.SiteID, nil
	case o.Site == nil:
		return 0, fmt.Errorf("rows may not name a site here: %w", ErrInvalid)
	}
	id, err := o.Site(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("site %q: %v: %w", key, err, ErrInvalid)
	}
	return id, nil
}

// rawRow is one row of an import file as JSON, with its line number.
type rawRow struct {
	line int
	data json.RawMessage
	err  error
}

// importRows decodes rows one by one so that one bad row costs only that row.
func importRows[T any](ctx context.Context, r io.Reader, opts ImportOptions, load func(context.Context, T) error) (ImportResult, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return ImportResult{}, fmt.Errorf("read import: %w", err)
	}
	format := opts.Format
	if format == "" {
		format = "csv"
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
			format = "json"
		}
	}
	var rows []rawRow
	switch format {
	case "json":
		rows, err = jsonRows(data)
	case "csv":
		rows, err = csvRows(data)
	default:
		err = fmt.Errorf("import format %q must be json or csv: %w", format, ErrInvalid)
	}
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Errors: []RowError{}}
	for _, row := range rows {
		var v T
		if row.err == nil {
			row.err = json.Unmarshal(row.data, &v)
		}
		if row.err == nil {
			row.err = load(ctx, v)
			if row.err != nil && !errors.Is(row.err, ErrInvalid) {
				return res, row.err
			}
		}
		if row.err != nil {
			res.Errors = append(res.Errors, RowError{Line: row.line, Err: row.err.Error()})
			continue
		}
		res.Loaded++
	}
	return res, nil
}

// jsonRows splits a JSON array into its elements, keeping each one's line.
func jsonRows(data []byte) ([]rawRow, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("import must be a JSON array: %w", ErrInvalid)
	}
	var rows []rawRow
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("malformed JSON near line %d: %v: %w", lineOf(data, int(dec.InputOffset())), err, ErrInvalid)
		}
		rows = append(rows, rawRow{line: lineOf(data, int(dec.InputOffset())-len(raw)), data: raw})
	}
	return rows, nil
}

func lineOf(data []byte, offset int) int {
	offset = max(0, min(offset, len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// numericFields are the CSV columns whose values are numbers in the JSON shape.
var numericFields = map[string]bool{"quantity": true, "price": true, "total": true, "stock": true}

// csvRows turns each CSV row into the JSON object its dotted header names
// describe: customer.email → {"customer":{"email":…}}, items.0.sku →
// {"items":[{"sku":…}]}. A column holding JSON (items, attributes) is taken as is.
func csvRows(data []byte) ([]rawRow, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %v: %w", err, ErrInvalid)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	var rows []rawRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return rows, fmt.Errorf("CSV line %d: %v: %w", pe.Line, pe.Err, ErrInvalid)
			}
			return rows, fmt.Errorf("read CSV: %w", err)
		}
		obj := map[string]any{}
		for i, v := range rec {
			if i >= len(header) || header[i] == "" || strings.TrimSpace(v) == "" {
				continue
			}
			setPath(obj, strings.Split(header[i], "."), csvValue(header[i], v))
		}
		raw, err := json.Marshal(compact(obj))
		rows = append(rows, rawRow{line: line, data: raw, err: err})
	}
	return rows, nil
}

func csvValue(column, v string) any {
	v = strings.TrimSpace(v)
	name := column[strings.LastIndex(column, ".")+1:]
	if numericFields[name] {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	if (name == "items" || name == "attributes" || name == "customer") && json.Valid([]byte(v)) {
		return json.RawMessage(v)
	}
	return v
}

// setPath stores v at a dotted path; numeric segments index into lists,
// which are kept as maps until compact turns them into arrays.
func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// compact turns maps whose keys are all small integers into arrays, in order.
func compact(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	idx := make([]int, 0, len(m))
	for k, x := range m {
		m[k] = compact(x)
		if n, err := strconv.Atoi(k); err == nil && n >= 0 && n < 10000 {
			idx = append(idx, n)
		}
	}
	if len(idx) == 0 || len(idx) != len(m) {
		return m
	}
	sort.Ints(idx)
	list := make([]any, 0, len(idx))
	for _, n := range idx {
		list = append(list, m[strconv.Itoa(n)])
	}
	return list
}

// What privacy (internal/privacy) asks of the commerce tables about one
// data subject. Each runs in the caller's transaction, so an erasure across
// packages commits or fails as one.

// FindCustomers returns the ids of siteID's customers with the shop's
// customer id externalID or the email (either may be empty), or with id
// verified (nil: none).
func FindCustomers(ctx context.Context, tx pgx.Tx, siteID int64, externalID, email string, verified *int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `select id from customers where site_id = $1 and (
			($2 <> '' and external_id = $2) or ($3 <> '' and lower(email) = lower($3)) or id = $4)
		order by id`, siteID, strings.TrimSpace(externalID), strings.TrimSpace(email), verified)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	return ids, nil
}

// ExportCustomers returns the customers ids and their orders as whole rows
// in JSON (empty lists, not nil, when there are none).
func ExportCustomers(ctx context.Context, tx pgx.Tx, ids []int64) (customers, orders []json.RawMessage, err error) {
	collect := func(sql string) ([]json.RawMessage, error) {
		rows, err := tx.Query(ctx, sql, ids)
		if err != nil {
			return nil, fmt.Errorf("export customers: %w", err)
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (json.RawMessage, error) {
			var b []byte
			err := row.Scan(&b)
			return json.RawMessage(b), err
		})
		if err != nil {
			return nil, fmt.Errorf("export customers: %w", err)
		}
		if list == nil {
			list = []json.RawMessage{}
		}
		return list, nil
	}
	if customers, err = collect("select row_to_json(t) from customers t where id = any($1) order by id"); err != nil {
		return nil, nil, err
	}
	if orders, err = collect("select row_to_json(t) from orders t where customer_id = any($1) order by created_at, id"); err != nil {
		return nil, nil, err
	}
	return customers, orders, nil
}

// EraseCustomers deletes the customers ids and their orders, and returns
// how many of each it deleted.
func EraseCustomers(ctx context.Context, tx pgx.Tx, ids []int64) (customers, orders int64, err error) {
	tag, err := tx.Exec(ctx, "delete from orders where customer_id = any($1)", ids)
	if err != nil {
		return 0, 0, fmt.Errorf("erase orders: %w", err)
	}
	orders = tag.RowsAffected()
	if tag, err = tx.Exec(ctx, "delete from customers where id = any($1)", ids); err != nil {
		return 0, 0, fmt.Errorf("erase customers: %w", err)
	}
	return tag.RowsAffected(), orders, nil
}
