package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"kefu/internal/datasets"
)

// intentSet is one evaluation set written by kefu intents datasets.
type intentSet struct {
	name        string
	train, test []datasets.Labeled
	tune        []datasets.Labeled // a validation split, when the set has one
}

// cmdIntentsDatasets writes the public intent evaluation sets as CSV files
// (text,label; out of scope is oos) that kefu intents train|eval read, so any
// kefu binary (this one, an older release) is measured on the same files.
// Each test file also comes in its development half (_test_dev: positions
// 1, 3, 5 …; tune on it) and its held-out half (_test_held: report it).
func cmdIntentsDatasets(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "intents datasets")
	root := fs.String("datasets", datasets.DefaultRoot(), "the shared public datasets folder")
	out := fs.String("out", "", "folder to write the CSV files to (required unless --background)")
	background := fs.String("background", "", "write the out-of-domain background examples (intents/data/background.csv) to this file instead")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" && *background == "" {
		return usageErr("--out DIR or --background FILE is required")
	}
	if err := datasets.Check(*root); err != nil {
		return err
	}
	if *background != "" {
		rows, err := backgroundExamples(*root)
		if err != nil {
			return err
		}
		if err := writeBackgroundCSV(*background, rows); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\t%d examples\n", *background, len(rows))
		return nil
	}
	sets, err := intentSets(*root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, s := range sets {
		dev, held := datasets.Halves(s.test)
		files := []struct {
			suffix string
			rows   []datasets.Labeled
		}{{"train", s.train}, {"validation", s.tune}, {"test", s.test}, {"test_dev", dev}, {"test_held", held}}
		for _, f := range files {
			if len(f.rows) == 0 {
				continue
			}
			path := filepath.Join(*out, s.name+"_"+f.suffix+".csv")
			if err := writeLabeledCSV(path, f.rows); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s\t%d examples\t%d labels\n", path, len(f.rows), countLabels(f.rows))
		}
	}
	return nil
}

// intentSets reads the public sets: HINT3's three bots (v2; no intent is
// out of scope), BANKING77 with a quarter of its intents unknown, MASSIVE
// zh-CN and CrossWOZ's single-act user turns (trained on val, tested on test,
// keeping the labels with at least 5 training turns).
func intentSets(root string) ([]intentSet, error) {
	var sets []intentSet
	for _, bot := range datasets.HINT3Bots {
		train, err := datasets.HINT3(root, bot, "train")
		if err != nil {
			return nil, err
		}
		test, err := datasets.HINT3(root, bot, "test")
		if err != nil {
			return nil, err
		}
		for i := range test {
			if test[i].Label == datasets.HINT3OutOfScope {
				test[i].Label = "oos"
			}
		}
		sets = append(sets, intentSet{name: "hint3_" + bot, train: train, test: test})
	}
	train, test, _, err := datasets.Banking77Unknown(root)
	if err != nil {
		return nil, err
	}
	sets = append(sets, intentSet{name: "banking77_unknown", train: train, test: test})
	massive := intentSet{name: "massive_zh"}
	for split, dst := range map[string]*[]datasets.Labeled{"train": &massive.train, "validation": &massive.tune, "test": &massive.test} {
		if *dst, err = datasets.MassiveZH(root, split); err != nil {
			return nil, err
		}
	}
	sets = append(sets, massive)
	val, err := datasets.CrossWOZSingleAct(root, "val")
	if err != nil {
		return nil, err
	}
	tst, err := datasets.CrossWOZSingleAct(root, "test")
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, ex := range val {
		n[ex.Label]++
	}
	keep := func(xs []datasets.Labeled) []datasets.Labeled {
		var out []datasets.Labeled
		for _, x := range xs {
			if n[x.Label] >= 5 {
				out = append(out, x)
			}
		}
		return out
	}
	sets = append(sets, intentSet{name: "crosswoz", train: keep(val), test: keep(tst)})
	return sets, nil
}

func countLabels(rows []datasets.Labeled) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Label] = true
	}
	return len(seen)
}

func writeLabeledCSV(path string, rows []datasets.Labeled) error {
	recs := [][]string{{"text", "label"}}
	for _, r := range rows {
		recs = append(recs, []string{r.Text, r.Label})
	}
	return writeCSV(path, recs)
}

// writeCSV writes records to path.
func writeCSV(path string, recs [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(recs); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Background examples: generic out-of-domain text (everyday sentences and
// voice-assistant commands) that the intent classifier learns as other, so
// that text about nothing a shop handles is recognised as such. Both sources
// allow shipping (Tatoeba: CC BY 2.0 FR, with per-sentence attribution;
// MASSIVE: CC BY 4.0); intents/data/SOURCE.md carries the attribution.
const (
	backgroundPerSource = 125 // per source and language
	backgroundMinWords  = 3
	backgroundMaxWords  = 12
	backgroundMinHan    = 4
	backgroundMaxHan    = 20
)

// backgroundShopWords are words of what a shop's customer service handles
// (and greetings, thanks and goodbyes, which are intents of their own):
// sentences with any of them are not background.
var backgroundShopWords = strings.Fields(`hi hello hey thank thanks bye goodbye buy bought sell sold sale shop shopping store
order ordered price prices cost costs pay paid payment money dollar dollars cash card deliver delivery delivered package parcel
ship shipping shipped return returned refund cancel account password login log sign email address size help complain
complaint manager invoice receipt discount coupon cheap expensive product item wear clothes shoes shirt dress broken wrong
late stock brand gift wallet bank credit track tracking`)

// backgroundShopHan are the same for Chinese (matched as substrings).
var backgroundShopHan = strings.Fields(`你好 您好 嗨 谢 再见 拜拜 买 卖 购 店 商 订 单 价 钱 元 块 付 支 款 退 换 货 送 寄 递 邮 包裹 账 号 码 密
登 址 尺 发票 优惠 折 券 便宜 贵 质量 坏 错 晚 迟 客服 人工 投诉 帮 问题 衣 鞋 外卖 快 物流 银行 卡`)

func backgroundOK(text string, zh bool) bool {
	if zh {
		n := 0
		for _, r := range text {
			if unicode.Is(unicode.Han, r) {
				n++
			}
		}
		if n < backgroundMinHan || n > backgroundMaxHan {
			return false
		}
		for _, w := range backgroundShopHan {
			if strings.Contains(text, w) {
				return false
			}
		}
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	if len(words) < backgroundMinWords || len(words) > backgroundMaxWords {
		return false
	}
	for _, w := range words {
		if slices.Contains(backgroundShopWords, strings.TrimSuffix(w, "'s")) {
			return false
		}
	}
	return true
}

// backgroundRow is one background example with where it came from.
type backgroundRow struct{ text, source string }

// spread keeps n of xs, evenly spaced (all when there are fewer).
func spread[T any](xs []T, n int) []T {
	if len(xs) <= n {
		return xs
	}
	out := make([]T, n)
	for i := range out {
		out[i] = xs[i*len(xs)/n]
	}
	return out
}

// backgroundExamples picks the background: Tatoeba's English and Chinese
// sentences and MASSIVE's English and Chinese train commands from scenarios
// unrelated to shopping (no takeaway, no currency questions), each filtered
// for shop words and length and evenly spread over its source.
func backgroundExamples(root string) ([]backgroundRow, error) {
	pairs, err := datasets.Tatoeba(root)
	if err != nil {
		return nil, err
	}
	attribution, err := tatoebaAttribution(root)
	if err != nil {
		return nil, err
	}
	var en, zh []backgroundRow
	seenEN, seenZH := map[string]bool{}, map[string]bool{}
	for i, p := range pairs {
		if backgroundOK(p.A, false) && !seenEN[p.A] {
			seenEN[p.A] = true
			en = append(en, backgroundRow{p.A, attribution[i]})
		}
		if backgroundOK(p.B, true) && !seenZH[p.B] {
			seenZH[p.B] = true
			zh = append(zh, backgroundRow{p.B, attribution[i]})
		}
	}
	rows := append(spread(en, backgroundPerSource), spread(zh, backgroundPerSource)...)
	par, err := datasets.MassiveParallel(root)
	if err != nil {
		return nil, err
	}
	en, zh = nil, nil
	for _, p := range par {
		if strings.HasPrefix(p.Label, "takeaway_") || p.Label == "qa_currency" {
			continue
		}
		if backgroundOK(p.EN, false) {
			en = append(en, backgroundRow{p.EN, "MASSIVE en-US train id " + p.ID})
		}
		if backgroundOK(p.ZH, true) {
			zh = append(zh, backgroundRow{p.ZH, "MASSIVE zh-CN train id " + p.ID})
		}
	}
	// English and Chinese from different utterances: the Chinese picks start
	// half a step later.
	zh = zh[min(len(zh), len(zh)/backgroundPerSource/2):]
	return append(rows, append(spread(en, backgroundPerSource), spread(zh, backgroundPerSource)...)...), nil
}

// tatoebaAttribution returns the third column of cmn.txt (the sentence ids
// and authors), line by line, as datasets.Tatoeba reads the pairs.
func tatoebaAttribution(root string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "zh_en_tatoeba", "cmn.txt"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) >= 2 && parts[0] != "" && parts[1] != "" {
			src := ""
			if len(parts) >= 3 {
				src = strings.TrimPrefix(parts[2], "CC-BY 2.0 (France) Attribution: ")
			}
			out = append(out, "Tatoeba "+src)
		}
	}
	return out, nil
}

func writeBackgroundCSV(path string, rows []backgroundRow) error {
	recs := [][]string{{"text", "label", "source"}}
	for _, r := range rows {
		recs = append(recs, []string{r.text, "oos", r.source})
	}
	return writeCSV(path, recs)
}
