package knowledge_test

import (
	"context"
	"testing"
)

// Suggestions for a customer follow what they kept: products sharing its
// category and rare words come first; what they already have, what they
// sent back, what is out of stock and what shares nothing never come.
func TestRelatedFollowsWhatTheCustomerKept(t *testing.T) {
	ctx := context.Background()
	products := `[
  {"sku": "DUVET", "title": "Linen Duvet Cover", "price": 129, "stock": 5, "attributes": {"category": "home", "material": "linen"}},
  {"sku": "NAPKIN", "title": "Linen Napkins", "price": 28, "stock": 9, "attributes": {"category": "home", "material": "linen"}},
  {"sku": "CURTAIN", "title": "Linen Curtain", "price": 69, "stock": 0, "attributes": {"category": "home", "material": "linen"}},
  {"sku": "SHEET", "title": "Linen Fitted Sheet", "price": 79, "stock": 4, "attributes": {"category": "home", "material": "linen"}},
  {"sku": "MUG", "title": "Ceramic Mug", "price": 18, "stock": 30, "attributes": {"category": "kitchen", "material": "stoneware"}},
  {"sku": "THROW", "title": "Merino Throw", "price": 89, "stock": 7, "attributes": {"category": "home", "material": "merino wool"}},
  {"sku": "HOODIE", "title": "Loopback Hoodie", "price": 75, "stock": 12, "attributes": {"category": "apparel", "material": "cotton"}},
  {"sku": "TEE", "title": "Cotton Tee", "price": 25, "stock": 40, "attributes": {"category": "apparel", "material": "cotton"}}
]`
	orders := `[
  {"number": "A-1", "status": "delivered", "customer": {"id": "c1", "email": "a@example.com"},
   "items": [{"sku": "DUVET", "title": "Linen Duvet Cover", "quantity": 1, "price": 129}], "total": 129},
  {"number": "A-2", "status": "refunded", "customer": {"id": "c1", "email": "a@example.com"},
   "items": [{"sku": "HOODIE", "title": "Loopback Hoodie", "quantity": 1, "price": 75}], "total": 75},
  {"number": "A-3", "status": "cancelled", "customer": {"id": "c1", "email": "a@example.com"},
   "items": [{"sku": "MUG", "title": "Ceramic Mug", "quantity": 1, "price": 18}], "total": 18},
  {"number": "B-1", "status": "refunded", "customer": {"id": "c2", "email": "b@example.com"},
   "items": [{"sku": "TEE", "title": "Cotton Tee", "quantity": 1, "price": 25}], "total": 25}
]`
	c, site := shopWith(t, products, orders)
	cust := func(id string) int64 {
		n, err := c.CustomerByExternalID(ctx, site, id)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	got, err := c.Related(ctx, site, cust("c1"), 4)
	if err != nil {
		t.Fatal(err)
	}
	var skus []string
	for _, p := range got {
		skus = append(skus, p.SKU)
	}
	if len(skus) < 2 || !(skus[0] == "SHEET" || skus[0] == "NAPKIN") || !(skus[1] == "SHEET" || skus[1] == "NAPKIN") {
		t.Errorf("related to a linen duvet cover: %v; want the linen sheet and napkins first", skus)
	}
	for _, s := range skus {
		switch s {
		case "DUVET", "HOODIE", "CURTAIN", "TEE", "MUG":
			t.Errorf("related: %v has %s (already had, sent back, out of stock, or shares nothing)", skus, s)
		}
	}
	// Someone who sent back all they bought gets nothing.
	if got, err := c.Related(ctx, site, cust("c2"), 4); err != nil || len(got) != 0 {
		t.Errorf("related for a customer who returned everything: %+v, %v; want none", got, err)
	}
}
