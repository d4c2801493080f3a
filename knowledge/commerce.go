package knowledge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
type Commerce struct{ db *pgxpool.Pool }

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
	if err := p.Validate(); err != nil {
		return err
	}
	_, err := c.db.Exec(ctx, `insert into products (site_id, sku, title, description, price, currency, stock, url, image_url, attributes)
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

// ImportOrders loads a JSON array of orders for siteID. Invalid rows are
// reported with their line numbers; valid rows still load.
func (c *Commerce) ImportOrders(ctx context.Context, siteID int64, r io.Reader) (ImportResult, error) {
	return importJSON(ctx, r, func(ctx context.Context, o Order) error { return c.UpsertOrder(ctx, siteID, o) })
}

// ImportProducts loads a JSON array of products for siteID, like ImportOrders.
func (c *Commerce) ImportProducts(ctx context.Context, siteID int64, r io.Reader) (ImportResult, error) {
	return importJSON(ctx, r, func(ctx context.Context, p Product) error { return c.UpsertProduct(ctx, siteID, p) })
}

// importJSON decodes a JSON array element by element so that one bad row
// costs only that row, and so each row's line number can be reported.
func importJSON[T any](ctx context.Context, r io.Reader, load func(context.Context, T) error) (ImportResult, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return ImportResult{}, fmt.Errorf("read import: %w", err)
	}
	res := ImportResult{Errors: []RowError{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return res, fmt.Errorf("import must be a JSON array: %w", ErrInvalid)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return res, fmt.Errorf("malformed JSON near line %d: %v: %w", lineAt(data, int(dec.InputOffset())), err, ErrInvalid)
		}
		line := lineAt(data, int(dec.InputOffset())-len(raw))
		var row T
		if err := json.Unmarshal(raw, &row); err != nil {
			res.Errors = append(res.Errors, RowError{Line: line, Err: err.Error()})
			continue
		}
		if err := load(ctx, row); err != nil {
			if !errors.Is(err, ErrInvalid) {
				return res, err
			}
			res.Errors = append(res.Errors, RowError{Line: line, Err: err.Error()})
			continue
		}
		res.Loaded++
	}
	return res, nil
}

func lineAt(data []byte, offset int) int {
	offset = max(0, min(offset, len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
