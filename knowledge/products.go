package knowledge

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"kefu/retrieval"
)

// Product search answers shoppers' product questions from the catalog: it
// reads filters from their words (a price limit, a colour, a size, in stock,
// the cheapest), finds the products their words name (titles weigh most,
// then attributes, then descriptions; the shop vocabulary adds the catalog's
// words for theirs, 毯子 → throw blanket), and keeps those that pass.

// ProductQuery is a shopper's product question read into words and filters.
type ProductQuery struct {
	Text     string
	MinPrice float64  // 0: none (in Currency, or the catalog's)
	MaxPrice float64  // 0: none
	Colors   []string // colour families the product must come in (blue, white …)
	Sizes    []string // sizes it must come in (queen, xl …)
	InStock  bool
	Cheapest bool // the shopper asked for the cheapest
	Dearest  bool // … or the most expensive
	// Currency is the currency the price filter is written in ("CNY" for
	// "100元以内"); "" when the shopper named none. Products priced in
	// another currency do not pass it, unless the catalog has no price in
	// that currency: then it is not applied (there are no exchange rates),
	// and the least expensive come first instead.
	Currency   string
	anyPrice   bool // the limit's currency is none of the catalog's
	Vocabulary *retrieval.Vocabulary
}

// Filtered reports whether the query has any filter.
func (q ProductQuery) Filtered() bool {
	return q.MinPrice > 0 || q.MaxPrice > 0 || len(q.Colors) > 0 || len(q.Sizes) > 0 || q.InStock || q.Cheapest || q.Dearest
}

// ProductMatch is a product found for a query.
type ProductMatch struct {
	Product
	Score float64 `json:"score"`
	// Named: the query's words name this product (words of its title, or of
	// its kind), not just share a word with its description.
	Named bool `json:"named"`
	// InTitle: a word of the query (or its synonym) is in the title, not
	// only in the attributes or description.
	InTitle bool `json:"in_title"`
}

var (
	priceUnder = regexp.MustCompile(`(?i)(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|within|<=?|不超过|低于|少于|便宜于)\s*(?:us\s*)?` + currencySign + `?\s*(\d+(?:\.\d+)?)` + currencyWord)
	priceOver  = regexp.MustCompile(`(?i)(?:over|above|more than|at least|>=?|超过|高于|至少)\s*` + currencySign + `?\s*(\d+(?:\.\d+)?)` + currencyWord)
	priceZh    = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*(?:` + alternation(currencyWords(false)) + `)?\s*(以内|以下|之内|以上)`)
)

// currencies are the currencies a shopper may name, looked for in this
// order ("美元" is dollars before "元" is yuan): the signs written before an
// amount, the words written after one ("50 dollars", "100块"), and of
// those the ones clear enough to name the currency anywhere in a message
// ("…, in euros"; not 刀, also a knife, nor "pounds", also a weight).
var currencies = []struct {
	code  string
	signs []string
	words []string
	named []string
}{
	{"USD", []string{"us$", "$"}, []string{"dollars", "dollar", "bucks", "buck", "usd", "美元", "美金", "刀"}, []string{"dollars", "dollar", "usd", "美元", "美金"}},
	{"EUR", []string{"€"}, []string{"euros", "euro", "eur", "欧元"}, []string{"euros", "euro", "欧元"}},
	{"GBP", []string{"£"}, []string{"pounds", "pound", "quid", "gbp", "英镑"}, []string{"quid", "gbp", "英镑"}},
	{"CNY", []string{"¥", "￥"}, []string{"yuan", "rmb", "cny", "块钱", "元", "块"}, []string{"yuan", "rmb", "cny", "人民币", "元"}},
}

// currencyWords are the words written after an amount, of every currency
// (only the Chinese ones when chinese), as regexp alternatives.
func currencyWords(chinese bool) []string {
	var out []string
	for _, c := range currencies {
		for _, w := range c.words {
			if !chinese || w[0] >= 0x80 {
				out = append(out, regexp.QuoteMeta(w))
			}
		}
	}
	return out
}

// alternation joins alternatives longest first, so that "块钱" is read
// before "块" and "dollars" before "dollar".
func alternation(alts []string) string {
	alts = slices.Clone(alts)
	slices.SortStableFunc(alts, func(a, b string) int { return len(b) - len(a) })
	return strings.Join(alts, "|")
}

// currencySign is one sign of a currency, written before an amount.
var currencySign = func() string {
	var signs []string
	for _, c := range currencies {
		for _, m := range c.signs {
			if utf8.RuneCountInString(m) == 1 {
				signs = append(signs, regexp.QuoteMeta(m))
			}
		}
	}
	return "(?:" + strings.Join(signs, "|") + ")"
}()

// currencyWord is the currency a shopper may write after an amount ("under
// 50 dollars"): part of the filter, not words that name a product.
var currencyWord = `(?:\s*(?:` + alternation(append(currencyWords(false), `us\$`)) + `))?`

// currencyOf is the currency an amount is written in ("$30" → USD, "100元"
// → CNY), "" when it names none.
func currencyOf(amount string) string {
	for _, c := range currencies {
		for _, m := range append(slices.Clone(c.signs), c.words...) {
			if strings.Contains(amount, m) {
				return c.code
			}
		}
	}
	return ""
}

// namedCurrency finds a currency a whole message names by a sign or a word
// clear enough for that (currencies' named; Latin words whole).
var namedCurrency = func() []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, c := range currencies {
		var alts []string
		for _, m := range c.signs {
			alts = append(alts, regexp.QuoteMeta(m))
		}
		for _, w := range c.named {
			if w[0] < 0x80 {
				w = `\b` + w + `\b`
			}
			alts = append(alts, w)
		}
		out = append(out, regexp.MustCompile(`(?i)`+alternation(alts)))
	}
	return out
}()

// currencyNamed is the currency text names anywhere, "" for none.
func currencyNamed(text string) string {
	for i, re := range namedCurrency {
		if re.MatchString(text) {
			return currencies[i].code
		}
	}
	return ""
}

// withoutPrices is text without its price filters: "charged" (a currency
// word's expansion) is not the "Charging Stand".
func withoutPrices(text string) string {
	text = chineseAmounts(strings.ToLower(text))
	for _, re := range []*regexp.Regexp{priceUnder, priceOver, priceZh} {
		text = re.ReplaceAllString(text, " ")
	}
	return text
}

// colorFamilies maps a colour family to the catalog colour names it
// includes; colorWords are the words that ask for a family ("blue", "蓝色").
var colorFamilies = map[string][]string{
	"blue":   {"blue", "navy", "indigo", "denim", "teal"},
	"white":  {"white", "ivory", "cream", "chalk", "off-white"},
	"black":  {"black", "charcoal", "graphite", "onyx"},
	"grey":   {"grey", "gray", "heather", "slate"},
	"green":  {"green", "olive", "sage", "moss", "celadon"},
	"brown":  {"brown", "walnut", "chocolate", "coffee", "tan"},
	"beige":  {"beige", "sand", "oat", "oatmeal", "natural", "stone", "khaki"},
	"red":    {"red", "rust", "burgundy", "wine"},
	"pink":   {"pink", "blush", "rose"},
	"yellow": {"yellow", "mustard", "amber"},
}

// notColors are names with a colour word that ask for no colour ("will
// it be on sale for Black Friday?").
var notColors = regexp.MustCompile(`black\s*friday|黑色星期五|白色情人节`)

// colorNamesZh are the colour families' Chinese names.
var colorNamesZh = map[string]string{"blue": "蓝色", "white": "白色", "black": "黑色", "grey": "灰色", "green": "绿色", "brown": "棕色",
	"beige": "米色", "red": "红色", "pink": "粉色", "yellow": "黄色"}

var colorWords = map[string]string{
	"blue": "blue", "navy": "blue", "white": "white", "ivory": "white", "cream": "white", "black": "black", "grey": "grey",
	"gray": "grey", "green": "green", "olive": "green", "brown": "brown", "beige": "beige", "khaki": "beige", "red": "red",
	"pink": "pink", "yellow": "yellow", "蓝色": "blue", "蓝的": "blue", "藏青": "blue", "海军蓝": "blue", "白色": "white",
	"白的": "white", "黑色": "black", "黑的": "black", "灰色": "grey", "灰的": "grey", "绿色": "green", "军绿": "green",
	"棕色": "brown", "咖啡色": "brown", "米色": "beige", "卡其": "beige", "红色": "red", "粉色": "pink", "黄色": "yellow",
}

// sizeWords are sizes a shopper may ask for.
var sizeWords = map[string]string{"xs": "XS", "xl": "XL", "xxl": "XXL", "queen": "Queen", "king": "King", "twin": "Twin",
	"double": "Double", "single": "Single", "full": "Full"}

// sizeInContext: sizes that are everyday words ("full brightness", "a
// full refund", "double charged", "a single one") ask for the size only
// before a bed's word, after "size", or ending a question after "in" ("does
// it come in full?").
var sizeInContext = func() map[string]*regexp.Regexp {
	out := map[string]*regexp.Regexp{}
	for _, w := range []string{"full", "double", "single"} {
		out[w] = regexp.MustCompile(`\b` + w + `[- ]?(?:size|sized|bed|beds|duvet|duvets|sheets?|quilt|mattress|cover|covers|set)\b|\bsize ` + w +
			`\b|\bin (?:a )?` + w + `\s*(?:[?.!,]|$)`)
	}
	return out
}()

var cheapestWords = []string{"cheapest", "least expensive", "lowest price", "most affordable", "最便宜", "最实惠", "价格最低"}
var dearestWords = []string{"most expensive", "priciest", "highest price", "最贵", "价格最高"}
var inStockWords = []string{"in stock", "available now", "有货", "现货"}

// chineseAmount finds an amount written in Chinese numerals ("三十美元以下",
// "一百块以内").
var chineseAmount = regexp.MustCompile(`([零一二两三四五六七八九十百千]+)\s*(` + alternation(currencyWords(true)) + `|以内|以下|之内|以上)`)

// chineseAmounts writes the amounts of text that are in Chinese numerals in
// figures ("三十美元以下" → "30美元以下"), for the price filters.
func chineseAmounts(text string) string {
	return chineseAmount.ReplaceAllStringFunc(text, func(m string) string {
		sub := chineseAmount.FindStringSubmatch(m)
		if n, ok := ChineseNumber(sub[1]); ok {
			return strconv.Itoa(n) + sub[2]
		}
		return m
	})
}

var (
	chineseDigits = map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	chineseUnits  = map[rune]int{'十': 10, '百': 100, '千': 1000}
)

// ChineseNumber reads a number up to 9999 in Chinese numerals (十, 三十五,
// 一百五, 两百).
func ChineseNumber(s string) (int, bool) {
	total, cur, lastUnit := 0, -1, 0
	for _, r := range s {
		if d, ok := chineseDigits[r]; ok {
			cur = d
			continue
		}
		u := chineseUnits[r]
		if cur < 0 {
			cur = 1 // "十" is ten
		}
		total += cur * u
		cur, lastUnit = -1, u
	}
	if cur >= 0 {
		if lastUnit >= 10 {
			cur *= lastUnit / 10 // "一百五" is 150
		}
		total += cur
	}
	return total, total > 0
}

// ParseProductQuery reads a shopper's product question.
func ParseProductQuery(text string) ProductQuery {
	q := ProductQuery{Text: text}
	lower := chineseAmounts(strings.ToLower(text))
	amount := "" // the limits as written
	if m := priceUnder.FindStringSubmatch(lower); m != nil {
		q.MaxPrice, _ = strconv.ParseFloat(m[1], 64)
		q.Currency, amount = currencyOf(m[0]), m[0]
	}
	if m := priceOver.FindStringSubmatch(lower); m != nil {
		q.MinPrice, _ = strconv.ParseFloat(m[1], 64)
		q.Currency, amount = cmp.Or(q.Currency, currencyOf(m[0])), amount+m[0]
	}
	if m := priceZh.FindStringSubmatch(lower); m != nil {
		amount += m[0]
		v, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "以上" {
			q.MinPrice = v
		} else {
			q.MaxPrice = v
		}
		q.Currency = cmp.Or(q.Currency, currencyOf(m[0]))
	}
	// "块" is the spoken unit of any money ("100块以内的灯 美金哈"), and an
	// amount may come without one ("under 50, in euros"): a currency the
	// message names elsewhere is the limit's.
	if q.MaxPrice > 0 || q.MinPrice > 0 {
		spoken := q.Currency == "CNY" && strings.Contains(amount, "块") && currencyNamed(amount) == ""
		if named := currencyNamed(lower); named != "" && (q.Currency == "" || spoken) {
			q.Currency = named
		}
	}
	words := map[string]bool{}
	for _, t := range retrieval.Tokenize(notColors.ReplaceAllString(lower, " ")) {
		words[t.Text] = true
	}
	folded := notColors.ReplaceAllString(retrieval.Simplified(lower), " ")
	seenColor := map[string]bool{}
	for w, f := range colorWords {
		hit := words[w]
		if w[0] >= 0x80 {
			hit = strings.Contains(folded, w)
		}
		if hit && !seenColor[f] {
			seenColor[f] = true
			q.Colors = append(q.Colors, f)
		}
	}
	sort.Strings(q.Colors)
	for w, s := range sizeWords {
		if words[w] && (sizeInContext[w] == nil || sizeInContext[w].MatchString(lower)) {
			q.Sizes = append(q.Sizes, s)
		}
	}
	sort.Strings(q.Sizes)
	for _, w := range cheapestWords {
		if strings.Contains(lower, w) {
			q.Cheapest = true
		}
	}
	for _, w := range dearestWords {
		if strings.Contains(lower, w) {
			q.Dearest = true
		}
	}
	for _, w := range inStockWords {
		if strings.Contains(lower, w) {
			q.InStock = true
		}
	}
	return q
}

// catalog is a site's products, indexed for search.
type catalog struct {
	products   []Product
	title      []map[string]bool // search terms of each title
	attrs      []map[string]bool // of each product's attribute values
	desc       []map[string]bool // of each description
	idf        map[string]float64
	titleTerms map[string]bool
	version    string
}

// catalogCache keeps each site's catalog until its products change.
type catalogCache struct {
	mu    sync.Mutex
	sites map[int64]*catalog
}

// catalog returns the site's indexed products; a change to them (any
// insert, update or delete) is seen by the next call.
func (c *Commerce) catalog(ctx context.Context, siteID int64) (*catalog, error) {
	var n int64
	var last *time.Time
	if err := c.db.QueryRow(ctx, "select count(*), max(updated_at) from products where site_id = $1", siteID).Scan(&n, &last); err != nil {
		return nil, fmt.Errorf("catalog version: %w", err)
	}
	version := strconv.FormatInt(n, 10)
	if last != nil {
		version += "@" + last.UTC().Format(time.RFC3339Nano)
	}
	c.cache.mu.Lock()
	cat := c.cache.sites[siteID]
	c.cache.mu.Unlock()
	if cat != nil && cat.version == version {
		return cat, nil
	}
	rows, err := c.db.Query(ctx, `select sku, title, description, price::float8, currency, stock, url, image_url, attributes
		from products where site_id = $1 order by id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	products, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) {
		var p Product
		err := r.Scan(&p.SKU, &p.Title, &p.Description, &p.Price, &p.Currency, &p.Stock, &p.URL, &p.ImageURL, &p.Attributes)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	cat = &catalog{products: products, idf: map[string]float64{}, titleTerms: map[string]bool{}, version: version}
	df := map[string]int{}
	for _, p := range products {
		t, a, d := retrieval.TermSet(p.Title), retrieval.TermSet(AttributeText(p.Attributes)), retrieval.TermSet(p.Description)
		cat.title, cat.attrs, cat.desc = append(cat.title, t), append(cat.attrs, a), append(cat.desc, d)
		for k := range t {
			cat.titleTerms[k] = true
		}
		all := map[string]bool{}
		for _, m := range []map[string]bool{t, a, d} {
			for k := range m {
				all[k] = true
			}
		}
		for k := range all {
			df[k]++
		}
	}
	for k, v := range df {
		cat.idf[k] = math.Log(1 + (float64(len(products))-float64(v)+0.5)/(float64(v)+0.5))
	}
	c.cache.mu.Lock()
	if c.cache.sites == nil || len(c.cache.sites) > 1000 {
		c.cache.sites = map[int64]*catalog{}
	}
	c.cache.sites[siteID] = cat
	c.cache.mu.Unlock()
	return cat, nil
}

// AttributeText is a product's attribute values as text (keys left out:
// "color": "Navy" reads "Navy").
func AttributeText(attrs map[string]any) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%v\n", attrs[k])
	}
	return b.String()
}

// unigramWeight is how much a single Chinese character of the question
// counts towards a product's match.
const unigramWeight = 0.3

// cjkNumerals name no product alone: the 三 of 第三方 is not the 三 of 三件套
// (a set of three is found by 三件).
const cjkNumerals = "一二两三四五六七八九十百千万半第几"

// namedWeight is the share of the query's product words a title must have
// for the product to count as named.
const namedWeight = 0.5

// FindProducts returns the site's products that match q, best first: those
// its words name, or, for a question that is only filters ("anything under
// $30?"), those that pass the filters. Products that fail a filter are left
// out.
func (c *Commerce) FindProducts(ctx context.Context, siteID int64, q ProductQuery, k int) ([]ProductMatch, error) {
	cat, err := c.catalog(ctx, siteID)
	if err != nil {
		return nil, err
	}
	if k <= 0 || k > 20 {
		k = 4
	}
	// The query's words that the catalog has, and the vocabulary's words
	// for the others (毯子 → throw, blanket).
	type word struct {
		terms   []string
		idf     float64
		unigram bool // one Chinese character or a number: it matches, it does not name
	}
	var words []word
	have := map[string]bool{}
	text := withoutPrices(q.Text)
	qterms := retrieval.SearchTerms(text)
	for i, t := range qterms {
		if q.Filtered() && isNumber(t) {
			continue // "under $30": the 30 is the filter's
		}
		if idf, ok := cat.idf[t]; ok && !have[t] && !productStop[t] && !(utf8.RuneCountInString(t) == 1 && strings.Contains(cjkNumerals, t)) {
			have[t] = true
			uni := utf8.RuneCountInString(t) == 1 && retrieval.IsCJKWord(t)
			if uni {
				idf *= unigramWeight // 电 of 充电宝 is not the grinder's 电动
			}
			// a number names a product only with a word of a title next to
			// it ("3 in 1 charger", "10000 mah"), not alone ("2 hrs" is not
			// the 2-Pack)
			alone := isNumber(t) && !(i > 0 && cat.titleTerms[qterms[i-1]]) && !(i+1 < len(qterms) && cat.titleTerms[qterms[i+1]])
			words = append(words, word{[]string{t}, idf, uni || alone})
		}
	}
	if q.Vocabulary != nil {
		for _, x := range q.Vocabulary.Expand(text) {
			for _, e := range x.Terms {
				terms := retrieval.SearchTerms(e)
				idf, ok := 0.0, len(terms) > 0
				for _, t := range terms {
					v, in := cat.idf[t]
					ok = ok && in
					idf = max(idf, v)
				}
				if ok && !have[e] {
					have[e] = true
					words = append(words, word{terms, idf * 0.8, false})
				}
			}
		}
	}
	// A product is named when its title has most of the query's words that
	// name products (those any title has: "lamp", not "nightstand" or
	// "refill").
	named := 0.0
	for _, w := range words {
		if !w.unigram && cat.inAnyTitle(w.terms) {
			named += w.idf
		}
	}
	// "Is the speaker in stock?" asks about a product whatever its stock:
	// in stock filters only a question that names none.
	inStock := q.InStock
	q.InStock = false
	q.anyPrice = q.Currency != "" && !slices.ContainsFunc(cat.products, func(p Product) bool { return q.ComparesPrice(p.Currency) })
	match := func(words []word) []ProductMatch {
		var out []ProductMatch
		for i, p := range cat.products {
			if !q.passes(p) {
				continue
			}
			score, inTitle, naming := 0.0, 0.0, 0.0
			for _, w := range words {
				switch {
				case allTerms(cat.title[i], w.terms):
					score += 3 * w.idf
					inTitle += w.idf // a unigram's idf is already cut
					if !w.unigram {
						naming += w.idf // one character of a title (机, 电) matches but does not name it
					}
				case allTerms(cat.attrs[i], w.terms):
					score += 1.5 * w.idf
				case allTerms(cat.desc[i], w.terms):
					score += w.idf
				}
			}
			m := ProductMatch{Product: p, Score: score, Named: named > 0 && naming >= namedWeight*named && inTitle >= 1, InTitle: inTitle > 0}
			if score > 0 || (len(words) == 0 && q.Filtered()) {
				out = append(out, m)
			}
		}
		return out
	}
	out := match(words)
	if len(out) == 0 && q.Filtered() && named == 0 {
		out = match(nil) // "anything under $30 for a gift?": the filter alone ("lamps under $20": none)
		words = nil
	} else if named == 0 && q.Filtered() {
		// Words that name no kind of product ("gift ideas under $50") only
		// put the products that have them first; the filter picks the rest.
		for _, m := range match(nil) {
			if !slices.ContainsFunc(out, func(o ProductMatch) bool { return o.SKU == m.SKU }) {
				out = append(out, m)
			}
		}
	}
	// the least expensive first: asked for, or the only use left of a price
	// limit in another currency
	cheapest := q.Cheapest || q.anyPrice
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Named != out[j].Named {
			return out[i].Named // what the question names before what shares its words
		}
		if q.Dearest && !cheapest && out[i].Price != out[j].Price {
			return out[i].Price > out[j].Price
		}
		if cheapest || (len(words) == 0 || named == 0) && q.MaxPrice > 0 && out[i].Score == out[j].Score {
			if out[i].Price != out[j].Price {
				return out[i].Price < out[j].Price
			}
		}
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Stock > 0 && out[j].Stock <= 0
	})
	if len(out) > 0 && out[0].Named {
		// a named product leads; products that only share a word stay out
		named := out[:0]
		for _, m := range out {
			if m.Named {
				named = append(named, m)
			}
		}
		out = named
	} else if inStock {
		kept := out[:0]
		for _, m := range out {
			if m.Stock > 0 {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	return out[:min(k, len(out))], nil
}

// productStop are words too common in product questions to name a product.
var productStop = map[string]bool{"product": true, "item": true, "thing": true, "buy": true, "sell": true, "shop": true,
	"store": true, "order": true, "price": true, "cost": true, "stock": true, "avail": true, "size": true, "color": true, "colour": true}

// inAnyTitle reports whether some product's title has all terms.
func (c *catalog) inAnyTitle(terms []string) bool {
	return allTerms(c.titleTerms, terms)
}

func allTerms(set map[string]bool, terms []string) bool {
	for _, t := range terms {
		if !set[t] {
			return false
		}
	}
	return len(terms) > 0
}

// ComparesPrice reports whether q's price filter can be compared with
// prices in currency: it names no currency, or that one.
func (q ProductQuery) ComparesPrice(currency string) bool {
	return q.Currency == "" || strings.EqualFold(q.Currency, currency)
}

// passes reports whether p meets q's filters.
func (q ProductQuery) passes(p Product) bool {
	if (q.MaxPrice > 0 || q.MinPrice > 0) && !q.anyPrice {
		if !q.ComparesPrice(p.Currency) || q.MaxPrice > 0 && p.Price > q.MaxPrice || q.MinPrice > 0 && p.Price < q.MinPrice {
			return false
		}
	}
	if q.InStock && p.Stock <= 0 {
		return false
	}
	colors, sizes := q.lacks(p)
	return len(colors) == 0 && len(sizes) == 0
}

// lacks returns the colour families and sizes q asks for that p does not
// come in: all its colours when it has none of them (any one will do), and
// each size it lacks.
func (q ProductQuery) lacks(p Product) (colors, sizes []string) {
	if len(q.Colors) > 0 {
		have := strings.ToLower(fmt.Sprint(p.Attributes["color"], " ", p.Attributes["colors_available"], " ", p.Attributes["colors"], " ", p.Title))
		ok := false
		for _, f := range q.Colors {
			for _, name := range colorFamilies[f] {
				if retrieval.ContainsWhole(have, name) { // "blue", not "Bluetooth"
					ok = true
				}
			}
		}
		if !ok {
			colors = q.Colors
		}
	}
	if len(q.Sizes) > 0 {
		have := strings.ToLower(fmt.Sprint(p.Attributes["size"], ",", p.Attributes["sizes"], ",", p.Title))
		for _, s := range q.Sizes {
			if !retrieval.ContainsWhole(have, strings.ToLower(s)) {
				sizes = append(sizes, s)
			}
		}
	}
	return colors, sizes
}

// Lacks names, in lang ("en" or "zh"), the colours and sizes q asks for
// that p does not come in ("black" for a grey hoodie; none when it passes).
func (q ProductQuery) Lacks(p Product, lang string) []string {
	colors, sizes := q.lacks(p)
	var out []string
	for _, f := range colors {
		if n, ok := colorNamesZh[f]; ok && lang == "zh" {
			f = n
		}
		out = append(out, f)
	}
	return append(out, sizes...)
}

// TitleTerms are the search terms of the site's product titles (to tell a
// product the shopper mentions from the topic of their question).
func (c *Commerce) TitleTerms(ctx context.Context, siteID int64) (map[string]bool, error) {
	cat, err := c.catalog(ctx, siteID)
	if err != nil {
		return nil, err
	}
	return cat.titleTerms, nil
}

func isNumber(t string) bool {
	_, err := strconv.ParseFloat(t, 64)
	return err == nil
}
