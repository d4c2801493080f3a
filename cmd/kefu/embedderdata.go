package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"kefu/intents"
	"kefu/internal/datasets"
	"kefu/retrieval"
)

// What the built-in embedder learns from (retrieval/data/SOURCE.md lists the
// licences). Only training splits and data we may ship a model of:
// MASSIVE train (en-US, zh-CN, zh-TW), BANKING77 train, kefu's own intent
// training examples, Tatoeba's cmn.txt without the pairs in LASER's test
// files, and the team-written shop lexicon. Never HINT3, the ABCD
// guidelines, the demo shop, test splits, Waimai or LASER's test files:
// those measure it.

// broadIntents are MASSIVE intents whose utterances share no meaning beyond
// "a question" or "chit-chat": they are no paraphrase clusters (their
// translations still train).
var broadIntents = map[string]bool{"general_quirky": true, "qa_factoid": true}

// cluster is texts that mean the same (an intent's utterances, a synonym set).
type cluster struct {
	group string
	texts []string
}

// embedderData is the training data of the embedder, from which each
// epoch's pairs are drawn.
type embedderData struct {
	clusters     []cluster // paraphrase clusters
	lexicon      []cluster
	questions    []retrieval.ShopQuestion
	translations []retrieval.TrainPair
	counts       map[string]int // texts or pairs per source, for the report
	attributions []string       // Tatoeba's per-pair attribution lines, for the pairs used
}

// loadEmbedderData reads the training sources from the datasets in root.
func loadEmbedderData(root string) (*embedderData, error) {
	if err := datasets.Check(root); err != nil {
		return nil, err
	}
	d := &embedderData{counts: map[string]int{}}
	byGroup := map[string][]string{}
	var order []string
	add := func(source, group, text string) {
		text = strings.TrimSpace(text)
		if text == "" {
			return
		}
		if _, ok := byGroup[group]; !ok {
			order = append(order, group)
		}
		byGroup[group] = append(byGroup[group], text)
		d.counts[source]++
	}

	par, err := datasets.MassiveParallel(root)
	if err != nil {
		return nil, err
	}
	for _, p := range par {
		g := "massive:" + p.Label
		if !broadIntents[p.Label] {
			add("massive train en-US", g, p.EN)
			add("massive train zh-CN", g, p.ZH)
			add("massive train zh-TW", g, p.TW)
		}
		if p.EN != "" && p.ZH != "" {
			d.translations = append(d.translations, retrieval.TrainPair{A: p.EN, B: p.ZH, Group: g})
			d.counts["massive en↔zh-CN pairs"]++
		}
		if p.ZH != "" && p.TW != "" && p.ZH != p.TW {
			d.translations = append(d.translations, retrieval.TrainPair{A: p.ZH, B: p.TW, Group: g})
			d.counts["massive zh-CN↔zh-TW pairs"]++
		}
	}
	bank, err := datasets.Banking77(root, "train")
	if err != nil {
		return nil, err
	}
	for _, x := range bank {
		add("banking77 train", "banking77:"+x.Label, x.Text)
	}
	own, err := intents.BuiltinExamples()
	if err != nil {
		return nil, err
	}
	for _, x := range own {
		if x.Label != intents.Other {
			add("kefu intents train", "kefu:"+x.Label, x.Text)
		}
	}
	for _, g := range order {
		if texts := dedupe(byGroup[g]); len(texts) >= 2 {
			d.clusters = append(d.clusters, cluster{group: g, texts: texts})
		}
	}

	tat, err := datasets.Tatoeba(root)
	if err != nil {
		return nil, err
	}
	test, err := datasets.TatoebaTest(root)
	if err != nil {
		return nil, err
	}
	inTest := map[string]bool{}
	for _, p := range test {
		inTest[strings.TrimSpace(p.A)], inTest[strings.TrimSpace(p.B)] = true, true
	}
	for _, p := range tat {
		a, b := strings.TrimSpace(p.A), strings.TrimSpace(p.B)
		if inTest[a] || inTest[b] {
			d.counts["tatoeba pairs dropped (in LASER test)"]++
			continue
		}
		// One English sentence may have several translations: one group.
		d.translations = append(d.translations, retrieval.TrainPair{A: a, B: b, Group: "tatoeba:" + a})
		d.attributions = append(d.attributions, strings.TrimPrefix(p.Attribution, "CC-BY 2.0 (France) Attribution: tatoeba.org "))
		d.counts["tatoeba en↔zh pairs"]++
	}
	for i, set := range retrieval.ShopLexicon() {
		d.lexicon = append(d.lexicon, cluster{group: fmt.Sprintf("lexicon:%d", i), texts: set})
		d.counts["shop lexicon sets"]++
	}
	d.questions = retrieval.ShopQuestions()
	for _, q := range d.questions {
		d.counts["shop question → passage pairs"] += len(q.Questions)
	}
	return d, nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// pairMix sets how often each source is drawn per epoch.
type pairMix struct {
	DocShare      float64 // share of cluster texts also paired with a "document" of other members
	DocSize       int     // members in such a document
	LexiconRepeat int     // times each lexicon member is paired per epoch
	OwnRepeat     int     // times each of kefu's own examples is paired per epoch
	QARepeat      int     // times each shop question is paired with its passage per epoch
}

// pairs draws epoch's pairs with the seed: every cluster text with another
// member of its cluster (and, for DocShare of them, with several members
// joined, as a question is matched with an FAQ entry or passage), every
// translation, every lexicon member with another of its set, and every shop
// question with the passage that answers it and with another question of its
// block.
func (d *embedderData) pairs(seed uint64, mix pairMix) func(epoch int) []retrieval.TrainPair {
	return func(epoch int) []retrieval.TrainPair {
		rng := rand.New(rand.NewPCG(seed, 1000+uint64(epoch)))
		out := append([]retrieval.TrainPair(nil), d.translations...)
		draw := func(c cluster, repeat int, docs bool) {
			for range repeat {
				for i, t := range c.texts {
					j := rng.IntN(len(c.texts) - 1)
					if j >= i {
						j++
					}
					out = append(out, retrieval.TrainPair{A: t, B: c.texts[j], Group: c.group})
					if !docs || len(c.texts) <= mix.DocSize || rng.Float64() >= mix.DocShare {
						continue
					}
					var doc []string
					for _, k := range rng.Perm(len(c.texts)) {
						if k != i && len(doc) < mix.DocSize {
							doc = append(doc, c.texts[k])
						}
					}
					out = append(out, retrieval.TrainPair{A: t, B: strings.Join(doc, "\n"), Group: c.group})
				}
			}
		}
		for _, c := range d.clusters {
			repeat := 1
			if strings.HasPrefix(c.group, "kefu:") {
				repeat = mix.OwnRepeat
			}
			draw(c, repeat, true)
		}
		for _, c := range d.lexicon {
			draw(c, mix.LexiconRepeat, false)
		}
		for i, q := range d.questions {
			group := fmt.Sprintf("shopqa:%d", i)
			for range mix.QARepeat {
				for j, t := range q.Questions {
					out = append(out, retrieval.TrainPair{A: t, B: q.Passage, Group: group})
					if len(q.Questions) > 1 {
						k := rng.IntN(len(q.Questions) - 1)
						if k >= j {
							k++
						}
						out = append(out, retrieval.TrainPair{A: t, B: q.Questions[k], Group: group})
					}
				}
			}
		}
		return out
	}
}

// sortedCounts lists counts by name, for a stable report.
func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return out
}
