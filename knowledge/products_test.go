package knowledge_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"kefu/internal/pgtest"
	"kefu/knowledge"
	"kefu/knowledge/demo"
	"kefu/retrieval"
)

// shopWith is a site's commerce data with products and orders (JSON
// arrays; orders may be "").
func shopWith(t *testing.T, products, orders string) (*knowledge.Commerce, int64) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	site := newSite(t, db, "a")
	c := knowledge.NewCommerce(db)
	if res, err := c.ImportProducts(ctx, strings.NewReader(products), knowledge.ImportOptions{SiteID: site}); err != nil || len(res.Errors) > 0 {
		t.Fatalf("import products: %v %+v", err, res)
	}
	if orders != "" {
		if res, err := c.ImportOrders(ctx, strings.NewReader(orders), knowledge.ImportOptions{SiteID: site}); err != nil || len(res.Errors) > 0 {
			t.Fatalf("import orders: %v %+v", err, res)
		}
	}
	return c, site
}

// One character a Chinese title shares with the question (机, 电) matches
// but does not name the product: "香薰机是插电的还是充电的" names the
// diffuser (香薰机 → diffuser), not the coffee grinder whose title ends in
// 机 and whose description says 充电.
func TestOneCharacterDoesNotNameAProduct(t *testing.T) {
	ctx := context.Background()
	products := `[
  {"sku": "GRINDER", "title": "便携式电动磨豆机", "description": "Type-C 充电，充满一次可磨约 15 次。", "price": 55, "stock": 5},
  {"sku": "DIFFUSER", "title": "Ultrasonic Aroma Diffuser", "description": "300 ml tank, USB-C powered, auto-off.", "price": 46, "stock": 5},
  {"sku": "MUG", "title": "Ceramic Mug", "description": "Stoneware, 350 ml.", "price": 18, "stock": 5},
  {"sku": "THROW", "title": "Merino Throw", "description": "Soft merino wool.", "price": 89, "stock": 5},
  {"sku": "LAMP", "title": "Aura Bedside Lamp", "description": "Dimmable, USB-C.", "price": 49, "stock": 5},
  {"sku": "TEE", "title": "Cotton Tee", "description": "Organic cotton.", "price": 24, "stock": 5}
]`
	c, site := shopWith(t, products, "")
	q := knowledge.ParseProductQuery("香薰机是插电的还是充电的")
	q.Vocabulary = retrieval.BuiltinVocabulary()
	got, err := c.FindProducts(ctx, site, q, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.SKU == "GRINDER" && m.Named {
			t.Errorf("the grinder is named by 香薰机是插电的还是充电的: %+v", got)
		}
	}
	if len(got) == 0 || got[0].SKU != "DIFFUSER" || !got[0].Named {
		t.Errorf("matches %+v; want the diffuser first, named", got)
	}
	// a numeral names nothing: third-party cookies are not a set of three
	boxes, site2 := shopWith(t, `[{"sku": "BOXES", "title": "竹制收纳盒三件套", "description": "大中小三个尺寸可叠放。", "price": 32, "stock": 48}]`, "")
	q = knowledge.ParseProductQuery("你们网站有没有用第三方广告 cookies?")
	q.Vocabulary = retrieval.BuiltinVocabulary()
	if got, err := boxes.FindProducts(ctx, site2, q, 4); err != nil || len(got) > 0 {
		t.Errorf("第三方广告 finds %+v (%v), want nothing", got, err)
	}
	q = knowledge.ParseProductQuery("收纳盒三件套多少钱")
	if got, err := boxes.FindProducts(ctx, site2, q, 4); err != nil || len(got) != 1 {
		t.Errorf("收纳盒三件套 finds %+v (%v), want the boxes", got, err)
	}
}

// A number names a product only next to a word of its title: "2 hrs" is
// not the smart plug 2-pack, "3 in 1 charger" is the charging stand (the
// demo shop's catalog).
func TestNumberAloneDoesNotNameAProduct(t *testing.T) {
	ctx := context.Background()
	products, err := fs.ReadFile(demo.FS, "products.json")
	if err != nil {
		t.Fatal(err)
	}
	c, site := shopWith(t, string(products), "")
	for _, tt := range []struct {
		text, named string
	}{
		{"reset link isnt working, i clicked it like 2 hrs after it came", ""},
		{"the 3 in 1 charger - how fast does it charge the phone", "LL-EL-004"},
		{"is the 10000 mah one allowed on a plane", "LL-EL-002"},
	} {
		q := knowledge.ParseProductQuery(tt.text)
		q.Vocabulary = retrieval.BuiltinVocabulary()
		got, err := c.FindProducts(ctx, site, q, 4)
		if err != nil {
			t.Fatal(err)
		}
		named := ""
		if len(got) > 0 && got[0].Named {
			named = got[0].SKU
		}
		if named != tt.named {
			t.Errorf("%q names %q, want %q", tt.text, named, tt.named)
		}
	}
}

// The price limit of a question that names a kind of product ("lamps
// under $20") finds none of that kind when none is that cheap, not
// whatever else is; a colour is a word of the colours ("blue", not
// "Bluetooth"); a limit in another currency than the catalog's is not
// applied, the least expensive come first.
func TestPriceAndColourFilters(t *testing.T) {
	ctx := context.Background()
	products := `[
  {"sku": "LAMP", "title": "Aura Bedside Lamp", "description": "Dimmable.", "price": 49, "currency": "USD", "stock": 5, "attributes": {"color": "White"}},
  {"sku": "PENDANT", "title": "Rattan Pendant Lamp", "description": "Woven shade.", "price": 44, "currency": "USD", "stock": 5},
  {"sku": "MUG", "title": "Ceramic Mug", "description": "Stoneware.", "price": 18, "currency": "USD", "stock": 5, "attributes": {"color": "Celadon"}},
  {"sku": "SPEAKER", "title": "Mini Bluetooth Speaker", "description": "Pocket speaker.", "price": 29, "currency": "USD", "stock": 5, "attributes": {"color": "Moss"}},
  {"sku": "SHIRT", "title": "Linen Shirt", "description": "Washed linen.", "price": 59, "currency": "USD", "stock": 5, "attributes": {"colors_available": "White, Navy"}}
]`
	c, site := shopWith(t, products, "")
	find := func(text string) []string {
		t.Helper()
		q := knowledge.ParseProductQuery(text)
		q.Vocabulary = retrieval.BuiltinVocabulary()
		got, err := c.FindProducts(ctx, site, q, 4)
		if err != nil {
			t.Fatal(err)
		}
		var skus []string
		for _, m := range got {
			skus = append(skus, m.SKU)
		}
		return skus
	}
	if got := find("do you have any lamps under $20"); len(got) != 0 {
		t.Errorf("lamps under $20: %v, want none", got)
	}
	if got := find("anything blue under $40"); len(got) != 0 {
		t.Errorf("blue under $40: %v, want none (the speaker is Bluetooth, not blue)", got)
	}
	if got := find("anything blue?"); strings.Join(got, ",") != "SHIRT" {
		t.Errorf("blue: %v, want the navy shirt", got)
	}
	if got := find("有没有300元以内的台灯"); strings.Join(got, ",") != "PENDANT,LAMP" {
		t.Errorf("台灯 within ¥300: %v, want both lamps, the least expensive first", got)
	}
	if got := find("any gift ideas under 50 dollars"); strings.Join(got, ",") != "MUG,SPEAKER,PENDANT,LAMP" {
		t.Errorf("gift ideas under 50 dollars: %v, want everything under $50, least expensive first", got)
	}
	for _, text := range []string{"whats the most expensive thing you sell", "你们家最贵的是哪个"} {
		if got := find(text); len(got) == 0 || got[0] != "SHIRT" {
			t.Errorf("%q: %v, want the most expensive (the shirt) first", text, got)
		}
	}
	if got := find("有没有100块以内的灯 美金哈"); len(got) != 2 || !slices.Contains(got, "PENDANT") || !slices.Contains(got, "LAMP") {
		t.Errorf("灯 within 100块, in US dollars: %v, want both lamps ", got)
	}
}

// Lacks names the colours and sizes asked for that a product does not come
// in, in the shopper's language; "Black Friday" asks for no colour.
func TestProductQueryLacks(t *testing.T) {
	hoodie := knowledge.Product{Title: "Loopback Hoodie", Attributes: map[string]any{"color": "Heather Grey", "sizes": "S, M, L, XL"}}
	for _, tt := range []struct {
		text, lang string
		want       []string
	}{
		{"does the hoodie come in black", "en", []string{"black"}},
		{"卫衣有黑色的吗", "zh", []string{"黑色"}},
		{"hoodie in grey or black?", "en", nil},
		{"hoodie in XXL?", "en", []string{"XXL"}},
		{"is the hoodie on sale for black friday", "en", nil},
		{"卫衣黑色星期五打折吗", "zh", nil},
	} {
		if got := knowledge.ParseProductQuery(tt.text).Lacks(hoodie, tt.lang); !slices.Equal(got, tt.want) {
			t.Errorf("%q: lacks %q, want %q", tt.text, got, tt.want)
		}
	}
}

// Sizes that are everyday words are sizes only next to a bed's word or
// after "size", "in" or "a".
func TestEverydaySizeWords(t *testing.T) {
	for text, want := range map[string][]string{
		"how many lumens is the aura lamp at full brightness": nil,
		"i was charged double for one order":                  nil,
		"i just want a full refund":                           nil,
		"just a single one please":                            nil,
		"is the cover in double? i need it by friday":         {"Double"},
		"do you have the duvet cover in full?":                {"Full"},
		"full size sheets?":                                   {"Full"},
		"double duvet cover price":                            {"Double"},
		"king or queen?":                                      {"King", "Queen"},
	} {
		if got := knowledge.ParseProductQuery(text).Sizes; !slices.Equal(got, want) {
			t.Errorf("ParseProductQuery(%q).Sizes = %v, want %v", text, got, want)
		}
	}
}
