package knowledge

import (
	"context"
	"sort"
)

// Related returns up to k products for a customer, related to what they
// bought before: in stock, not something they already have, and never what
// they sent back. Each product is scored by what it shares with each item
// they kept: the same category counts, and so does each word of its title
// and attributes (weighted by how rare the word is in the catalog: "linen"
// and "merino" more than "set"). A customer with nothing kept gets none.
func (c *Commerce) Related(ctx context.Context, siteID, customerID int64, k int) ([]Product, error) {
	orders, err := c.Orders(ctx, siteID, customerID, relatedOrders)
	if err != nil {
		return nil, err
	}
	kept, had := map[string]bool{}, map[string]bool{}
	for _, o := range orders {
		for _, it := range o.Items {
			switch o.Status {
			case "cancelled":
			case "refunded": // sent back: never suggested, not a taste either
				had[it.SKU] = true
			default:
				kept[it.SKU], had[it.SKU] = true, true
			}
		}
	}
	if len(kept) == 0 {
		return []Product{}, nil
	}
	cat, err := c.catalog(ctx, siteID)
	if err != nil {
		return nil, err
	}
	var seeds []int
	for i, p := range cat.products {
		if kept[p.SKU] {
			seeds = append(seeds, i)
		}
	}
	type scored struct {
		i     int
		score float64
	}
	var out []scored
	for i, p := range cat.products {
		if had[p.SKU] || p.Stock <= 0 {
			continue
		}
		score := 0.0
		for _, s := range seeds {
			if category(p) != "" && category(p) == category(cat.products[s]) {
				score += relatedCategory
			}
			for t := range cat.title[s] {
				if cat.title[i][t] || cat.attrs[i][t] {
					score += cat.idf[t]
				}
			}
			for t := range cat.attrs[s] {
				if cat.attrs[i][t] && !cat.title[s][t] {
					score += cat.idf[t] / 2
				}
			}
		}
		if score > 0 {
			out = append(out, scored{i, score})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].score > out[b].score })
	products := make([]Product, 0, min(k, len(out)))
	for _, s := range out[:min(k, len(out))] {
		products = append(products, cat.products[s.i])
	}
	return products, nil
}

// Related's settings: how many of a customer's latest orders say what they
// like, and what sharing a category is worth (a rare word of a title is
// worth about 3).
const (
	relatedOrders   = 20
	relatedCategory = 1.5
)

// category is a product's category attribute ("" for none).
func category(p Product) string {
	s, _ := p.Attributes["category"].(string)
	return s
}
