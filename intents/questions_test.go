package intents

import (
	"fmt"
	"testing"
)

// gapDev is the development list QuestionThreshold was chosen on: paraphrases of
// the same question share a group label; intents are what a classifier
// would plausibly say (some "other", as in life). The insights tests in
// internal/analytics use different questions.
var gapDev = []struct{ group, intent, text string }{
	{"ship-au", "delivery_info", "do you deliver to Australia?"},
	{"ship-au", "delivery_info", "Is shipping to Australia available"},
	{"ship-au", "other", "australia delivery possible?"},
	{"ship-au", "delivery_info", "can you send my order to australia"},
	{"ship-jp", "delivery_info", "do you ship to Japan"},
	{"ship-jp", "delivery_info", "shipping to japan?"},
	{"gift", "other", "can you gift wrap my order"},
	{"gift", "other", "do you offer gift wrapping"},
	{"gift", "product_question", "is gift wrap available"},
	{"warranty", "product_question", "how long is the warranty on the blender"},
	{"warranty", "product_question", "blender warranty period?"},
	{"warranty", "other", "what warranty does the blender have"},
	{"store", "other", "do you have a physical store in Berlin"},
	{"store", "other", "is there a shop in berlin I can visit"},
	{"crypto", "payment_methods", "do you accept bitcoin"},
	{"crypto", "payment_methods", "can I pay with bitcoin or crypto"},
	{"student", "other", "is there a student discount"},
	{"student", "other", "do students get a discount?"},
	{"vegan", "product_question", "is the leather jacket vegan"},
	{"alone-1", "other", "what is your company's carbon footprint"},
	{"alone-2", "account", "how do I change my username"},
	{"zh-ship-au", "delivery_info", "你们发货到澳大利亚吗"},
	{"zh-ship-au", "delivery_info", "能寄到澳大利亚吗"},
	{"zh-ship-au", "other", "澳大利亚可以送货吗"},
	{"zh-invoice", "invoice", "可以开增值税专用发票吗"},
	{"zh-invoice", "invoice", "能开专票吗，增值税的"},
	{"zh-gift", "other", "可以帮忙包装成礼物吗"},
	{"zh-gift", "other", "有礼品包装服务吗"},
	{"zh-warranty", "product_question", "这个搅拌机保修多久"},
	{"zh-warranty", "product_question", "搅拌机的保修期是多长时间"},
	{"zh-store", "other", "你们在上海有实体店吗"},
	{"zh-store", "other", "上海有没有线下门店"},
	{"zh-alone", "other", "你们公司在哪里注册的"},
}

// pairF1 scores a clustering by its pairs: precision is the share of pairs
// put together that belong together, recall the share of pairs that belong
// together and were put together.
func pairF1(clusters [][]int, label func(int) string) (p, r, f float64) {
	of := map[int]int{}
	for c, ms := range clusters {
		for _, m := range ms {
			of[m] = c
		}
	}
	tp, fp, fn := 0, 0, 0
	for i := 0; i < len(of); i++ {
		for j := i + 1; j < len(of); j++ {
			same, together := label(i) == label(j), of[i] == of[j]
			switch {
			case same && together:
				tp++
			case together:
				fp++
			case same:
				fn++
			}
		}
	}
	p = float64(tp) / float64(max(1, tp+fp))
	r = float64(tp) / float64(max(1, tp+fn))
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

func TestQuestionThresholdOnDevList(t *testing.T) {
	texts := make([]string, len(gapDev))
	labels := make([]string, len(gapDev))
	for i, d := range gapDev {
		texts[i], labels[i] = d.text, d.intent
	}
	vecs := QuestionVectors(texts, labels)
	label := func(i int) string { return gapDev[i].group }
	var atChosen float64
	for _, th := range []float64{0.15, 0.2, 0.25, 0.3, 0.32, 0.35, 0.38, 0.4, 0.42, 0.45, 0.5} {
		p, r, f := pairF1(ClusterQuestions(vecs, th), label)
		t.Logf("threshold %.2f: pair precision %.2f recall %.2f F1 %.2f", th, p, r, f)
		if th == QuestionThreshold {
			atChosen = f
		}
	}
	if atChosen < 0.8 {
		t.Errorf("pair F1 at QuestionThreshold %.2f = %.2f, want ≥ 0.8", QuestionThreshold, atChosen)
	}
	if testing.Verbose() {
		for _, c := range ClusterQuestions(vecs, QuestionThreshold) {
			var g []string
			for _, i := range c {
				g = append(g, fmt.Sprintf("%s:%q", gapDev[i].group, gapDev[i].text))
			}
			t.Log(g)
		}
	}
}

// BenchmarkClusterMaxQuestions clusters 500 questions, the most one
// insights report clusters.
func BenchmarkClusterMaxQuestions(b *testing.B) {
	const n = 500
	texts := make([]string, n)
	labels := make([]string, n)
	for i := range texts {
		d := gapDev[i%len(gapDev)]
		texts[i], labels[i] = fmt.Sprintf("%s %d item%d", d.text, i, i%37), d.intent
	}
	vecs := QuestionVectors(texts, labels)
	b.ResetTimer()
	for b.Loop() {
		ClusterQuestions(vecs, QuestionThreshold)
	}
}
