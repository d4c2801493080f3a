package knowledge

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// maxList bounds the list functions below; longer lists need pagination.
const maxList = 100

func listLimit(limit int) int {
	if limit <= 0 || limit > maxList {
		return maxList
	}
	return limit
}

// Products returns up to limit (at most 100) of siteID's products in the
// order they were first imported.
func (c *Commerce) Products(ctx context.Context, siteID int64, limit int) ([]Product, error) {
	rows, err := c.db.Query(ctx, `select sku, title, description, price::float8, currency, stock, url, image_url, attributes
		from products where site_id = $1 order by id limit $2`, siteID, listLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	products, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) {
		var p Product
		err := r.Scan(&p.SKU, &p.Title, &p.Description, &p.Price, &p.Currency, &p.Stock, &p.URL, &p.ImageURL, &p.Attributes)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return products, nil
}

// Customers returns up to limit (at most 100) of siteID's customers, by the
// shop's customer id.
func (c *Commerce) Customers(ctx context.Context, siteID int64, limit int) ([]Customer, error) {
	rows, err := c.db.Query(ctx, `select external_id, email, name from customers where site_id = $1
		order by external_id limit $2`, siteID, listLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	customers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Customer])
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return customers, nil
}
