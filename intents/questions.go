package intents

import (
	"math"
	"sort"
	"strings"

	"kefu/retrieval"
)

// Similar questions: shoppers ask one thing in many words. Insights group
// the questions the bot could not answer with these, so an admin reads one
// group, not fifty spellings of it.

// QuestionThreshold is the average-linkage cosine above which two groups of
// questions merge (ClusterQuestions). Questions are TF-IDF vectors of
// questionTerms (stemmed English words without stop words, shop-domain
// synonyms folded into concepts, CJK bigrams without function characters)
// plus the classified intent, with IDF taken over the report's own
// questions, so words many questions share weigh little and the specific
// word ("Australia") decides. Chosen on the development list in
// questions_test.go (paraphrases of 15 questions in English and Chinese
// among unrelated ones, 33 in all):
// pairwise F1 is 0.95 (precision 1.00, recall 0.91) everywhere from 0.35 to
// 0.42 and falls outside it (0.32 and below merge "ship to Australia" with
// "ship to Japan"; 0.45 and above split paraphrases apart); 0.38 is the
// middle of that plateau.
const QuestionThreshold = 0.38

// QuestionVector is a question's term weights, with unit length.
type QuestionVector map[string]float64

// QuestionVectors turns questions (and their classified intents, "" when
// unknown) into unit TF-IDF vectors, with IDF over these questions.
func QuestionVectors(texts, labels []string) []QuestionVector {
	tfs := make([]map[string]float64, len(texts))
	df := map[string]int{}
	for i, t := range texts {
		tf := map[string]float64{}
		for _, term := range questionTerms(t) {
			tf[term]++
		}
		// The intent is one more feature: paraphrases that share few words
		// ("ship" / "delivery") usually share it. "other" says nothing.
		if l := labels[i]; l != "" && l != "other" {
			tf["\x00intent:"+l] = 1
		}
		for term := range tf {
			df[term]++
		}
		tfs[i] = tf
	}
	n := float64(len(texts))
	out := make([]QuestionVector, len(texts))
	for i, tf := range tfs {
		v := QuestionVector{}
		var norm float64
		for term, c := range tf {
			w := (1 + math.Log(c)) * math.Log(1+n/float64(df[term]))
			v[term] = w
			norm += w * w
		}
		if norm > 0 {
			norm = math.Sqrt(norm)
			for term := range v {
				v[term] /= norm
			}
		}
		out[i] = v
	}
	return out
}

// questionTerms are the features of a question: retrieval.Terms, with
// shop-domain synonyms folded into one concept ("deliver", "ship" and "寄"
// are all "@ship"), and without CJK bigrams that hold a function character
// (吗, 的, 你 …), which otherwise make every short Chinese question look
// alike.
func questionTerms(text string) []string {
	var out []string
	for _, t := range retrieval.Terms(text) {
		r := []rune(t)
		if !retrieval.IsCJK(r[0]) {
			if c, ok := conceptOf[t]; ok {
				t = c
			}
			out = append(out, t)
			continue
		}
		if !strings.ContainsFunc(t, func(r rune) bool { return strings.ContainsRune(CJKFunction, r) }) {
			out = append(out, t)
		}
	}
	lower := strings.ToLower(text)
	for _, zc := range zhConcepts {
		if strings.Contains(lower, zc.word) {
			out = append(out, zc.concept)
		}
	}
	return out
}

// CJKFunction are Chinese characters that carry grammar, not topic.
const CJKFunction = "的了吗呢吧么啊呀你我他她们是有在这那个些可以能会要想请问和与及就都也还把被给对"

// conceptOf folds English stems of common shop-domain synonyms into one
// concept. The groups are general customer-service vocabulary.
var conceptOf = func() map[string]string {
	groups := map[string][]string{
		"@ship":     {"ship", "shipping", "shipped", "deliver", "delivery", "delivered", "send", "sent", "post", "mail", "courier", "dispatch"},
		"@return":   {"return", "returns", "returned", "refund", "refunds", "refunded", "exchange", "money back"},
		"@store":    {"store", "stores", "shop", "shops", "outlet", "showroom", "branch", "boutique"},
		"@price":    {"price", "cost", "costs", "fee", "fees", "charge", "expensive", "cheap"},
		"@discount": {"discount", "discounts", "coupon", "coupons", "voucher", "promo", "promotion", "code", "sale"},
		"@warranty": {"warranty", "guarantee", "guaranteed"},
		"@pay":      {"pay", "paid", "payment", "payments", "accept", "checkout"},
		"@wrap":     {"wrap", "wrapping", "wrapped", "packaging"},
		"@invoice":  {"invoice", "receipt", "vat", "bill"},
		"@size":     {"size", "sizes", "sizing", "fit", "fits"},
		"@stock":    {"stock", "restock", "available", "availability", "sold"},
		"@cancel":   {"cancel", "cancellation", "cancelled"},
		"@account":  {"account", "login", "password", "username", "sign"},
	}
	out := map[string]string{}
	for concept, words := range groups {
		for _, w := range words {
			for _, t := range retrieval.Terms(w) {
				out[t] = concept
			}
		}
	}
	return out
}()

// zhConcepts are the Chinese words of the same concepts (matched as substrings).
var zhConcepts = func() []struct{ word, concept string } {
	groups := map[string][]string{
		"@ship":     {"发货", "寄", "送货", "配送", "快递", "邮寄", "运送", "物流", "送到", "派送"},
		"@return":   {"退货", "退款", "退换", "换货", "退钱"},
		"@store":    {"实体店", "门店", "线下店", "专卖店", "店铺", "商店"},
		"@price":    {"价格", "价钱", "多少钱", "费用", "运费", "贵"},
		"@discount": {"优惠", "折扣", "打折", "优惠券", "优惠码", "促销"},
		"@warranty": {"保修", "质保", "保固"},
		"@pay":      {"付款", "支付", "付钱", "结账"},
		"@wrap":     {"包装", "礼品", "礼物", "礼盒"},
		"@invoice":  {"发票", "专票", "收据"},
		"@size":     {"尺码", "尺寸", "大小", "码数"},
		"@stock":    {"库存", "有货", "缺货", "补货", "现货"},
		"@cancel":   {"取消"},
		"@account":  {"账号", "账户", "密码", "登录", "注册", "用户名"},
	}
	var out []struct{ word, concept string }
	for concept, words := range groups {
		for _, w := range words {
			out = append(out, struct{ word, concept string }{w, concept})
		}
	}
	return out
}()

// Cosine is the cosine similarity of two question vectors.
func Cosine(a, b QuestionVector) float64 {
	if len(b) < len(a) {
		a, b = b, a
	}
	s := 0.0
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// ClusterQuestions is average-linkage agglomerative clustering: merge the
// two most similar clusters while their average pairwise similarity is at
// least threshold. It returns the clusters as lists of indexes, in input
// order. Time is O(n³) at worst and memory O(n²): callers bound n.
func ClusterQuestions(vecs []QuestionVector, threshold float64) [][]int {
	n := len(vecs)
	sim := make([][]float64, n) // sums of pairwise similarities between live clusters
	for i := range sim {
		sim[i] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := Cosine(vecs[i], vecs[j])
			sim[i][j], sim[j][i] = s, s
		}
	}
	members := make([][]int, n)
	alive := make([]bool, n)
	for i := range members {
		members[i] = []int{i}
		alive[i] = true
	}
	for {
		bi, bj, best := -1, -1, threshold
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if !alive[j] {
					continue
				}
				avg := sim[i][j] / float64(len(members[i])*len(members[j]))
				if avg >= best {
					bi, bj, best = i, j, avg
				}
			}
		}
		if bi < 0 {
			break
		}
		members[bi] = append(members[bi], members[bj]...)
		alive[bj] = false
		for k := 0; k < n; k++ {
			if alive[k] && k != bi {
				sim[bi][k] += sim[bj][k]
				sim[k][bi] = sim[bi][k]
			}
		}
	}
	var out [][]int
	for i := 0; i < n; i++ {
		if alive[i] {
			sort.Ints(members[i])
			out = append(out, members[i])
		}
	}
	return out
}
