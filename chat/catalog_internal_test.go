package chat

import (
	"slices"
	"strings"
	"testing"

	"kefu/knowledge"
	"kefu/retrieval"
)

func TestListingNeedsWholeWords(t *testing.T) {
	for text, want := range map[string]bool{
		"got any linen sheets?":                                     true,
		"do you sell iPhone cases":                                  true,
		"有没有卖猫粮":                                                    true,
		"candle burn time? how many hrs":                            false, // "many " is not "any "
		"is the company in Shanghai?":                               false,
		"first time lighting my new candle, anything i should know": false, // advice, not a list of products
		"anything else i need to know about the warranty?":          false,
		"竹盒子有没有味道啊":                                                 false, // whether it has a smell, not a list
		"有没有便宜的台灯":                                                  true,  // a filter on what the shop has
		"有没有蓝牙音箱":                                                   true,
	} {
		if got := listing(text); got != want {
			t.Errorf("listing(%q) = %v, want %v", text, got, want)
		}
	}
}

// Whether a product works in a place the shopper names is a question of
// its plug and power, which only the catalog answers (the product's own
// name, "smart plugs", asks nothing); working in a kitchen or a room is
// not, nor is shipping it to the place.
func TestWorksInAPlaceAsksThePlug(t *testing.T) {
	plug := knowledge.Product{Title: "Smart Plug (2-Pack)"}
	for text, want := range map[string]bool{
		"will the smart plugs work in my flat in london": true,
		"can i use the smart plugs in sydney":            true,
		"will the smart plugs work in my kitchen":        false,
		"will the smart plugs work in a small bedroom":   false,
		"do you ship the smart plugs to london":          false,
	} {
		if got := catalogFact(text, plug); got != want {
			t.Errorf("catalogFact(%q) = %v, want %v (asked: %v)", text, got, want, asked(withoutTitle(text, plug.Title)))
		}
	}
}

func TestAskedHowLong(t *testing.T) {
	if got := asked("how long before paypal gives me my money back"); slices.Contains(got, "length") {
		t.Errorf("a question about when asks %v, want no length", got)
	}
	if got := asked("i think i saw a 42 charge"); slices.Contains(got, "material") {
		t.Errorf("asked(think) = %v, want no material: think is not thin", got)
	}
	for _, text := range []string{"anything i should know before i buy this thing", "can i pay in euros"} {
		if got := asked(text); slices.Contains(got, "material") || slices.Contains(got, "plug_type") {
			t.Errorf("asked(%q) = %v: thing is not thin, euros are no plug", text, got)
		}
	}
	if got := asked("sunrise alarm clock 有几种闹铃声音"); !slices.Contains(got, "sounds") {
		t.Errorf("有几种闹铃声音 asks %v, want the sounds", got)
	}
	if got := asked("风扇声音大吗"); slices.Contains(got, "sounds") {
		t.Errorf("声音大 asks %v, want the noise, not the sounds", got)
	}
	// batteries put in ask what powers it, not the battery's capacity
	for _, text := range []string{"sunrise alarm clock 要装电池吗", "does the diffuser need batteries"} {
		if got := askedGroups(text); len(got) != 1 || !slices.Contains(got[0], "power") {
			t.Errorf("%q asks %v, want one question: what powers it", text, got)
		}
	}
	if got := asked("蜡烛能点多久"); !slices.Contains(got, "burn_time") {
		t.Errorf("蜡烛能点多久 asks %v, want the burn time", got)
	}
	if got := asked("is the tee thin?"); !slices.Contains(got, "material") {
		t.Errorf("asked(thin) = %v, want material", got)
	}
	if got := asked("how long is the cable?"); !slices.Contains(got, "length") {
		t.Errorf("a question about the cable's length asks %v, want length", got)
	}
	// "r" is how shoppers type "are"; "wattage" asks the output, not a bulb
	if got := asked("how long r the braided usb c cables and whats the max wattage"); !slices.Contains(got, "length") ||
		!slices.Contains(got, "output") || slices.Contains(got, "max_bulb") {
		t.Errorf("how long r … wattage asks %v, want the length and the output", got)
	}
	if got := asked("rattan lamp shade - does it come w the bulb and cord"); !slices.Contains(got, "included") {
		t.Errorf("come w asks %v, want what is included", got)
	}
	// a charger is what plugs in, not the battery it charges
	if got := asked("does the aura lamp come w a plug or do i need my own charger brick"); slices.Contains(got, "battery") ||
		!slices.Contains(got, "power") {
		t.Errorf("a charger brick asks %v, want the power and not the battery", got)
	}
	// "charge" asks for the battery in a question of how much or what,
	// not in one of how to use it
	for q, want := range map[string]bool{"heading overseas for months, charge the power bank to full first?": false,
		"power bank 冬天放车里充电 ok 吗": false, "how many times will it charge my phone": true, "那充电是什么接口的": true} {
		if got := slices.Contains(asked(q), "capacity"); got != want {
			t.Errorf("asked(%q) = %v: capacity %v, want %v", q, asked(q), got, want)
		}
	}
	// ordering now, or when it is back, asks whether it is in stock
	for _, q := range []string{"want 2 of the blackout curtains, can i order them now?", "ok but can i actually buy one rn", "ugh when are they back"} {
		if got := asked(q); !slices.Contains(got, "stock") {
			t.Errorf("asked(%q) = %v, want the stock", q, got)
		}
	}
}

func TestCatalogFactIgnoresTheProductsName(t *testing.T) {
	plug := knowledge.Product{Title: "Smart Plug (2-Pack)"}
	candle := knowledge.Product{Title: "Soy Wax Candle – Cedar & Fig 200 g"}
	for _, c := range []struct {
		text string
		p    knowledge.Product
		want bool
	}{
		{"smart plug reset, how do I do it", plug, false}, // the name says "plug", the question does not ask the plug type
		{"does the smart plug fit a UK socket", plug, true},
		{"candle burn time? how many hrs", candle, true},
		{"how much is the candle", candle, false}, // the price: any mention asks it
		// the rest of a Chinese question is read as written: 加满水能开多久 asks 开多久
		{"diffuser 加满水能开多久", knowledge.Product{Title: "Ultrasonic Aroma Diffuser"}, true},
	} {
		if got := catalogFact(c.text, c.p); got != c.want {
			t.Errorf("catalogFact(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// A message that mentions a product but asks how a policy applies to it, a
// comparison or health advice is not answered with the product's data.
func TestNotForCatalog(t *testing.T) {
	for text, want := range map[string]bool{
		"whats it cost me to send back a lamp i dont want anymore":              true,
		"the lamp i bought 18 months ago just died. anything u can do":          true,
		"why is my bank showing the charge in dollars":                          true,
		"my toddler has eczema, is linen or cotton better for her skin":         true,
		"孕妇可以用香薰机吗":                                                             true,
		"30多美元的充电宝坏了，要把坏的寄回去吗":                                                  true,
		"can i return the socks if i opened them":                               true,
		"the kettle i got 3 weeks ago only heats halfway now":                   true,
		"how short do i trim the wick on the cedar candle":                      true,
		"拖鞋穿过一次还能退吗":                                                            true,
		"睡袍补货了能通知我吗":                                                            true,
		"do you sell wholesale? we want 30 mugs for our cafe":                   true,
		"cheapest way to get the lamp shipped to manchester":                    true,
		"if i pick the cheapest shipping how long till it shows up":             true,
		"台灯寄到新加坡运费多少":                                                           true,
		"is the soy candle safe to burn around my cats":                         true,
		"卫衣买了M码太小了 想换L 要另外付钱吗":                                                  true,
		"卫衣看着有点短，想要长一点选什么码":                                                     true,
		"im 5'4, which size should i get in the linen shirt":                    true,
		"robe 我 180cm 应该选哪个 size":                                               true,
		"这个 tote 我不想要了 可以换成 store credit 吗":                                     true,
		"音箱进水了还能用吗":                                                             true,
		"whats the inseam on the linen trousers in a large":                     true,
		"那个竹子的盒子有没有甲醛检测报告":                                                      true,
		"真丝眼罩能去黑眼圈吗":                                                            true,
		"is it ok to run the aroma diffuser with essential oils if i have cats": true,
		"I run a small cafe and want 40 mugs, who do i talk to":                 true,
		"if i spend over 100 on towels is shipping free":                        true,
		"is the waffle robe in stock? need it for a gift":                       false,
		"whats the hoodie made of, is it thick?":                                false,
		"有没有蓝牙耳机，防水吗":                                                           false,
		"does the rattan lamp come with a bulb?":                                false,
		"how long do the earbuds last on a charge":                              false, // a battery's charge
		"i see a charge on my card for the earbuds":                             true,
	} {
		if got := notCatalogTopic(text) || comparesWithOther(text); got != want {
			t.Errorf("notCatalogTopic || comparesWithOther (%q) = %v, want %v", text, got, want)
		}
	}
}

// A product's price asked with its warranty is the catalog's; a warranty
// question about a fault or a claim is the policy's.
func TestWarrantyWithFacts(t *testing.T) {
	for text, want := range map[string]bool{
		"那个touch lamp多少钱 有warranty吗":                                                   true,
		"how much is the speaker and whats the warranty":                               true,
		"the lamp died, is it under warranty":                                          false,
		"whats the warranty on the earbuds":                                            false, // the policy's table says more
		"蓝牙音箱过保了坏了 还有办法吗":                                                              false,
		"power bank 电池不太行了 能走 warranty 吗 买了半年":                                         false,
		"used a random gas station charger and now my desk fan wont charge. warranty?": false,
	} {
		if got := warrantyWithFacts(text); got != want {
			t.Errorf("warrantyWithFacts(%q) = %v, want %v", text, got, want)
		}
	}
}

// How to do something with a product is not in its entry; how much, how
// big or how long is.
func TestAsksProcedure(t *testing.T) {
	for text, want := range map[string]bool{
		"my smart plug wont show up on my wifi, how do i reset it": true,
		"how to descale the kettle":                                true,
		"香薰机如何清洗":                                                  true,
		"耳机连不上怎么办":                                                 true,
		"how much is the smart plug":                               false,
		"how long does the fan run on one charge":                  false,
		"how big is the walnut board":                              false,
		"香薰机多少钱":                                                   false,
	} {
		if got := asksProcedure(text); got != want {
			t.Errorf("asksProcedure(%q) = %v, want %v", text, got, want)
		}
	}
}

// "How heavy" asks the weight, not the material; 色温 (colour temperature)
// is not a colour.
func TestAskedWeightAndColour(t *testing.T) {
	if got := asked("how heavy is the queen duvet set?"); slices.Contains(got, "material") || !slices.Contains(got, "weight") {
		t.Errorf("how heavy asks %v, want the weight alone", got)
	}
	if got := asked("Aura lamp 色温能调吗 多少 K"); slices.Contains(got, "color") {
		t.Errorf("色温 asks %v, want no colour", got)
	}
	if got := asked("linen 裤子有什么颜色"); !slices.Contains(got, "color") {
		t.Errorf("有什么颜色 asks %v, want the colour", got)
	}
	if got := asked("is the aura lamp dimmable, and what colour temperature?"); slices.Contains(got, "color") {
		t.Errorf("colour temperature asks %v, want no colour", got)
	}
	for text, key := range map[string]string{"Aura lamp 色温能调吗 多少 K": "color_temperature", "smart plug wont show up on my 5ghz wifi": "wifi",
		"三合一无线充是什么协议 手机能充多少瓦": "standard", "is the desk fan noisy at night": "noise",
		"台灯要插电吗": "power", "is the kettle cordless or does it need the mains": "power"} {
		if got := asked(text); !slices.Contains(got, key) {
			t.Errorf("asked(%q) = %v, want %s", text, got, key)
		}
	}
}

// A size asked for that the attributes lack is read from the description,
// not answered with the vaguer "Size: Queen"; a weight that neither states
// is not found.
func TestDescribeProductReadsTheDescription(t *testing.T) {
	duvet := knowledge.Product{Title: "Stonewashed Linen Duvet Cover Set (Queen)", Price: 129, Currency: "USD", Stock: 18,
		Attributes:  map[string]any{"material": "100% linen", "size": "Queen"},
		Description: "Duvet cover and two pillowcases in 100% European flax linen. Queen duvet cover 228 × 230 cm; pillowcases 51 × 76 cm."}
	text := "how big is the queen linen duvet cover exactly"
	got, specific := describeProduct("en", duvet, text, knowledge.ParseProductQuery(text))
	if !specific || !strings.Contains(got, "228 × 230 cm") || strings.Contains(got, "Size: Queen") {
		t.Errorf("how big: %q (specific %v); want the description's dimensions, not the size name", got, specific)
	}
	socks := knowledge.Product{Title: "Merino Crew Socks (3-Pack)", Attributes: map[string]any{"material": "60% merino wool, 37% nylon"}}
	text = "羊毛袜用洗衣机洗的话 水温多少"
	if got, specific := describeProduct("zh", socks, text, knowledge.ParseProductQuery(text)); specific {
		t.Errorf("wash temperature: %q is specific; the socks' data says their material, not how to wash them", got)
	}
	shirt := knowledge.Product{Title: "Washed Linen Shirt", Attributes: map[string]any{"colors_available": "White, Navy"}}
	text = "washed linen shirt - what colours u got?"
	if got, specific := describeProduct("en", shirt, text, knowledge.ParseProductQuery(text)); !specific {
		t.Errorf("colours of the Washed Linen Shirt: %q not specific; its name does not ask how to wash it", got)
	}
	text = "how heavy is the queen duvet set?"
	if got, specific := describeProduct("en", duvet, text, knowledge.ParseProductQuery(text)); specific {
		t.Errorf("how heavy: %q is specific; the product states no weight", got)
	}
	// A measurement the data does not state is not answered by a sentence
	// on the part asked about.
	grinder := knowledge.Product{Title: "Portable Coffee Grinder", Attributes: map[string]any{"capacity": "20 g"},
		Description: "Conical stainless steel burr with 5 grind settings."}
	text = "what is the burr diameter of the coffee grinder"
	if got, specific := describeProduct("en", grinder, text, knowledge.ParseProductQuery(text)); specific {
		t.Errorf("burr diameter: %q is specific; the grinder states none", got)
	}
	// An item out of stock says so, and when it is back, whatever was asked.
	curtain := knowledge.Product{Title: "Blackout Linen Curtain Panel", Price: 69, Currency: "USD", Stock: 0,
		Attributes: map[string]any{"restock": "Expected January 2027", "material": "100% linen"}}
	text = "how much is the blackout curtain"
	if got, specific := describeProduct("en", curtain, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "$69.00") ||
		!strings.Contains(got, "Out of stock") || !strings.Contains(got, "January 2027") {
		t.Errorf("price of an item out of stock: %q (specific %v); want the price, that it is out of stock and when it is back", got, specific)
	}
	if got, _ := describeProduct("en", duvet, "how much is the duvet set", knowledge.ParseProductQuery("how much is the duvet set")); strings.Contains(got, "stock") {
		t.Errorf("price of an item in stock: %q; want no stock note", got)
	}
	// Two facts asked for, each in its own sentence of the description,
	// are both said; what comes in the box is read where it says so.
	stand := knowledge.Product{Title: "Wireless Charging Stand", Attributes: map[string]any{"color": "Black"},
		Description: "A weighted stand with a 2 m cable. Charges at up to 15 W. Power adapter included."}
	text = "how long is the cable on the charging stand and how many watts"
	if got, specific := describeProduct("en", stand, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "2 m cable") || !strings.Contains(got, "15 W") {
		t.Errorf("length and wattage: %q (specific %v); want both sentences", got, specific)
	}
	text = "does the charging stand come with the wall adaptor? and what colour is it"
	if got, specific := describeProduct("en", stand, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "Black") || !strings.Contains(got, "adapter included") {
		t.Errorf("adapter and colour: %q (specific %v); want the colour and what is included", got, specific)
	}
	// a time asked for is the sentence that states one, though it shares
	// no word with the question but the product's name
	clock := knowledge.Product{Title: "Sunrise Alarm Clock", Attributes: map[string]any{"color": "White"},
		Description: "Wakes you gradually with 30 minutes of simulated sunrise. Includes FM radio."}
	text = "sunrise alarm clock - does it have a radio and how long is the sunrise bit"
	if got, specific := describeProduct("en", clock, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "FM radio") || !strings.Contains(got, "30 minutes") {
		t.Errorf("radio and sunrise time: %q (specific %v); want both", got, specific)
	}
	// what comes in the box may be said by another attribute's value
	lamp := knowledge.Product{Title: "Aura Bedside Lamp", Attributes: map[string]any{"power": "USB-C, 12 W adapter included", "warranty": "12 months"},
		Description: "Dimmable LED bedside lamp with a linen shade."}
	text = "does the aura lamp come w a plug or do i need my own charger brick"
	if got, specific := describeProduct("en", lamp, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "12 W adapter included") {
		t.Errorf("plug included: %q (specific %v); want the power attribute that says the adapter is included", got, specific)
	}
	// a typo still asks the measurements; whether a price is for one or a pair is read where the description says how it is sold
	text = "linen duvet set queen - exact measurments pls, and r pilowcases included"
	if got, specific := describeProduct("en", duvet, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "51 × 76 cm") {
		t.Errorf("measurments: %q (specific %v); want the sentence with the measurements", got, specific)
	}
	panel := knowledge.Product{Title: "Blackout Linen Curtain Panel", Price: 69, Currency: "USD", Stock: 4,
		Description: "Linen-look curtain panel with a thermal blackout backing. Sold per panel, 140 × 250 cm."}
	text = "blackout curtain, is that price for a pair or one"
	if got, specific := describeProduct("en", panel, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "Sold per panel") {
		t.Errorf("a pair or one: %q (specific %v); want how it is sold", got, specific)
	}
	// "the first time" says when, not the candle's burn time
	candle := knowledge.Product{Title: "Soy Wax Candle – Cedar & Fig 200 g", Attributes: map[string]any{"scent": "Cedar & Fig"},
		Description: "Hand-poured soy wax candle. Burn time around 45 hours."}
	text = "first time lighting my new candle, anything i should know"
	if got, specific := describeProduct("en", candle, text, knowledge.ParseProductQuery(text)); specific {
		t.Errorf("first time lighting: %q is specific; the description says nothing about a first burn", got)
	}
	// An attribute of the shop's own, named by its key, answers.
	alarm := knowledge.Product{Title: "Sunrise Alarm Clock", Attributes: map[string]any{"sounds": "7 natural sounds + FM radio", "burn_time": "-"},
		Description: "Wakes you with a simulated sunrise and gentle nature sounds."}
	text = "what sounds does the sunrise alarm have"
	if got, specific := describeProduct("en", alarm, text, knowledge.ParseProductQuery(text)); !specific || !strings.Contains(got, "Sounds: 7 natural sounds + FM radio") {
		t.Errorf("the shop's own attribute: %q (specific %v); want its value, labelled", got, specific)
	}
}

// A Chinese question finds the English description's sentence through the
// shop vocabulary ("能带上飞机吗": "Airline carry-on safe.").
func TestDescribingSentenceAcrossLanguages(t *testing.T) {
	desc := "Slim 10000 mAh power bank with 20 W USB-C PD fast charging in and out. Charges most phones about twice. Airline carry-on safe."
	got := describingSentence(desc, askedTerms("容量多大？能带上飞机吗", "Pocket Power Bank 10000 mAh", retrieval.BuiltinVocabulary()))
	if got != "Airline carry-on safe." {
		t.Errorf("describing sentence = %q, want the carry-on sentence", got)
	}
	// two parts, two sentences; a second with one word more is not added
	got = describingSentence(desc, askedTerms("how many times will it charge a phone, and can i bring it on a flight", "Pocket Power Bank 10000 mAh", retrieval.BuiltinVocabulary()))
	if !strings.Contains(got, "carry-on") || !strings.Contains(got, "twice") {
		t.Errorf("describing sentence = %q, want the carry-on and the phone-charges sentences", got)
	}
	got = describingSentence(desc, askedTerms("can i bring it on a flight? is it slim", "Pocket Power Bank 10000 mAh", retrieval.BuiltinVocabulary()))
	if got != "Airline carry-on safe." {
		t.Errorf("describing sentence = %q, want only the carry-on sentence", got)
	}
}

// Shoppers' words for what a description says in its own: cutting a strip
// (剪), a candle's smell (its notes), a curtain's light (遮光).
func TestDescribingSentenceShopperWords(t *testing.T) {
	for _, c := range []struct{ desc, question, title, want string }{
		{"Warm-to-cool white and RGB LED strip with app and remote control. Cut-to-length every 10 cm, with adhesive backing.",
			"LED strip 太长了 可以剪吗 多长剪一段", "LED Strip Light Kit 5 m", "Cut-to-length every 10 cm"},
		{"Hand-poured soy wax candle with notes of cedarwood, green fig and a little black pepper. Cotton wick, reusable amber glass jar.",
			"what does the cedar candle actually smell like", "Soy Wax Candle – Cedar & Fig 200 g", "notes of cedarwood"},
		{"Linen-look curtain panel with a thermal blackout backing that blocks around 95% of light. Hidden back tabs and rod pocket.",
			"遮光窗帘能遮多少光", "Blackout Linen Curtain Panel", "95% of light"},
		{"天然竹材手工拼接，大中小三个尺寸可叠放。表面为食品级木蜡油处理，无刺鼻气味。",
			"竹制收纳盒有没有味道", "竹制收纳盒三件套", "木蜡油"},
	} {
		if got := describingSentence(c.desc, askedTerms(c.question, c.title, retrieval.BuiltinVocabulary())); !strings.Contains(got, c.want) {
			t.Errorf("%s: describing sentence = %q, want %q in it", c.question, got, c.want)
		}
	}
}

// A word that asks for an attribute ("colour") is about the product, though
// its data calls the attribute "color".
func TestUncoveredIgnoresAttributeWords(t *testing.T) {
	mug := knowledge.Product{Title: "Hand-Thrown Ceramic Mug 350 ml", Attributes: map[string]any{"color": "Celadon", "dishwasher_safe": true}}
	if uncovered("what colour is the ceramic mug", mug, nil) {
		t.Errorf("'what colour is the ceramic mug' has a word the mug's data lacks; want none")
	}
	if !uncovered("is the ceramic mug lead free", mug, nil) {
		t.Errorf("'lead free' is not in the mug's data; want it uncovered")
	}
}

// Of two alternatives, the one the data has answers: "elastic or is there
// a button" is answered by an elasticated waist; neither of two the data
// lacks is.
func TestUncoveredAlternatives(t *testing.T) {
	trousers := knowledge.Product{Title: "Relaxed Linen Trousers", Description: "Wide-leg trousers in washed linen with an elasticated back waist and side pockets."}
	for q, want := range map[string]bool{
		"is the waist elastic or is there a button": false,
		"is there a button or a zip":                true,
		"is there a button":                         true,
	} {
		if got := uncovered(q, trousers, nil); got != want {
			t.Errorf("uncovered(%q) = %v, want %v", q, got, want)
		}
	}
}

// A Chinese word cannot be checked against data in English only: the
// question's English word the data has says what it asks; without one,
// the Chinese words still count.
func TestUncoveredMixedLanguage(t *testing.T) {
	speaker := knowledge.Product{Title: "Mini Bluetooth Speaker", Description: "Palm-sized speaker. Pair two for stereo."}
	mask := knowledge.Product{Title: "Mulberry Silk Sleep Mask", Description: "22 momme mulberry silk. Blocks light."}
	curtain := knowledge.Product{Title: "Blackout Linen Curtain Panel", Attributes: map[string]any{"care": "Wash 30 °C, do not tumble dry"}}
	for _, c := range []struct {
		q    string
		p    knowledge.Product
		want bool
	}{
		{"mini speaker 可以两个一起连成 stereo 吗", speaker, false},
		{"mini speaker 防水吗 能带去游泳吗", speaker, true},
		{"silk sleep mask 能治失眠吗", mask, true},
		{"blackout curtain 按标签 30 度洗的 涂层掉了 能换吗", curtain, true}, // a number is no English word
	} {
		if got := uncovered(c.q, c.p, nil); got != c.want {
			t.Errorf("uncovered(%q) = %v, want %v", c.q, got, c.want)
		}
	}
	// … or a synonym of the word: a drawstring is the data's drawcord
	hoodie := knowledge.Product{Title: "Heavyweight Loopback Hoodie", Description: "A double-layer hood, no drawcords."}
	if uncovered("那个 hoodie 帽子有 drawstring 吗", hoodie, retrieval.BuiltinVocabulary()) {
		t.Errorf("帽子有 drawstring 吗: uncovered; want the drawcords the hoodie's data says")
	}
}

// "最大" asks which size is the largest, not about something the hoodie's
// data lacks; "什么木头" asks the material.
func TestUncoveredSuperlativesAndMaterial(t *testing.T) {
	hoodie := knowledge.Product{Title: "Heavyweight Loopback Hoodie", Attributes: map[string]any{"sizes": "XS, S, M, L, XL, XXL"}}
	if uncovered("卫衣最大有几码", hoodie, nil) {
		t.Errorf("卫衣最大有几码 has a word the hoodie's data lacks; want none")
	}
	if got := asked("walnut board 是什么木头 多大"); !slices.Contains(got, "material") {
		t.Errorf("什么木头 asks %v, want the material", got)
	}
}

// "要不要" asks whether (its 不要 is no word of substance), "两个" how many,
// and 日出闹钟 is the Sunrise Alarm Clock in the vocabulary's words.
func TestUncoveredAskingWords(t *testing.T) {
	speaker := knowledge.Product{Title: "Mini Bluetooth Speaker", Description: "Pair two for stereo. 12 hours of playback."}
	clock := knowledge.Product{Title: "Sunrise Alarm Clock", Description: "Includes FM radio."}
	voc := retrieval.BuiltinVocabulary()
	for text, p := range map[string]knowledge.Product{
		"speaker 要不要 pair":     speaker,
		"两个 speaker 可以 pair 吗": speaker,
		"日出闹钟有 radio 吗":        clock,
	} {
		if uncovered(text, p, voc) {
			t.Errorf("%q has a word the %s's data lacks; want none", text, p.Title)
		}
	}
	if !uncovered("speaker 要不要下载 app", speaker, voc) {
		t.Errorf("an app is not in the speaker's data; want it uncovered")
	}
}

// A question's word the vocabulary gives the product's words for is about
// the product ("hand luggage": "Airline carry-on safe"), and flying asks the
// battery's capacity; a description sentence that only names the product
// in other words ("Bamboo storage boxes") answers nothing.
func TestCatalogReadsTheVocabulary(t *testing.T) {
	vocab := retrieval.BuiltinVocabulary()
	pb := knowledge.Product{Title: "Pocket Power Bank 10000 mAh", Stock: 3, Attributes: map[string]any{"capacity": "10000 mAh / 37 Wh"},
		Description: "Slim power bank with 20 W fast charging. Airline carry-on safe."}
	text := "can the power bank go in my hand luggage"
	if uncovered(text, pb, vocab) {
		t.Errorf("%q: uncovered with the vocabulary; want covered (carry-on)", text)
	}
	if !uncovered(text, pb, nil) {
		t.Errorf("%q: covered without the vocabulary; the test no longer shows what the vocabulary adds", text)
	}
	text = "can i bring the power bank on a plane"
	pq := knowledge.ParseProductQuery(text)
	pq.Vocabulary = vocab
	if got, specific := describeProduct("en", pb, text, pq); !specific || !strings.Contains(got, "37 Wh") || !strings.Contains(got, "carry-on") {
		t.Errorf("%q: %q (specific %v); want the capacity and the carry-on sentence", text, got, specific)
	}
	boxes := knowledge.Product{Title: "竹制收纳盒三件套", Description: "天然竹材手工拼接，大中小三个尺寸可叠放。（Bamboo storage boxes, set of 3.）"}
	if got := describingSentence(boxes.Description, askedTerms("竹子收纳盒怎么清洁", boxes.Title, vocab)); got != "" {
		t.Errorf("how to clean the boxes: describing sentence %q; want none (it only names them)", got)
	}
	for text, key := range map[string]string{"那个雪松无花果的蜡烛能烧多久": "burn_time", "香薰机水箱多大": "capacity", "how many wh is it": "capacity"} {
		if got := asked(text); !slices.Contains(got, key) {
			t.Errorf("%q asks %v; want %s among them", text, got, key)
		}
	}
}

// "几档" asks how many of what the data counts ("5 档"), "行不行" only
// asks; a cue word two attributes share ("socket": a plug's or a bulb's)
// asks one thing; a shower asks about water.
func TestCatalogQuestionWords(t *testing.T) {
	grinder := knowledge.Product{Title: "便携式电动磨豆机", Description: "锥形不锈钢刀盘，5 档粗细可调，从意式到手冲都能磨。"}
	if uncovered("磨豆机粗细能调几档 做意式行不行", grinder, nil) {
		t.Errorf("the grinder's settings: uncovered; want 几档 and 行不行 covered")
	}
	if !uncovered("磨豆机能磨花椒吗", grinder, nil) {
		t.Errorf("peppercorns: covered; want uncovered (the grinder's data has no 花椒)")
	}
	plug := knowledge.Product{Title: "Smart Plug", Attributes: map[string]any{"plug_type": "US (Type B)"}}
	if groups := askedGroups("smart plug 在英国能用吗？uk socket"); partlyUnknown(groups, plug) {
		t.Errorf("uk socket asks %v: partly unknown for a plug with a plug type; want one question", groups)
	}
	if got := asked("is the mini speaker ok to use in the shower"); !slices.Contains(got, "water_resistance") {
		t.Errorf("shower asks %v; want the water resistance", got)
	}
}

// English cues are whole words or words with an ending ("colours",
// "washable"), wherever they stand next to Chinese; mistyped by a letter
// they still ask; the start of a compound asks nothing.
func TestAskedCueWords(t *testing.T) {
	for _, tt := range []struct {
		text      string
		want, not []string
	}{
		{"how much is the bathrobe", []string{"price"}, []string{"water_resistance"}}, // not a bath
		{"智能插座支持5G的wifi吗", []string{"wifi"}, nil},
		{"is the throw washable", []string{"care"}, nil},
		{"the 3 in 1 charger - how fast does it charge the phone", []string{"output"}, nil},
		{"三合一充电座给手机充多少瓦的", []string{"output"}, []string{"battery"}}, // a charging stand is a name, not charging
		{"无线充电器多少钱", []string{"price"}, []string{"battery", "power"}},
		{"ok how long does the batery last", []string{"battery"}, nil},
		{"is the speaker waterprof", []string{"water_resistance"}, nil},
		{"can it get wet? taking it to the beach", []string{"water_resistance"}, nil},
		{"音箱去海边会不会进水", []string{"water_resistance"}, nil},
		{"is the quilted jacket real down or synthetic", []string{"material"}, nil},
		{"针织毛毯多大的，什么料子", []string{"material", "dimensions"}, nil},
		{"帆布包多少块", []string{"price"}, nil},
		{"hoodie 的版型是 oversize 那种吗", []string{"fit"}, nil},
		{"有机棉t恤多少克重的", []string{"weight"}, nil},
		{"duvet cover 可以机洗吗", []string{"care"}, nil},
		{"quilted jacket 还剩几件? 只有 olive 一个色吗", []string{"stock", "color"}, []string{"pieces"}},
		{"does the walnut board ship from ur us warehouse or from china", []string{"ships_from"}, nil},
		{"the page said ships from shanghai, will I pay more for customs", nil, []string{"ships_from"}},
		{"藤编灯罩直径多少", []string{"dimensions"}, []string{"capacity"}},
		{"how tall is the lamp", []string{"dimensions"}, nil},
		{"can i use the charger without buying a plug seperately?", []string{"included"}, nil},
		{"what colour temps does the lamp do", []string{"color_temperature"}, []string{"color"}},
		{"磨豆机一次能磨多少克", []string{"capacity"}, nil},
		{"连帽卫衣中号的衣长是多少", []string{"length"}, nil}, // the size guide's, not the hoodie's price
		{"when is the robe coming back", []string{"restock"}, nil},
		{"socks 是纯 merino 的吗", []string{"material"}, nil},
		{"这个杯子是纯手工做的吗", nil, []string{"material"}}, // handmade, said in its description: 纯 alone names no material
	} {
		got := asked(tt.text)
		for _, k := range tt.want {
			if !slices.Contains(got, k) {
				t.Errorf("asked(%q) = %v, want %s", tt.text, got, k)
			}
		}
		for _, k := range tt.not {
			if slices.Contains(got, k) {
				t.Errorf("asked(%q) = %v, want no %s", tt.text, got, k)
			}
		}
	}
	for text, want := range map[string]string{
		"is it waterprof?":         "is it waterproof?",
		"how long does the batery": "how long does the battery",
		"do you sell candles":      "do you sell candles", // not "smell": too short to be a typo
		"the batter is runny":      "the batter is runny", // a last letter left out is a word
		"电池 batery 多久":             "电池 battery 多久",
	} {
		if got := fixCueTypos(text); got != want {
			t.Errorf("fixCueTypos(%q) = %q, want %q", text, got, want)
		}
	}
	for text, want := range map[string]bool{
		"how many of the rattan shades do u have left": true,
		"还剩几件":                           true,
		"how many watts is the charger":  false,
		"how many hours does it run for": false,
	} {
		if got := asksQuantity(text); got != want {
			t.Errorf("asksQuantity(%q) = %v, want %v", text, got, want)
		}
	}
	if !comparesWithOther("are the loom buds as good as airpods pro for noise cancelling?") {
		t.Error("as good as AirPods compares with another brand's product")
	}
}

// A question asking a figure in a unit is not answered by a reply that
// states none in it.
func TestUnitUnstated(t *testing.T) {
	for _, tt := range []struct {
		q, reply string
		want     bool
	}{
		{"whats the gsm of the linen shirt fabric", "Washed Linen Shirt — Material: 100% linen", true},
		{"waffle towel gsm?", "Waffle Cotton Bath Towel — Weight: 420 gsm", false},
		{"充电宝多少毫安", "Pocket Power Bank 10000 mAh — Capacity: 10000 mAh", false},
		{"台灯多少流明", "Aura Bedside Lamp — Power: USB-C", true},
		{"what colour is the mug", "Hand-Thrown Ceramic Mug 350 ml — Colour: Celadon", false},
	} {
		if got := unitUnstated(tt.q, tt.reply); got != tt.want {
			t.Errorf("unitUnstated(%q, %q) = %v, want %v", tt.q, tt.reply, got, tt.want)
		}
	}
}

// How long to use a product at once is the care advice's limit, not the
// product's total time; how much it takes at once is still the catalog's.
func TestAsksTimeAtOnce(t *testing.T) {
	for text, want := range map[string]bool{
		"how long can i burn the candle at a time": true,
		"香薰蜡烛一次最多可以点几个小时":                          true,
		"蜡烛每次点多久合适":                                true,
		"candle burn time?":                        false,
		"how long does the candle burn":            false,
		"磨豆机一次能磨多少豆子":                              false,
		"how many beans can it grind at a time":    false,
		"香薰机一次能开多久":                                false, // its runtime
	} {
		if got := asksTimeAtOnce.MatchString(text); got != want {
			t.Errorf("asksTimeAtOnce(%q) = %v, want %v", text, got, want)
		}
	}
}

// "What size" of a product sold in one size is its dimensions.
func TestWhatSizeIsTheDimensions(t *testing.T) {
	curtain := knowledge.Product{Title: "Blackout Linen Curtain Panel", Price: 69, Currency: "USD", Stock: 0,
		Attributes: map[string]any{"dimensions": "140 × 250 cm", "restock": "Expected January 2027"}}
	text := "do u still have the blackout curtains and what size r they"
	got, specific := describeProduct("en", curtain, text, knowledge.ParseProductQuery(text))
	if !specific || !strings.Contains(got, "140 × 250 cm") || !strings.Contains(got, "January 2027") {
		t.Errorf("describeProduct = %q (specific %v), want the dimensions and the restock date", got, specific)
	}
}

// A question of two parts, one a description sentence answers for a cue
// (the size) and one another sentence does (how much light it blocks),
// gets both.
func TestDescribeProductAnswersBothParts(t *testing.T) {
	curtain := knowledge.Product{Title: "Blackout Linen Curtain Panel", Price: 69, Currency: "USD", Stock: 3,
		Attributes:  map[string]any{"material": "Linen-look polyester"},
		Description: "Linen-look curtain panel with a thermal blackout backing that blocks around 95% of light. Sold per panel, 140 × 250 cm."}
	text := "how much light does the curtain block, and how big is it"
	got, specific := describeProduct("en", curtain, text, knowledge.ParseProductQuery(text))
	if !specific || !strings.Contains(got, "140 × 250 cm") || !strings.Contains(got, "95% of light") {
		t.Errorf("two parts: %q (specific %v); want the size and the light blocked", got, specific)
	}
	// a second sentence only when it says something asked the answer lacks
	text = "how big is the curtain"
	if got, _ := describeProduct("en", curtain, text, knowledge.ParseProductQuery(text)); strings.Contains(got, "95%") {
		t.Errorf("size only: %q; want no sentence on light", got)
	}
}
