package intents

import (
	"math"
	"strings"

	"github.com/kljensen/snowball/english"

	"kefu/retrieval"
)

// Feedback topics: what a complaint or a CSAT comment is about.
const (
	TopicProductQuality = "product_quality"
	TopicShipping       = "shipping"
	TopicService        = "service"
	TopicPrice          = "price"
	TopicRefundsReturns = "refunds_returns"
	TopicOther          = "other"
)

// TopicInfo names a feedback topic in English and Chinese (for reports).
type TopicInfo struct {
	Name    string `json:"topic"`
	LabelEN string `json:"label_en"`
	LabelZH string `json:"label_zh"`
}

// Topics lists the feedback topics in report order, Other last.
func Topics() []TopicInfo {
	return []TopicInfo{
		{TopicProductQuality, "Product quality", "产品质量"},
		{TopicShipping, "Shipping and delivery", "物流配送"},
		{TopicService, "Service", "客户服务"},
		{TopicPrice, "Price", "价格"},
		{TopicRefundsReturns, "Refunds and returns", "退款退货"},
		{TopicOther, "Other", "其他"},
	}
}

// TopicResult is a feedback text's topic and how sure the lexicon is.
type TopicResult struct {
	Topic      string  `json:"topic"`
	Confidence float64 `json:"confidence"`
}

// cue is a lexicon entry: a word (stemmed when English) and its weight.
// Weights below 1 mark words that also turn up in other topics ("slow",
// "wait", "charge"), so a specific word elsewhere outweighs them.
type cue struct {
	word   string
	weight float64
}

// topicLexicon holds English words (stemmed at start-up, matched against
// retrieval.Terms) and Chinese words (matched as substrings: Chinese has no
// spaces, and these words are short and specific). The lists were written
// from the topic definitions, not fitted to the evaluation list in
// topics_test.go.
var topicLexicon = map[string]struct{ en, zh []cue }{
	TopicProductQuality: {
		en: cues(1, "quality", "broken", "broke", "defect", "defective", "faulty", "damaged", "damage", "crack", "cracked",
			"scratch", "scratched", "stain", "torn", "ripped", "flimsy", "fake", "counterfeit", "malfunction", "leak",
			"leaking", "apart", "peeling", "rust", "smell", "stinks", "durable", "material", "fabric", "stitching", "battery",
			"expired", "stale", "shoddy", "poorly", "useless").
			and(0.5, "work", "working", "size", "fit", "fits", "small", "color", "colour", "product", "item"),
		zh: cues(1, "质量", "品质", "坏了", "坏的", "破损", "损坏", "瑕疵", "次品", "假货", "做工", "掉色", "褪色", "开线", "划痕",
			"裂", "漏", "不能用", "用不了", "故障", "异味", "起球", "过期", "变质", "劣质", "材质", "断了", "不耐用", "质感").
			and(0.5, "尺码", "偏小", "偏大", "颜色", "色差", "产品", "东西"),
	},
	TopicShipping: {
		en: cues(1, "shipping", "shipped", "ship", "delivery", "delivered", "deliver", "courier", "carrier", "parcel", "package",
			"tracking", "track", "arrive", "arrived", "arrival", "transit", "dispatch", "dispatched", "postal", "postman",
			"logistics", "warehouse", "dhl", "ups", "fedex", "usps", "lost", "customs").
			and(0.5, "late", "delay", "delayed", "slow", "weeks", "days", "still", "address", "box"),
		zh: cues(1, "物流", "快递", "发货", "配送", "送货", "到货", "没收到", "包裹", "运输", "寄", "签收", "单号", "丢件", "派送",
			"快递员", "送达", "海关", "邮寄", "顺丰", "仓库", "在途").
			and(0.5, "太慢", "延迟", "收到", "地址", "几天", "一周", "还没"),
	},
	TopicService: {
		en: cues(1, "service", "support", "agent", "staff", "rude", "unhelpful", "helpful", "respond", "response", "reply",
			"replied", "ignored", "ignore", "attitude", "representative", "manager", "polite", "impolite", "friendly",
			"bot", "chatbot", "hung", "answered").
			and(0.5, "help", "wait", "waiting", "hold", "email", "call", "phone", "chat", "contact", "nobody"),
		zh: cues(1, "客服", "服务", "态度", "回复", "不回", "没人理", "机器人", "人工", "耐心", "热情", "敷衍", "答复", "不理",
			"专业", "服务员", "店员").
			and(0.5, "电话", "等了", "联系", "帮忙", "解决"),
	},
	TopicPrice: {
		en: cues(1, "price", "prices", "pricing", "expensive", "overpriced", "pricey", "cheaper", "discount", "coupon",
			"promo", "sale", "deal", "fee", "fees", "cost", "costs", "afford", "affordable", "worth", "value", "tax").
			and(0.5, "cheap", "charge", "charged", "money", "pay", "paid", "dollars"),
		zh: cues(1, "价格", "价钱", "贵", "便宜", "优惠", "折扣", "降价", "差价", "性价比", "运费", "涨价", "划算", "不值",
			"满减", "收费", "定价", "打折", "券").
			and(0.5, "钱", "值"),
	},
	TopicRefundsReturns: {
		en: cues(1.5, "refund", "refunded", "refunds", "return", "returned", "returns", "returning", "exchange",
			"reimburse", "chargeback", "rma").
			and(0.7, "replacement", "replace", "back"),
		zh: cues(1.5, "退款", "退货", "换货", "退钱", "退回", "退换", "返还", "无理由", "退").
			and(0.7, "补发", "换一个", "换个"),
	},
}

type cueList []cue

func cues(w float64, words ...string) cueList {
	out := make(cueList, len(words))
	for i, x := range words {
		out[i] = cue{x, w}
	}
	return out
}

func (l cueList) and(w float64, words ...string) []cue {
	return append(l, cues(w, words...)...)
}

// topicStems maps an English stem to its topics' weights, built once.
var topicStems = func() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for topic, lex := range topicLexicon {
		for _, c := range lex.en {
			stem := english.Stem(c.word, false)
			if out[stem] == nil {
				out[stem] = map[string]float64{}
			}
			out[stem][topic] = max(out[stem][topic], c.weight)
		}
	}
	return out
}()

// ClassifyTopic says what a complaint or feedback text is about: the topic
// whose lexicon words weigh most in it (each word counted once), Other when
// none appears. Confidence grows with the winning weight and shrinks with
// the weight of the other topics found (a text naming both the courier and
// the refund is less certainly one of them).
func ClassifyTopic(text string) TopicResult {
	scores := map[string]float64{}
	seen := map[string]bool{}
	for _, t := range retrieval.Terms(text) {
		if seen[t] {
			continue
		}
		seen[t] = true
		for topic, w := range topicStems[t] {
			scores[topic] += w
		}
	}
	lower := strings.ToLower(text)
	for topic, lex := range topicLexicon {
		for _, c := range lex.zh {
			if strings.Contains(lower, c.word) {
				scores[topic] += c.weight
			}
		}
	}
	best, bestScore, total := TopicOther, 0.0, 0.0
	for _, info := range Topics() { // report order breaks ties
		s := scores[info.Name]
		total += s
		if s > bestScore {
			best, bestScore = info.Name, s
		}
	}
	if bestScore == 0 {
		return TopicResult{Topic: TopicOther, Confidence: 0}
	}
	// share of the evidence × saturation in the amount of evidence.
	conf := bestScore / total * (1 - math.Exp(-1.5*bestScore))
	return TopicResult{Topic: best, Confidence: math.Round(conf*1000) / 1000}
}
