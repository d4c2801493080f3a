package chat

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"kefu/knowledge"
	"kefu/retrieval"
)

// Product questions are answered from the catalog: the product the shopper
// names, with the facts they ask about (stock and restock, price, colours,
// sizes, material, care, battery, plug …) read from its attributes and
// description; a question that only filters ("anything under $30?",
// "有没有白色的T恤") gets the matching products as cards.

// attributeCue is the words of a question that ask for an attribute, and
// the attributes that answer them.
type attributeCue struct {
	words []string
	keys  []string
}

// attributeCues map words of a question to the attributes that answer it.
var attributeCues = []attributeCue{
	{append([]string{"stock", "available", "availability", "sold out", "restock", "back in", "buy now", "get one", "有货", "还有", "缺货",
		"补货", "能买", "卖完", "没货", "现货", "order now", "order one", "order them", "order it now", "can i order", "buy one",
		"are they back", "is it back", "be back", "back yet", "coming back", "come back", "restocked", "到货", "什么时候有"}, quantityCues...), []string{"stock", "restock"}},
	{[]string{"price", "cost", "how much", "expensive", "cheap", "多少钱", "多少块", "几块钱", "多少刀", "几刀", "多少美元", "多少美金", "什么价", "啥价", "价格", "价钱", "多钱", "贵", "便宜", "划算", "实惠"}, []string{"price"}},
	{[]string{"colour", "color", "colours", "colors", "颜色", "什么色", "哪些色", "几种色", "色号", "个色", "几色", "别的色", "其他色"}, []string{"color", "colors_available"}},
	{[]string{"size", "sizes", "fit", "fits", "oversize", "oversized", "尺码", "码", "大小", "合身", "版型", "宽松", "修身", "偏大", "偏小"}, []string{"sizes", "size", "fit", "dimensions"}},
	{[]string{"how big", "bigger", "smaller", "更大", "更小", "dimension", "dimensions", "measur", "long", "wide", "length", "large", "尺寸", "多大", "多长", "多宽", "长度",
		"衣长", "袖长", "胸围", "肩宽", "腰围", "裤长", "body length", "sleeve length", "chest width"}, []string{"dimensions", "length", "capacity", "size"}},
	{[]string{"diameter", "how tall", "height", "直径", "多高", "高度"}, []string{"dimensions"}},
	{[]string{"how heavy", "heavy", "weigh", "多重", "重量", "克重", "重不重", "沉不沉"}, []string{"weight"}}, // the material does not say how heavy
	{[]string{"how many grams", "how many g ", "多少克", "几克"}, []string{"weight", "capacity"}},      // a candle's weight, a grinder's dose
	{[]string{"made of", "material", "fabric", "what wood", "thick", "thin", "gsm", "silk", "wool", "cotton", "glass", "材质", "玻璃", "面料", "料子", "布料", "成分", "synthetic", "polyester", "real down", "什么做的", "什么材料", "什么木", "木头", "木材", "厚", "薄", "真丝", "纯棉", "羊毛", "纯 ", "纯羊毛", "纯亚麻", "纯麻", "纯丝", "纯木", "纯实木", "纯铜", "pure", "blend", "混纺",
		"itchy", "itch", "scratchy", "扎"}, []string{"material", "weight"}},
	{[]string{"wash", "clean", "care", "dishwasher", "microwave", "dryer", "tumble", "iron", "洗", "机洗", "手洗", "水洗", "干洗", "洗衣机", "烘干", "清洁", "洗碗机", "微波炉", "保养"}, []string{"care", "dishwasher_safe", "microwave_safe"}},
	{[]string{"battery", "charge", "last", "runtime", "run", "hours", "hrs", "refill", "burn", "mah", "wh ", "电池", "毫安", "续航", "充电", "用多久", "几次", "小时", "烧多久", "能烧", "燃烧", "开多久", "一整晚",
		"点多久", "点多长时间", "点几个小时"}, []string{"battery", "runtime", "burn_time", "capacity"}},
	{[]string{"plug", "voltage", "volt", "uk", "eu", "europe", "adapter", "socket", "powered", "power supply", "mains", "cordless", "rechargeable", "usb", "插头", "电压", "插座", "英国", "欧洲", "插电", "电源", "供电"}, []string{"plug_type", "power", "max_load"}},
	{[]string{"bulb", "fitting", "socket", "watt ", "灯泡", "灯头"}, []string{"fitting", "max_bulb"}},
	{warrantyWords, []string{"warranty"}},
	// airlines limit batteries by their capacity
	{[]string{"plane", "flight", "airline", "carry-on", "carry on", "飞机", "登机", "航班"}, []string{"capacity"}},
	{[]string{" shipsfrom ", "warehouse", "发货地", "哪里发"}, []string{"ships_from"}},
	{[]string{"scent", "smell", "味道", "香味"}, []string{"scent"}},
	{[]string{"ringtone", "alarm sound", "alarm tone", "nature sound", "铃声", "闹铃", "几种声音", "什么声音", "哪些声音", "白噪音"}, []string{"sounds"}},
	{[]string{"capacity", "hold", "ml", "容量", "装多少", "水箱", "多少毫升"}, []string{"capacity"}},
	{[]string{"bluetooth", "waterproof", "water", "wet", "splash", "rain", "swim", "shower", "bath", "蓝牙", "防水", "进水", "沾水", "淋湿", "淋浴", "洗澡", "浴室"}, []string{"bluetooth", "water_resistance"}},
	{[]string{"output", "fast charg", "watts", "wattage", "w ", "快充", "功率", "多少瓦", "几瓦", "几w", "多少w"}, []string{"output", "power"}},
	{[]string{"colour temperature", "color temperature", "colour temp", "color temp", "kelvin", "warm white", "warm light", "色温", "暖光", "冷光", "暖白"}, []string{"color_temperature"}},
	{[]string{"charging standard", "qi2", "qi ", "magsafe", "协议", "标准"}, []string{"standard"}},
	{[]string{"wifi", "wi-fi", "ghz", "router", "无线网", "路由器"}, []string{"wifi"}},
	{[]string{"noise", "noisy", "loud", "quiet", "decibel", "噪音", "声音大", "吵", "静音"}, []string{"noise"}},
	{[]string{"pieces", "how many in", "set of", "a pair", "pair or", "or one", "or a pair", "per piece", "each or", "sold as", "几件", "几个装", "包含哪些",
		"一对", "一片还是", "一条还是", "单片", "单个还是"}, []string{"pieces"}},
	{[]string{"included", "include", "come with", "comes with", "come w ", "comes w ", "in the box", "separately", "seperately", "单独买", "附带", "包含", "带不带", "送不送", "配不配", "有没有配"}, []string{"included"}},
	// what powers it: a battery or the mains ("要装电池吗": USB-C, adapter
	// included); askedGroups writes 装电池 and the like as batteries
	{[]string{"batteries", "battery powered", "battery-powered"}, []string{"battery", "power"}},
}

// attributeLabels name attributes in replies.
var attributeLabels = map[string][2]string{
	"price": {"Price", "价格"}, "stock": {"Stock", "库存"}, "restock": {"Restock", "补货"}, "color": {"Colour", "颜色"},
	"colors_available": {"Colours available", "可选颜色"}, "sizes": {"Sizes", "尺码"}, "size": {"Size", "尺寸"}, "fit": {"Fit", "版型"},
	"dimensions": {"Dimensions", "尺寸"}, "length": {"Length", "长度"}, "capacity": {"Capacity", "容量"}, "material": {"Material", "材质"},
	"weight": {"Weight", "重量"}, "care": {"Care", "洗护"}, "dishwasher_safe": {"Dishwasher safe", "可用洗碗机"},
	"microwave_safe": {"Microwave safe", "可用微波炉"}, "battery": {"Battery", "电池"}, "runtime": {"Runtime", "续航"},
	"burn_time": {"Burn time", "燃烧时间"}, "plug_type": {"Plug type", "插头类型"}, "power": {"Power", "电源"},
	"max_load": {"Max load", "最大负载"}, "fitting": {"Fitting", "灯头"}, "max_bulb": {"Max bulb", "最大灯泡"},
	"warranty": {"Warranty", "保修"}, "ships_from": {"Ships from", "发货仓"}, "scent": {"Scent", "香型"},
	"bluetooth": {"Bluetooth", "蓝牙"}, "water_resistance": {"Water resistance", "防水等级"}, "output": {"Output", "输出"},
	"color_temperature": {"Colour temperature", "色温"}, "standard": {"Standard", "充电标准"}, "wifi": {"Wi-Fi", "Wi-Fi"},
	"noise": {"Noise", "噪音"}, "pieces": {"Pieces", "件数"}, "included": {"Included", "包含"},
}

// asked returns the attributes a question asks about, in cue order.
func asked(text string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, g := range askedGroups(text) {
		for _, k := range g {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// askedGroups are the attribute cues a question matches, each the
// attributes that would answer it ("is it thick?": weight or material).
func askedGroups(text string) [][]string {
	t := phraseText(fixCueTypos(text))
	// "how long before the refund" asks when; "how long is the cable" asks a length.
	t = howLong.ReplaceAllStringFunc(t, func(m string) string {
		if m == "how long" {
			return "when"
		}
		return m
	})
	t = howManyLeft.ReplaceAllString(t, " how many left ")
	t = piecesLeft.Replace(t)
	t = howFastCharging.ReplaceAllString(t, " fast charg ")
	t = asksShipsFrom.ReplaceAllString(t, " shipsfrom ")
	t = chargerNames.Replace(t)
	t = batteriesIn.Replace(t)
	if usedAt.MatchString(t) && placesNamed(text) > 0 {
		t += " voltage " // whether it works there is its plug's and power's question
	}
	var groups [][]string
	by := map[string]int{} // the group each cue word matched first
	temperature := false
	for _, c := range attributeCues {
		var words []string
		for _, w := range c.words {
			if cueIn(t, w) {
				words = append(words, w)
			}
		}
		// "charge" alone asks for the battery only in a question of how
		// much, how long or what ("charge it to full before I store it?"
		// asks how to store it, not the capacity)
		if len(words) == 0 || !slices.ContainsFunc(words, func(w string) bool { return !measureOnlyCues[w] }) && !asksWhatOrHowMuch.MatchString(text) {
			continue
		}
		// a word of two cues ("socket": a plug's or a bulb's) asks one
		// thing, whichever of their attributes there is
		g, ok := -1, false
		for _, w := range words {
			if g, ok = by[w]; ok {
				break
			}
		}
		if ok {
			groups[g] = append(slices.Clip(groups[g]), c.keys...)
		} else {
			g = len(groups)
			groups = append(groups, c.keys)
		}
		for _, w := range words {
			if _, seen := by[w]; !seen {
				by[w] = g
			}
		}
		temperature = temperature || slices.Contains(c.keys, "color_temperature")
	}
	// "colour temperature" asks no colour
	if temperature {
		groups = slices.DeleteFunc(groups, func(g []string) bool { return slices.Contains(g, "color") })
	}
	return groups
}

// cueIn reports whether text has the cue word w: Chinese anywhere; an
// English cue at a word's start (after a space, a digit's end or a Chinese
// character: "的wifi吗"), ending the word or followed by an ending
// ("colours", "washable", "measurements" for "measur"), but not the start
// of a compound ("bathrobe" asks nothing about a bath).
func cueIn(text, w string) bool {
	if w[0] >= 0x80 {
		return strings.Contains(text, w)
	}
	for at := 0; ; {
		i := strings.Index(text[at:], w)
		if i < 0 {
			return false
		}
		i += at
		at = i + 1
		if i > 0 && latinLetter(text[i-1]) && latinLetter(w[0]) {
			continue
		}
		end := i + len(w)
		for end < len(text) && latinLetter(text[end]) {
			end++
		}
		if notCues[strings.ToLower(text[i:end])] {
			continue
		}
		if rest := text[i+len(w) : end]; len(rest) <= 3 || !latinLetter(w[len(w)-1]) || slices.Contains(cueEndings, rest) {
			return true
		}
	}
}

// fixCueTypos writes the English cue words a shopper mistyped by one inner
// letter left out, doubled or swapped with the next ("batery", "pirce",
// "waterprof") as the cue. Only typed words of five letters or more, and
// never a first or last letter left out, so that real words stay ("sell"
// is not "smell", "batter" not "battery").
func fixCueTypos(text string) string {
	typos := cueTypos()
	var b strings.Builder
	at := 0
	for _, w := range retrieval.Words(text) {
		if w.CJK || len(w.Text) < 5 {
			continue
		}
		if c, ok := typos[strings.ToLower(w.Text)]; ok {
			b.WriteString(text[at:w.Start])
			b.WriteString(c)
			at = w.End
		}
	}
	if at == 0 {
		return text
	}
	b.WriteString(text[at:])
	return b.String()
}

// cueTypos maps the one-letter typos of the English one-word cues of five
// letters or more to the cue.
var cueTypos = sync.OnceValue(func() map[string]string {
	cues := map[string]bool{}
	for _, c := range attributeCues {
		for _, w := range c.words {
			if len(w) >= 5 && strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") == "" {
				cues[w] = true
			}
		}
	}
	out := map[string]string{}
	add := func(typo, cue string) {
		if len(typo) >= 5 && !cues[typo] {
			out[typo] = cue
		}
	}
	for c := range cues {
		for i := 1; i < len(c)-1; i++ {
			add(c[:i]+c[i+1:], c)                     // left out
			add(c[:i]+c[i:i+1]+c[i:], c)              // doubled
			add(c[:i]+c[i+1:i+2]+c[i:i+1]+c[i+2:], c) // swapped with the next
		}
	}
	return out
})

// notCues are words that start with a cue and a short ending but are
// other words: "i think i saw a 42 charge" asks nothing about thin fabric.
var notCues = map[string]bool{"think": true, "thinks": true, "thing": true, "things": true, "careful": true, "carefully": true,
	"irony": true, "ironic": true, "euro": true, "euros": true}

// cueEndings are the longer endings an English cue may take.
var cueEndings = []string{"able", "ning", "ping", "ting", "ment", "ments", "ement", "ements", "ings", "ness"}

func latinLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Phrases that ask for an attribute with other words between: howManyLeft
// the stock's count ("how many of the rattan shades do u have left"),
// piecesLeft too (还剩几件: not how many pieces), howFastCharging the output
// ("how fast does it charge my phone"), asksShipsFrom the warehouse ("does
// it ship from Reno?"; not "the page said ships from Shanghai, will I pay
// duty?"), usedAt the plug (below).
var (
	howManyLeft     = regexp.MustCompile(`\bhow many\b[^?.!,;]{0,40}?\b(?:left|remaining|in stock|available)\b`)
	asksShipsFrom   = regexp.MustCompile(`\b(?:where|does|do|will|which|is|are)\b[^?.!,;]{0,30}?\b(?:ship|ships|shipped|sent|dispatched)(?: out)? from\b`)
	piecesLeft      = strings.NewReplacer("剩几件", "剩多少", "还有几件", "还有多少")
	howFastCharging = regexp.MustCompile(`\bhow (?:fast|quick|quickly)\b[^?.!,;]{0,30}?\bcharg`)
	// usedAt asks whether a product works somewhere ("will the smart plugs
	// work in my flat in london", "在悉尼能用吗"); with a place named, that
	// is its plug's and power's question.
	usedAt = regexp.MustCompile(`\b(?:work|works|working|use|used|using)\b[^?.!,;]{0,30}?\b(?:in|at)\b|在[^，。？！,?!]{1,12}(?:能用|可以用|用得了|能不能用|可不可以用)`)
)

// measureOnlyCues are cue words that ask for their attributes only in a
// question of how much, how long or what (asksWhatOrHowMuch).
var measureOnlyCues = map[string]bool{"charge": true, "充电": true}

var asksWhatOrHowMuch = regexp.MustCompile(`(?i)\bhow (?:much|many|long|far|often)\b|\bwhat\b|\bwhich\b|多久|多少|多长|几|什么|啥|哪`)

var howLong = regexp.MustCompile(`how long\b(?: (?:is|are|r)\b)?`)

// chargerNames: a charger is what plugs in (its power), not the battery it
// charges ("do i need my own charger brick"); a wireless charger or a
// charging stand (无线充电器, 充电座) is a product's name, no cue at all.
var chargerNames = strings.NewReplacer("chargers", "adapters", "charger", "adapter", "无线充电器", "无线充", "无线充电座", "无线充", "充电座", "无线充",
	"充电器", "电源", "充电头", "电源")

// batteriesIn: putting batteries in (装电池) asks what powers a product,
// not its battery's capacity.
var batteriesIn = strings.NewReplacer("需要电池", " batteries ", "装电池", " batteries ", "用电池", " batteries ", "要电池", " batteries ", "放电池", " batteries ")

// quantityCues ask how many of a product there are ("do u have that many",
// "还有多少"): the stock's count answers.
var quantityCues = []string{"how many left", "how many are left", "how many in stock", "how many do you have", "how many do u have",
	"enough", "that many", "quantity", "how much stock", "多少件", "还有多少", "还剩", "剩几", "剩多少", "库存", "够不够", "够吗"}

// asksQuantity reports whether a question asks how many of a product
// there are.
func asksQuantity(text string) bool {
	t := phraseText(text)
	return containsAny(t, quantityCues) || howManyLeft.MatchString(t)
}

// listCues mark a question that asks what the shop has.
var listCues = []string{"do you sell", "do you have", "do u have", "do u sell", "got any", "any ", "anything", "something", "recommend",
	"what have you got", "looking for", "need a", "cheapest", "most expensive", "priciest", "list all", "show me", "u got", "you got",
	"最便宜", "最贵", "有没有", "有什么", "有卖", "推荐", "想买", "卖不卖", "有吗"}

// adviceCues ask for advice, not for what the shop has ("anything i should
// know").
var adviceCues = []string{"anything i should", "anything i need", "anything to know", "anything else", "anything special",
	"anything to watch", "anything to avoid", "有什么要注意", "有什么需要注意", "有什么讲究"}

func listing(text string) bool {
	t := " " + strings.ToLower(text) + " "
	if containsAny(t, adviceCues) {
		return false
	}
	// a cue is a word ("how many" does not ask for "any "); "有没有" before
	// what a product has asks whether it has it ("竹盒子有没有味道"), not
	// what the shop has
	return slices.ContainsFunc(listCues, func(c string) bool { return cueIn(t, c) && !(c == "有没有" && asksHasAttribute(t)) })
}

// asksHasAttribute reports whether "有没有" in t follows what it is about
// and comes before an attribute cue ("竹盒子有没有味道", "音箱有没有蓝牙"); not
// when it starts the question ("有没有蓝牙音箱") or comes before a filter
// on what the shop has ("台灯有没有便宜的", "有没有蓝色的").
func asksHasAttribute(t string) bool {
	before, after, _ := strings.Cut(t, "有没有")
	return strings.TrimSpace(before) != "" && after != "" && slices.ContainsFunc(attributeCues, func(c attributeCue) bool {
		return !slices.ContainsFunc(c.keys, func(k string) bool { return filterKeys[k] }) &&
			slices.ContainsFunc(c.words, func(w string) bool { return w != "" && retrieval.IsCJK([]rune(w)[0]) && strings.HasPrefix(after, w) })
	})
}

// filterKeys are the attributes a list of products is filtered by.
var filterKeys = map[string]bool{"price": true, "color": true, "sizes": true, "stock": true}

// productReply is a catalog answer; named: about one product the question
// names and the facts it asks for.
type productReply struct {
	reply
	named       bool // about one product the question names, with the facts it asks
	catalogOnly bool // it asks what only the catalog knows (price, stock, colours)
}

// productAnswer answers from the catalog when the question names a product
// or asks what the shop has; ok is false when the catalog has nothing to say.
func (e *Engine) productAnswer(ctx context.Context, q *question) (productReply, bool) {
	if e.opts.Commerce == nil {
		return productReply{}, false
	}
	text := q.text
	// A shopper asking how to do something with a product ("how do i
	// reset the smart plug?") needs the help pages or a person, not its
	// entry.
	if notCatalogTopic(text) && !warrantyWithFacts(text) || asksProcedure(text) || asksTimeAtOnce.MatchString(text) {
		return productReply{}, false
	}
	pq := knowledge.ParseProductQuery(text)
	pq.Vocabulary = e.vocabulary(ctx, q.site)
	if q.context != "" { // "do you have it in navy?" after "how much is the linen shirt?"
		pq.Text = q.context + "\n" + text
	}
	matches, err := e.opts.Commerce.FindProducts(ctx, q.site.ID, pq, 4)
	if err != nil {
		e.logger.Warn("find products", "error", err)
		return productReply{}, false
	}
	// Nothing the question names is under the price limit ("50刀以内有降噪耳机吗":
	// the earbuds cost more; the charger only mentions earbuds): the least
	// expensive of the rest.
	over := false
	if pq.MaxPrice > 0 && (len(matches) == 0 || !matches[0].Named) {
		relaxed := pq
		relaxed.MaxPrice, relaxed.Cheapest = 0, true
		found, err := e.opts.Commerce.FindProducts(ctx, q.site.ID, relaxed, 4)
		if err != nil {
			e.logger.Warn("find products", "error", err)
			return productReply{}, false
		}
		if len(found) > 0 && (found[0].Named || len(matches) == 0 && listing(text)) {
			matches, over = found, true
		}
	}
	if r, ok := e.namedLacking(ctx, q, pq, matches); ok {
		return r, true
	}
	if len(matches) == 0 {
		return productReply{}, false
	}
	// "speaker 跟 earbuds 哪个更防水": two of the shop's own products
	// compared on a fact both state: each one's. A comparison on taste
	// ("which is nicer") or with something else is not the catalog's.
	if r, compares := e.comparePair(ctx, q, pq); compares {
		// a comparison the catalog cannot make is not answered by one side
		return r, r.answered
	}
	if comparesWithOther(text) {
		return productReply{}, false
	}
	named := matches[0].Named
	// A list needs something to list by ("do u ever get stuff back in
	// stock" shares only "back" with a description).
	if !named && !listsBy(text, pq, e.productWords(ctx, q.site)) {
		return productReply{}, false
	}
	if !named && !(listing(text) && (pq.Filtered() || productIntents[q.a.Intent])) && !(pq.Filtered() && productIntents[q.a.Intent]) {
		return productReply{}, false
	}
	cards := make([]Product, len(matches))
	for i, m := range matches {
		cards[i] = productCard(m.Product)
	}
	if named && (len(matches) == 1 || !listing(text)) && !over {
		desc, specific := describeProduct(q.lang, matches[0].Product, text, pq)
		// The product's data does not answer a question in a unit it does
		// not state ("whats the gsm of the linen shirt": not its material).
		if unitUnstated(text, desc) {
			return productReply{}, false
		}
		// Without the facts asked for, the product's price and stock
		// answer only a plain question about it ("the walnut board?"), not
		// one about something its data does not say ("engrave my board").
		// A question with words the product's data does not have is about
		// something else that mentions the product ("shipping cost to
		// Texas for one tee", "the smart plug's reset"), unless it asks
		// for what only the catalog knows.
		// A list question ("got any linen duvet covers?") that found one
		// product with its words in the title is answered by that product,
		// as is one asking for a fact only the catalog has and the product
		// states ("candle burn time?").
		answers := listing(text) && matches[0].InTitle && (q.context == "" || e.namedByText(ctx, q, pq, matches[0])) ||
			specific && catalogFact(text, matches[0].Product)
		// A fact asked for that the product's data does not state is not
		// answered by its price and stock ("how heavy is the duvet set?").
		if !specific && len(asked(text)) > 0 {
			return productReply{}, false
		}
		if !specific && !productIntents[q.a.Intent] && !answers ||
			uncovered(text, matches[0].Product, pq.Vocabulary) && !(catalogOnly(text, pq) && productIntents[q.a.Intent]) && !answers {
			return productReply{}, false
		}
		return productReply{reply{text: desc, products: cards[:1], answered: true}, specific, catalogOnly(text, pq)}, true
	}
	if !listing(text) && !pq.Filtered() {
		return productReply{}, false
	}
	// "Do you sell iPhone cases?" is not answered by earbuds whose
	// description mentions a case: a list needs the question's words in
	// the titles (unless the question is only filters).
	if !pq.Filtered() {
		kept := matches[:0]
		for _, m := range matches {
			if m.InTitle {
				kept = append(kept, m)
			}
		}
		if matches = kept; len(matches) == 0 {
			return productReply{}, false
		}
		cards = cards[:len(matches)]
		for i, m := range matches {
			cards[i] = productCard(m.Product)
		}
	}
	var b strings.Builder
	if over {
		b.WriteString(say(q.lang, "products_over", strings.TrimSuffix(money(pq.MaxPrice, cmp.Or(pq.Currency, matches[0].Currency)), ".00"))) // "under $20"
	} else if (pq.MaxPrice > 0 || pq.MinPrice > 0) && !pq.ComparesPrice(matches[0].Currency) {
		b.WriteString(say(q.lang, "products_other_currency", matches[0].Currency))
	} else {
		b.WriteString(say(q.lang, "products"))
	}
	for _, m := range matches {
		fmt.Fprintf(&b, "\n• %s — %s%s", m.Title, money(m.Price, m.Currency), stockNote(q.lang, m.Product))
	}
	return productReply{reply: reply{text: b.String(), products: cards, answered: true}, catalogOnly: true}, true
}

// namedLacking answers "does the hoodie come in black?" when the product
// the shopper names does not: with that product's colours and sizes, and
// that it does not come in the one asked, not with other products that do
// (matches, found with the colour or size, name none of the shopper's).
func (e *Engine) namedLacking(ctx context.Context, q *question, pq knowledge.ProductQuery, matches []knowledge.ProductMatch) (productReply, bool) {
	if len(pq.Colors) == 0 && len(pq.Sizes) == 0 || comparesWithOther(q.text) ||
		slices.ContainsFunc(matches, func(m knowledge.ProductMatch) bool { return m.Named }) {
		return productReply{}, false
	}
	plain := pq
	plain.Colors, plain.Sizes = nil, nil
	found, err := e.opts.Commerce.FindProducts(ctx, q.site.ID, plain, 1)
	if err != nil {
		e.logger.Warn("find products", "error", err)
		return productReply{}, false
	}
	if len(found) == 0 || !found[0].Named {
		return productReply{}, false
	}
	p := found[0].Product
	lacks := pq.Lacks(p, q.lang)
	if len(lacks) == 0 {
		return productReply{}, false
	}
	desc, _ := describeProduct(q.lang, p, q.text, pq)
	desc += "\n" + say(q.lang, "not_in", strings.Join(lacks, ", "))
	return productReply{reply{text: desc, products: []Product{productCard(p)}, answered: true}, true, true}, true
}

// unitUnstated reports whether the question asks for a figure in a unit
// (askedUnits) that the reply does not state.
func unitUnstated(text, reply string) bool {
	t, r := strings.ToLower(text), strings.ToLower(reply)
	for _, u := range askedUnits {
		if cueIn(t, u[0]) && !strings.Contains(r, u[1]) {
			return true
		}
	}
	return false
}

// askedUnits are units a shopper asks a figure in, each with how a
// catalog writes it.
var askedUnits = [][2]string{{"gsm", "gsm"}, {"克重", "gsm"}, {"mah", "mah"}, {"毫安", "mah"}, {"lumen", "lumen"}, {"流明", "lumen"},
	{"thread count", "thread count"}, {"支数", "thread count"}}

// asksTimeAtOnce matches a question about how long to burn a candle at
// once ("how long can i burn the candle at a time", "一次最多可以点几个小时"):
// the care advice's limit, not the product's total (a candle's 45-hour
// burn time). How long a diffuser or a power bank runs at once ("一次能开
// 多久") is its runtime, which the catalog states.
var asksTimeAtOnce = regexp.MustCompile(`(?i)\b(?:how long|how many hours)\b.*\b(?:at a time|in one sitting)\b|` +
	`(?:一次|每次|连续)(?:最多|最长)?(?:可以|能)?(?:点|烧)(?:上)?(?:几个?小时|多久|多长时间)`)

// notCatalogTopic reports whether a message asks about a policy, a problem,
// health or a certificate (notCatalogPhrases).
func notCatalogTopic(text string) bool {
	return containsAny(onACharge.ReplaceAllString(phraseText(text), " per battery "), notCatalogPhrases)
}

// onACharge is how long a battery lasts ("how long do the earbuds last on
// a charge"), not a charge on a card.
var onACharge = regexp.MustCompile(`\b(?:on|per|from|with|after) (?:a|one|1|a single|a full|one full|1 full) charge\b`)

// warrantyWithFacts reports whether a message asks for a product's price or
// stock and its warranty, and nothing else of a policy or a problem
// ("那个touch lamp多少钱 有warranty吗": its price and its warranty period,
// both in its data; "is it covered by the warranty" is the policy's).
func warrantyWithFacts(text string) bool {
	t := phraseText(text)
	rest := t
	for _, w := range warrantyWords {
		rest = strings.ReplaceAll(rest, w, " ")
	}
	if rest == t || containsAny(rest, notCatalogPhrases) {
		return false
	}
	// asked while shopping: its price or whether it is in stock (a battery
	// that "wont charge" is a fault)
	return slices.ContainsFunc(asked(text), func(k string) bool { return k == "price" || k == "stock" })
}

// comparesWithOther reports whether a message compares a product with
// something (comparisonPhrases, "跟小米的比").
func comparesWithOther(text string) bool {
	t := phraseText(text)
	return containsAny(t, comparisonPhrases) || comparedWith.MatchString(t)
}

// comparePair answers a question that compares two products it names on
// facts the catalog has ("whats bigger, the throw or the duvet cover"):
// each side of the comparison names one product, shown with those facts.
// compares reports whether the question compares two of the shop's
// products at all (each side names one); the reply is empty when the
// catalog does not state what it compares them on.
func (e *Engine) comparePair(ctx context.Context, q *question, pq knowledge.ProductQuery) (r productReply, compares bool) {
	t := phraseText(q.text)
	sides := pairSplit.Split(t, 2)
	if len(sides) != 2 || !containsAny(t, pairCues) || comparedWith.MatchString(t) || len(asked(q.text)) == 0 {
		return productReply{}, false
	}
	var found []knowledge.ProductMatch
	for _, side := range sides {
		sq := pq
		sq.Text = side
		ms, err := e.opts.Commerce.FindProducts(ctx, q.site.ID, sq, 1)
		if err != nil || len(ms) == 0 || !ms[0].Named || len(found) > 0 && found[0].SKU == ms[0].SKU {
			return productReply{}, false
		}
		found = append(found, ms[0])
	}
	var descs []string
	var ps []knowledge.Product
	for _, m := range found {
		desc, specific := describeProduct(q.lang, m.Product, q.text, pq)
		if !specific {
			return productReply{}, true
		}
		descs, ps = append(descs, desc), append(ps, m.Product)
	}
	return productReply{reply{text: strings.Join(descs, "\n\n"), products: productCards(ps), answered: true}, true, true}, true
}

// pairSplit separates the two things a comparison names.
var pairSplit = regexp.MustCompile(` or | vs\.? | versus | compared to | and |跟|和|还是|与|或者`)

// pairCues ask which of two things.
var pairCues = []string{"which", " or ", " vs ", " versus ", "compare", "difference", "哪个", "哪一个", "还是", "区别", "差别", "比较"}

// notCatalogPhrases are the words of questions the catalog does not answer:
// policies and problems (the help pages and a person answer those), health
// advice; comparisonPhrases, a comparison (but see comparePair).
var notCatalogPhrases = append([]string{
	// policies and problems
	"send back", "send it back", "sending back", "send them back", "return it", "return them", "returning", "refund", "money back",
	"exchange", "swap", "covered", "broke", "broken", "died", "stopped working", "doesn't work",
	"doesnt work", "not working", "faulty", "defective", "cracked", "damaged", "the charge", "a charge", "charges", "charged",
	"my bank", "invoice", "discount code", "promo code", "coupon", "cancel my", "cancel the", "cancel it", "cancel an", "cancel order",
	"postage", "customs", " return", "notify", " ago ", " ago,", "trim the",
	"wholesale", "bulk", "volume pric", "cheapest way", "cheapest shipping", "cheapest delivery", "cheapest postage", "shipping to", "shipped to", "ship to", "deliver to", "delivery to",
	// who to ask, and what a spend earns: the contact page and the thresholds
	"who do i talk", "who should i talk", "who can i talk", "who do i contact", "who should i contact", "who to contact", "who to talk",
	"if i spend", "spend over", "spend more than", "找谁", "联系谁", "满多少",
	"批发", "团购", "寄到", "发到", "运费",
	"退货", "退款", "退钱", "寄回", "退回", "换货", "想换", "换尺码", "换码", "换个码", "换大", "换小", "坏了", "裂了", "故障", "不能用", "扣款", "扣了", "发票",
	"优惠码", "优惠券", "折扣码", "取消", "关税", "能退", "退吗", "可以退", "通知", "提醒我", "个月前", "周前", "天前", "修剪", "剪到",
	"不想要", "不要了", "store credit", "店铺余额", "进水了", "got wet", "water got in", "water inside",
	// which size to choose: the size guide's advice, not the list of sizes
	"which size should", "what size should", "what size do i", "which size do i", "what size would", "which size would",
	"选什么码", "选哪个码", "穿什么码", "买什么码", "买哪个码", "选哪个尺码", "选多大", "穿多大",
	"选哪个 size", "选哪个size", "选什么 size", "选什么size", "穿哪个 size", "买哪个 size", "哪个 size 合适",
	// a garment's measurements: the size guide's, which no catalog entry holds
	"inseam", "内长", "裤长", "袖长", "衣长",
	// health advice
	"pregnan", "baby", "babies", "toddler", "infant", "newborn", "eczema", "allerg", "asthma", " rash", "skin condition", "doctor",
	"harmful", "toxic", "safe for my", "safe to run", "safe to use", "safe around", "blue light", "my eyes", "my health",
	"孕妇", "怀孕", "宝宝", "婴儿", "新生儿", "过敏", "湿疹", "疹子", "哮喘", "医生", "有害", "有毒", "伤害", "伤眼", "对眼睛", "对身体", "健康",
	" pet ", " pets ", "my cat", "my cats", "my dog", "my dogs", " cat ", " cats ", " dog ", " dogs ", "kitten", "puppy", "puppies", "宠物", "猫", "狗", "cure", "treat my", "黑眼圈", "治疗", "疗效", "治好",
	// certificates and test reports no catalog entry holds
	"certificate", "certified", "certification", "test report", "lab test", "检测报告", "认证", "证书",
}, warrantyWords...)

// warrantyWords ask about a warranty: the product's period (an attribute
// cue) or the policy (see warrantyWithFacts).
var warrantyWords = []string{"warranty", "guarantee", "保修", "质保"}

// comparisonPhrases compare a product with something (see notCatalogPhrases).
var comparisonPhrases = []string{" better ", " nicer ", " vs ", " versus ", "compared to", "compare", " as good as ", " as nice as ", " similar to ",
	"哪个好", "比较好", "更好", "哪家", "比得上", "一样好"}

// asksProcedure reports whether a message asks how to do something (not
// how much, how big or how long: those are a product's facts).
func asksProcedure(text string) bool {
	return containsAny(phraseText(text), procedurePhrases)
}

var procedurePhrases = []string{" how do i ", " how can i ", " how to ", " how should i ", " how do we ", "what do i do", "what should i do",
	"如何", "怎么办", "怎么用", "怎么弄", "该怎么", "要怎么"}

// comparedWith finds "跟小米的比", "和宜家比": a comparison with something else.
var comparedWith = regexp.MustCompile(`(?:跟|和|与|同)[^，。？?！!]{1,12}?比`)

// catalogFacts are the facts only the catalog knows (a shop's help pages
// cover care, sizing, warranty and shipping).
var catalogFacts = map[string]bool{"price": true, "stock": true, "restock": true, "color": true, "colors_available": true,
	"material": true, "weight": true, "dimensions": true, "length": true, "capacity": true, "battery": true, "runtime": true,
	"burn_time": true, "bluetooth": true, "water_resistance": true, "output": true, "power": true, "plug_type": true,
	"max_load": true, "fitting": true, "max_bulb": true, "scent": true, "color_temperature": true, "standard": true, "wifi": true,
	"noise": true, "pieces": true, "sizes": true, "ships_from": true}

// catalogOnly reports whether a product question asks what only the
// catalog knows.
func catalogOnly(text string, pq knowledge.ProductQuery) bool {
	if len(pq.Colors) > 0 || pq.Filtered() {
		return true
	}
	for _, k := range asked(text) {
		if catalogFacts[k] {
			return true
		}
	}
	return false
}

// namedByText reports whether a follow-up's own words (not its context's)
// find m with them in its title: "那你们有没有卖猫粮" after a question
// about towels is not about towels.
func (e *Engine) namedByText(ctx context.Context, q *question, pq knowledge.ProductQuery, m knowledge.ProductMatch) bool {
	pq.Text = q.text
	own, err := e.opts.Commerce.FindProducts(ctx, q.site.ID, pq, 4)
	if err != nil {
		return false
	}
	for _, o := range own {
		if o.SKU == m.SKU && o.InTitle {
			return true
		}
	}
	return false
}

// catalogFact reports whether a question asks for a fact only the catalog
// has other than the price and stock, which a question that only mentions
// a product asks about too ("shipping cost to Texas for one tee").
func catalogFact(text string, p knowledge.Product) bool {
	for _, k := range asked(withoutTitle(text, p.Title)) {
		if catalogFacts[k] && k != "price" && k != "stock" && k != "restock" {
			return true
		}
	}
	return false
}

// withoutTitle is text without the words of a product's title: the
// product's own name asks nothing ("smart plug reset": not the plug type;
// "washed linen shirt": not how to wash it). The rest stays as it was
// written: "diffuser 加满水能开多久" still asks 开多久.
func withoutTitle(text, productTitle string) string {
	title := retrieval.TermSet(productTitle)
	var b strings.Builder
	at := 0
	for _, w := range retrieval.Words(text) {
		if t := retrieval.SearchTerms(w.Text); len(t) > 0 && title[t[0]] {
			b.WriteString(text[at:w.Start])
			b.WriteByte(' ')
			at = w.End
		}
	}
	b.WriteString(text[at:])
	return b.String()
}

// uncovered reports whether the question has a word of substance that the
// product's title, attributes and description do not have, nor the words
// the vocabulary gives for it ("on a plane": the power bank is "Airline
// carry-on safe").
func uncovered(text string, p knowledge.Product, vocab *retrieval.Vocabulary) bool {
	// One of two alternatives the data has answers ("is the waist elastic
	// or is there a button": elasticated, so no button).
	if loc := alternativeRE.FindStringIndex(text); loc != nil && loc[0] > 0 && loc[1] < len(text) {
		return uncovered(text[:loc[0]], p, vocab) && uncovered(text[loc[1]:], p, vocab)
	}
	have := retrieval.TermSet(p.Title + "\n" + knowledge.AttributeText(p.Attributes) + "\n" + p.Description)
	said := map[string]bool{}
	for _, x := range vocab.Expand(text) {
		if slices.ContainsFunc(x.Terms, func(e string) bool {
			ts := retrieval.SearchTerms(e)
			return len(ts) > 0 && !slices.ContainsFunc(ts, func(t string) bool { return !have[t] })
		}) {
			for _, t := range retrieval.SearchTerms(x.Phrase) {
				said[t] = true
			}
		}
	}
	words := retrieval.Words(askOrNot.Replace(fixCueTypos(text)))
	// A Chinese word cannot be checked against data in English only; the
	// question's English word the data has (or a synonym of it), besides
	// the product's name, says what it asks ("mini speaker 可以两个一起连成
	// stereo 吗": "Pair two for stereo").
	title := retrieval.TermSet(p.Title)
	askedInEnglish := !strings.ContainsFunc(p.Title+p.Description+knowledge.AttributeText(p.Attributes), retrieval.IsCJK) &&
		slices.ContainsFunc(words, func(w retrieval.Word) bool {
			t := retrieval.SearchTerms(w.Text)
			return !w.CJK && len(t) > 0 && strings.ContainsFunc(t[0], unicode.IsLetter) && (have[t[0]] || said[t[0]]) &&
				!title[t[0]] && !questionWords[t[0]] && !cueWords()[t[0]]
		})
	for _, w := range words {
		if w.CJK && (askedInEnglish || countWord.MatchString(w.Text)) { // 两个, 一套: how many, not what
			continue
		}
		t := retrieval.SearchTerms(w.Text)
		// "几档" asks how many 档 (the grinder's "5 档粗细可调")
		if rest := strings.TrimLeft(w.Text, "几多哪"); w.CJK && rest != "" && rest != w.Text {
			t = retrieval.SearchTerms(rest)
		}
		if len(t) == 0 || said[t[0]] || questionWords[t[0]] || timeWords[t[0]] || cueWords()[t[0]] || superlatives[t[0]] ||
			(w.CJK && (functionWord(w.Text) || len([]rune(w.Text)) < 2)) {
			continue
		}
		if !have[t[0]] && len(t[0]) > 2 {
			return true
		}
	}
	return false
}

// alternativeRE finds where a question offers a second alternative ("…
// elastic or is there a button", "…松紧的还是有扣子").
var alternativeRE = regexp.MustCompile(`(?i)\bor\b|还是`)

// askOrNot are the Chinese ways of asking "whether" by saying a verb
// twice (要不要另外买滤纸): the verb, whose 不要 is not a word of substance.
var askOrNot = strings.NewReplacer("要不要", "要", "需不需要", "需要", "用不用", "用", "能不能", "能", "会不会", "会", "可不可以", "可以", "有没有", "有")

// countWord is a Chinese count of things (两个, 一套, 几件).
var countWord = regexp.MustCompile(`^[一二两三四五六七八九十几\d]+[个只件条套对片张双盒包]?$`)

// superlatives ask which of a product's values ("最大有几码": its largest
// size), not about something its data lacks.
var superlatives = map[string]bool{"biggest": true, "largest": true, "smallest": true, "longest": true, "shortest": true, "max": true,
	"maximum": true, "minimum": true, "最大": true, "最小": true, "最长": true, "最短": true, "最多": true, "最少": true}

// cueWords are the search terms of the words that ask for an attribute
// ("colour", "dishwasher"): they ask about the product, whatever its data
// calls the attribute.
var cueWords = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, c := range attributeCues {
		for _, w := range c.words {
			for _, t := range retrieval.SearchTerms(w) {
				out[t] = true
			}
		}
	}
	return out
})

// productCards are the widget's cards of products.
func productCards(ps []knowledge.Product) []Product {
	out := make([]Product, len(ps))
	for i, p := range ps {
		out[i] = productCard(p)
	}
	return out
}

func productCard(p knowledge.Product) Product {
	return Product{SKU: p.SKU, Title: p.Title, Price: p.Price, Currency: p.Currency, URL: p.URL, ImageURL: p.ImageURL, InStock: p.Stock > 0}
}

func money(v float64, currency string) string {
	switch currency {
	case "USD", "":
		return fmt.Sprintf("$%.2f", v)
	case "CNY":
		return fmt.Sprintf("¥%.2f", v)
	}
	return fmt.Sprintf("%.2f %s", v, currency)
}

func stockNote(lang string, p knowledge.Product) string {
	if p.Stock > 0 {
		return ""
	}
	note := say(lang, "out_of_stock")
	if r, ok := p.Attributes["restock"]; ok {
		note += " · " + fmt.Sprint(r)
	}
	return " (" + note + ")"
}

// describeProduct states the product facts a question asks about: the
// attributes its words point to (price and stock when none), then the
// sentence of the description that shares most words with the question.
// specific reports whether it found what the question asks (an asked
// attribute, or a describing sentence), not just price and stock.
func describeProduct(lang string, p knowledge.Product, text string, pq knowledge.ProductQuery) (string, bool) {
	keys := append(asked(text), attributesNamed(text, p)...)
	if len(pq.Sizes) > 0 {
		keys = append([]string{"sizes", "size"}, keys...)
	}
	if len(pq.Colors) > 0 {
		keys = append([]string{"color", "colors_available"}, keys...)
	}
	specific := false
	label := func(k string) string {
		l, ok := attributeLabels[k]
		if !ok { // the shop's own key: "burn_time" is "Burn time"
			r, size := utf8.DecodeRuneInString(k)
			return string(unicode.ToUpper(r)) + strings.ReplaceAll(k[size:], "_", " ")
		}
		if lang == "zh" {
			return l[1]
		}
		return l[0]
	}
	var facts []string
	seen := map[string]bool{}
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		switch k {
		case "price":
			facts = append(facts, label(k)+": "+money(p.Price, p.Currency))
			specific = true
		case "stock":
			if p.Stock > 0 && asksQuantity(text) {
				facts = append(facts, say(lang, "in_stock_count", p.Stock))
			} else if p.Stock > 0 {
				facts = append(facts, say(lang, "in_stock"))
			} else {
				facts = append(facts, say(lang, "out_of_stock"))
			}
			specific = true
		default:
			if v, ok := p.Attributes[k]; ok {
				facts = append(facts, label(k)+": "+fmt.Sprint(v))
				specific = true
			}
		}
	}
	// An asked fact the attributes lack may be in the description ("Queen
	// duvet cover 228 × 230 cm"): its sentence answers, before a vaguer
	// attribute of the same cue ("Size: Queen"); each such fact its own
	// sentence ("how long … and what wattage": the length's and the
	// wattage's).
	var said []string
	for _, k := range keys {
		if other := attributeHolding(p, k); other != "" {
			keys = append(keys, other) // "come with a plug?": Power: USB-C, 12 W adapter included
		}
	}
	for _, k := range keys {
		if _, ok := p.Attributes[k]; !ok && valuePatterns[k] != nil {
			if s := sentenceMatching(p.Description, valuePatterns[k]); s != "" {
				for _, vague := range vagueFor[k] {
					seen[vague] = true
				}
				if !slices.Contains(said, s) {
					said = append(said, s)
				}
			}
		}
	}
	for _, k := range keys {
		add(k)
	}
	// A measurement asked for ("刀盘直径多少") that neither states is not
	// answered by another sentence on what it asks about.
	measureOnly := len(facts) == 0 && len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool { return k != "dimensions" })
	// The sentence sharing most words with the question answers when
	// nothing else does, or answers the other part of a question of two
	// ("遮光到底咋样 尺寸多大": the size from one sentence, how much light it
	// blocks from another).
	if !measureOnly {
		asked := askedTerms(text, p.Title, pq.Vocabulary)
		if s := describingSentence(p.Description, asked); s != "" &&
			(len(said) == 0 || !slices.Contains(said, s) && saysMore(s, p.Title+"\n"+strings.Join(facts, "\n")+"\n"+strings.Join(said, "\n"), asked)) {
			said = append(said, s)
		}
		// "how long is the sunrise bit": a time asked for and not yet
		// said is the description's sentence with one ("Wakes you gradually
		// with 30 minutes of simulated sunrise").
		if asks(text)&factDuration != 0 && answerTypes(strings.Join(facts, "\n")+"\n"+strings.Join(said, "\n"))&factDuration == 0 {
			for _, s := range sentences(p.Description) {
				if answerTypes(s)&factDuration != 0 {
					said = append(said, s)
					break
				}
			}
		}
	}
	if !specific && len(said) == 0 {
		add("price")
		add("stock")
		specific = false
	}
	// An item that is out of stock says so, and when it is back, whatever
	// was asked ("how much is the blackout curtain?").
	if p.Stock <= 0 && !seen["stock"] {
		was := specific
		add("stock")
		add("restock")
		specific = was
	}
	sep := ". "
	if lang == "zh" {
		sep = "；"
	}
	out := p.Title
	if len(facts) > 0 {
		out += " — " + strings.Join(facts, sep)
	}
	// a sentence that only repeats a fact stated ("130 × 170 cm.") adds nothing
	for _, s := range said {
		if !strings.Contains(out, strings.TrimRight(s, ".。 ")) {
			out += "\n" + s
			specific = true
		}
	}
	// A question that asks two things answers neither with the product's
	// data when it has only one ("羊毛袜 … 水温多少": the socks' material, not
	// their washing temperature), unless the description says more.
	if len(said) == 0 && partlyUnknown(askedGroups(withoutTitle(text, p.Title)), p) {
		specific = false
	}
	return out, specific
}

// attributesNamed are the product's attributes of the shop's own (not the
// usual ones, which the cues ask for) that the question names by their key
// ("what sounds does it have": sounds).
func attributesNamed(text string, p knowledge.Product) []string {
	terms := retrieval.TermSet(text)
	var out []string
	for k := range p.Attributes {
		if _, usual := attributeLabels[k]; usual {
			continue
		}
		words := retrieval.SearchTerms(strings.ReplaceAll(k, "_", " "))
		if len(words) > 0 && !slices.ContainsFunc(words, func(w string) bool { return !terms[w] }) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// partlyUnknown reports whether a group of asked attributes has none of its
// attributes in the product's data (price and stock are always known).
func partlyUnknown(groups [][]string, p knowledge.Product) bool {
	for _, g := range groups {
		found := false
		for _, k := range g {
			if _, ok := p.Attributes[k]; ok || k == "price" || k == "stock" || attributeHolding(p, k) != "" {
				found = true
			}
		}
		if !found {
			return true
		}
	}
	return false
}

// valuePatterns find an attribute's value written in a description.
var valuePatterns = map[string]*regexp.Regexp{
	"dimensions": regexp.MustCompile(`\d+(?:\.\d+)?\s*[×x]\s*\d+`),
	"length":     regexp.MustCompile(`(?i)\d+(?:\.\d+)?\s*(?:m|cm|mm|in|ft|米|厘米)\b`),
	"capacity":   regexp.MustCompile(`(?i)\d+(?:\.\d+)?\s*(?:ml|l|mah|oz|毫升|升)\b`),
	"weight":     regexp.MustCompile(`(?i)\d+(?:\.\d+)?\s*(?:kg|g|gsm|lbs?|克|公斤)\b`),
	"runtime":    regexp.MustCompile(`(?i)\d+\s*(?:hours?|hrs?|h|小时)\b`),
	"burn_time":  regexp.MustCompile(`(?i)\d+\s*(?:hours?|hrs?|h|小时)\b`),
	"output":     regexp.MustCompile(`\d+\s*W\b`),
	"included":   regexp.MustCompile(`(?i)includ|comes with|in the box|附带|包含|配有|不含`),
	"pieces":     regexp.MustCompile(`(?i)\b(?:sold (?:per|as|in)|per (?:panel|piece|pair|pack|set|unit)|set of|pack of)\b|每[片个条件套]`),
}

// attributeHolding is the product's attribute whose value states the asked
// fact k that it has no attribute of its own for ("12 W adapter included"
// says what is included), or "".
func attributeHolding(p knowledge.Product, k string) string {
	re := valuePatterns[k]
	if _, ok := p.Attributes[k]; ok || re == nil {
		return ""
	}
	for _, other := range slices.Sorted(maps.Keys(p.Attributes)) {
		if re.MatchString(fmt.Sprint(p.Attributes[other])) {
			return other
		}
	}
	return ""
}

// vagueFor are the attributes a cue also points to that say less than the
// value found in the description: "Size: Queen" for "how big".
var vagueFor = map[string][]string{"dimensions": {"size", "length", "capacity"}}

// sentenceMatching is the first description sentence re matches, or "".
func sentenceMatching(description string, re *regexp.Regexp) string {
	for _, s := range sentences(description) {
		if re.MatchString(s) {
			return s
		}
	}
	return ""
}

// describingSentence is the description sentence that shares the most of
// the question's asked terms (askedTerms: "能带上飞机吗" finds "Airline
// carry-on safe."), or "", with a second sentence for a question of two
// parts (below).
func describingSentence(description string, q map[string]bool) string {
	if len(q) == 0 {
		return ""
	}
	type scored struct {
		s string
		n int
	}
	var best []scored
	for _, s := range sentences(description) {
		if n := askedIn(s, q, nil); n > 0 {
			best = append(best, scored{s, n})
		}
	}
	if len(best) == 0 {
		return ""
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].n > best[j].n })
	// A question of two parts ("how many times will it charge a phone, and
	// can i bring it on a flight") may want a second sentence: the next
	// that has at least two of its words the first lacks.
	covered := retrieval.TermSet(best[0].s)
	for _, b := range best[1:] {
		if askedIn(b.s, q, covered) >= 2 {
			return best[0].s + sentenceSep(best[0].s) + b.s
		}
	}
	return best[0].s
}

// saysMore reports whether sentence s has one of the question's asked
// terms (askedTerms) that the answer so far lacks.
func saysMore(s, answer string, q map[string]bool) bool {
	return askedIn(s, q, retrieval.TermSet(answer)) > 0
}

// askedIn is how many of the asked terms q sentence s has that have is
// without.
func askedIn(s string, q, have map[string]bool) int {
	n := 0
	for t := range retrieval.TermSet(s) {
		if q[t] && !have[t] {
			n++
		}
	}
	return n
}

// askedTerms are the question's terms and their synonyms' that a
// description sentence may share, without the product's name (in the
// shop's words or the vocabulary's, 竹制收纳盒: bamboo storage box, it says
// nothing about the product) and without single letters and characters.
func askedTerms(question, title string, vocab *retrieval.Vocabulary) map[string]bool {
	q := vocab.TermSet(timesOf.ReplaceAllString(question, " "))
	for t := range q {
		if len([]rune(t)) < 2 { // one letter or character says nothing of its own
			delete(q, t)
		}
	}
	for t := range vocab.TermSet(title) {
		delete(q, t)
	}
	return q
}

// timesOf are "the first time", "every time": when, not the burn time.
var timesOf = regexp.MustCompile(`(?i)\b(?:first|next|last|every|this|that|some|any|each|one|same)\s+time\b`)

// asksForSuggestions reports whether a message asks what to buy ("what
// would you recommend for me?", "有什么推荐的吗").
func asksForSuggestions(text string) bool {
	return containsAny(phraseText(text), suggestionCues)
}

var suggestionCues = []string{"recommend", "suggest", "what should i buy", "what should i get", "something for me", "i might like",
	"would i like", "推荐", "买什么好", "还有什么好", "适合我"}

// relatedProducts is how many suggestions a verified shopper (and the
// agent in the console) sees.
const relatedProducts = 4

// suggestionAnswer suggests products related to what a verified shopper
// bought before (never what they sent back): the reply to "what would you
// recommend?" that names no product.
func (e *Engine) suggestionAnswer(ctx context.Context, q *question) (reply, bool) {
	related, err := e.opts.Commerce.Related(ctx, q.site.ID, *q.customer, relatedProducts)
	if err != nil {
		e.logger.Warn("related products", "site", q.site.ID, "error", err)
		return reply{}, false
	}
	if len(related) == 0 {
		return reply{}, false
	}
	var b strings.Builder
	b.WriteString(say(q.lang, "related"))
	for _, p := range related {
		fmt.Fprintf(&b, "\n• %s — %s", p.Title, money(p.Price, p.Currency))
	}
	return reply{text: b.String(), products: productCards(related), answered: true, kind: kindProduct}, true
}

// listsBy reports whether a question that names no product gives products
// to be listed by: a word of their titles ("linen"), a price, colour or
// size, or the cheapest or dearest of all (not the cheapest way to get
// something to a place).
func listsBy(text string, pq knowledge.ProductQuery, titleWords map[string]bool) bool {
	by := pq
	by.InStock = false // "back in stock" lists nothing by itself
	if slices.Contains(placeWords(retrieval.Words(text)), true) {
		by.Cheapest, by.Dearest = false, false
	}
	return by.Filtered() || slices.ContainsFunc(retrieval.SearchTerms(text), func(t string) bool { return titleWords[t] && !questionWords[t] })
}
