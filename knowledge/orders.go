package knowledge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"kefu/retrieval"
)

// OrderRecord is a stored order with its customer's identity.
type OrderRecord struct {
	Order
	CustomerID int64 `json:"-"` // kefu's customer row id; 0 when the order has no customer
}

const orderColumns = `o.number, o.status, o.items, o.total::float8, o.currency, o.carrier, o.tracking_number, o.created_at,
	o.shipped_at, o.delivered_at, coalesce(c.id, 0), coalesce(c.external_id, ''), coalesce(c.email, ''), coalesce(c.name, '')`

func scanOrder(row pgx.Row) (*OrderRecord, error) {
	var o OrderRecord
	var created time.Time
	var cust Customer
	err := row.Scan(&o.Number, &o.Status, &o.Items, &o.Total, &o.Currency, &o.Carrier, &o.TrackingNumber, &created,
		&o.ShippedAt, &o.DeliveredAt, &o.CustomerID, &cust.ID, &cust.Email, &cust.Name)
	o.CreatedAt = &created
	if o.CustomerID != 0 {
		o.Customer = &cust
	}
	return &o, err
}

// Order returns the order with number of siteID, or ErrNotFound. Callers
// that act for a shopper must check CustomerID against the shopper's
// verified customer (see OrderFor).
func (c *Commerce) Order(ctx context.Context, siteID int64, number string) (*OrderRecord, error) {
	o, err := scanOrder(c.db.QueryRow(ctx, `select `+orderColumns+` from orders o left join customers c on c.id = o.customer_id
		where o.site_id = $1 and upper(o.number) = upper($2)`, siteID, strings.TrimSpace(number)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load order: %w", err)
	}
	return o, nil
}

// OrderFor returns the order only if it belongs to customerID; any other
// order is ErrNotFound, exactly as if it did not exist (no enumeration).
func (c *Commerce) OrderFor(ctx context.Context, siteID, customerID int64, number string) (*OrderRecord, error) {
	o, err := c.Order(ctx, siteID, number)
	if err != nil {
		return nil, err
	}
	if customerID == 0 || o.CustomerID != customerID {
		return nil, fmt.Errorf("order %s: %w", number, ErrNotFound)
	}
	return o, nil
}

// Orders returns a customer's orders, newest first, at most limit.
func (c *Commerce) Orders(ctx context.Context, siteID, customerID int64, limit int) ([]OrderRecord, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	rows, err := c.db.Query(ctx, `select `+orderColumns+` from orders o join customers c on c.id = o.customer_id
		where o.site_id = $1 and o.customer_id = $2 order by o.created_at desc limit $3`, siteID, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OrderRecord, error) {
		o, err := scanOrder(r)
		return *o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return orders, nil
}

// CustomerByExternalID returns kefu's id of the shop's customer id, or ErrNotFound.
func (c *Commerce) CustomerByExternalID(ctx context.Context, siteID int64, externalID string) (int64, error) {
	var id int64
	err := c.db.QueryRow(ctx, "select id from customers where site_id = $1 and external_id = $2", siteID, externalID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("customer %s: %w", externalID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("load customer: %w", err)
	}
	return id, nil
}

// VerifyOrderEmail returns the customer who placed order number when email
// matches theirs (case-insensitive), or ErrNotFound for any mismatch.
func (c *Commerce) VerifyOrderEmail(ctx context.Context, siteID int64, number, email string) (int64, error) {
	o, err := c.Order(ctx, siteID, number)
	if err != nil {
		return 0, err
	}
	if o.Customer == nil || o.Customer.Email == "" || !strings.EqualFold(strings.TrimSpace(email), o.Customer.Email) {
		return 0, fmt.Errorf("order %s with that email: %w", number, ErrNotFound)
	}
	return o.CustomerID, nil
}

// ProductHit is a product found for a shopper's query.
type ProductHit struct {
	SKU      string  `json:"sku"`
	Title    string  `json:"title"`
	Price    float64 `json:"price"`
	Currency string  `json:"currency"`
	Stock    int     `json:"stock"`
	URL      string  `json:"url"`
	ImageURL string  `json:"image_url"`
}

// SearchProducts finds products of siteID matching query by title,
// description and attributes, in-stock first.
func (c *Commerce) SearchProducts(ctx context.Context, siteID int64, query string, k int) ([]ProductHit, error) {
	if k <= 0 || k > 20 {
		k = 4
	}
	words := productWords(query)
	if len(words) == 0 {
		return []ProductHit{}, nil
	}
	rows, err := c.db.Query(ctx, `select sku, title, price::float8, currency, stock, url, image_url from products
		where site_id = $1 and (select count(*) from unnest($2::text[]) w
			where lower(title || ' ' || description || ' ' || attributes::text) like '%' || w || '%') > 0
		order by (select count(*) from unnest($2::text[]) w
			where lower(title || ' ' || description || ' ' || attributes::text) like '%' || w || '%') desc,
			stock > 0 desc, title
		limit $3`, siteID, words, k)
	if err != nil {
		return nil, fmt.Errorf("search products: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ProductHit])
}

// productWords are the query's words (stop words dropped, a plural "s"
// trimmed) and CJK bigrams, with LIKE wildcards escaped.
func productWords(query string) []string {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	var out []string
	for _, t := range retrieval.Tokenize(query) {
		w := t.Text
		if !t.CJK {
			if len(w) < 2 || retrieval.IsStopWord(w) {
				continue
			}
			if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
				w = w[:len(w)-1]
			}
		}
		out = append(out, esc.Replace(w))
	}
	return out
}
