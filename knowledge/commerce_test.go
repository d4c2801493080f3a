package knowledge_test

import (
	"context"
	"strings"
	"testing"

	"kefu/internal/pgtest"
	"kefu/knowledge"
)

func TestImportOrdersReportsBadRowsByLine(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	c := knowledge.NewCommerce(db)
	in := `[
  {"number": "A-1", "status": "shipped", "customer": {"id": "c1", "email": "a@example.com"},
   "items": [{"sku": "S", "title": "Sock", "quantity": 2, "price": 3.5}], "total": 7, "carrier": "DHL", "tracking_number": "JD1"},
  {"number": "A-2", "status": "teleported"},
  {"number": "", "status": "shipped"},
  {"number": "A-3", "status": "processing", "total": "lots"},
  {"number": "A-4", "status": "delivered", "customer": {"id": "c1", "email": "new@example.com"}}
]`
	res, err := c.ImportOrders(ctx, strings.NewReader(in), knowledge.ImportOptions{SiteID: site})
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 2 {
		t.Errorf("loaded %d; want 2", res.Loaded)
	}
	var lines []int
	for _, e := range res.Errors {
		lines = append(lines, e.Line)
	}
	if want := []int{4, 5, 6}; len(lines) != 3 || lines[0] != want[0] || lines[1] != want[1] || lines[2] != want[2] {
		t.Errorf("error lines = %v (%+v); want %v", lines, res.Errors, want)
	}
	var email string
	db.QueryRow(ctx, "select email from customers where external_id = 'c1'").Scan(&email)
	if email != "new@example.com" {
		t.Errorf("customer email after upsert = %q; want the newest", email)
	}
}

func TestImportCSVWithDottedFields(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	c := knowledge.NewCommerce(db)
	in := "number,status,customer.id,customer.email,items.0.sku,items.0.quantity,items.0.price,items.1.sku,items.1.quantity,items.1.price,total\n" +
		"B-1,processing,c9,z@example.com,S1,1,9.5,S2,2,1.25,12\n" +
		"B-2,lost,c9,z@example.com,S1,1,9.5,,,,9.5\n"
	res, err := c.ImportOrders(ctx, strings.NewReader(in), knowledge.ImportOptions{Format: "csv", SiteID: site})
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 3 {
		t.Fatalf("CSV import = %+v; want 1 loaded and line 3 rejected", res)
	}
	var items string
	db.QueryRow(ctx, "select items::text from orders where number = 'B-1'").Scan(&items)
	if !strings.Contains(items, `"sku": "S2"`) || !strings.Contains(items, `"quantity": 2`) {
		t.Errorf("items = %s; want both lines with numbers", items)
	}

	products := "sku,title,price,stock,attributes.color\nP1,Lamp,19.9,3,amber\nP2,,5,1,red\n"
	res, err = c.ImportProducts(ctx, strings.NewReader(products), knowledge.ImportOptions{SiteID: site})
	if err != nil || res.Loaded != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 3 {
		t.Fatalf("product CSV import = %+v, %v; want 1 loaded, line 3 rejected (no title)", res, err)
	}
	var color string
	db.QueryRow(ctx, "select attributes->>'color' from products where sku = 'P1'").Scan(&color)
	if color != "amber" {
		t.Errorf("attributes.color = %q; want amber", color)
	}
}

func TestImportRefusesRowsForUnknownSites(t *testing.T) {
	db := pgtest.New(t)
	c := knowledge.NewCommerce(db)
	res, err := c.ImportProducts(context.Background(), strings.NewReader(`[{"sku":"X","title":"X","site":"other"}]`), knowledge.ImportOptions{})
	if err != nil || res.Loaded != 0 || len(res.Errors) != 1 {
		t.Errorf("row naming a site without a resolver = %+v, %v; want it rejected", res, err)
	}
	if _, err := c.ImportProducts(context.Background(), strings.NewReader(`{"not":"an array"}`), knowledge.ImportOptions{Format: "json", SiteID: 1}); err == nil {
		t.Errorf("non-array JSON import succeeded; want an error")
	}
}
