// Package datasets reads the public datasets kefu trains and measures on
// (the team's shared folder, DEVELOPERS.md's ../shared/datasets): BANKING77,
// HINT3, MASSIVE zh-CN/en-US, Tatoeba zh–en, CrossWOZ, the UCI and Waimai
// review sentiment sets and the ABCD guidelines.
//
// Only training commands, evaluations and benchmarks use it; tests never
// depend on the shared folder. Which data may train what ships is decided by
// the caller and recorded in a SOURCE.md next to the artefact (research-only
// or unlicensed data, such as Waimai 10k, may only measure).
//
// Development and held-out halves: Halves splits a list by position, the
// development half being the odd-numbered data lines (2nd, 4th, …) and the
// held-out half the others, the convention docs/benchmarks.md uses.
package datasets

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Labeled is a text with its label.
type Labeled struct {
	Text, Label string
}

// Pair is two texts that mean the same (a translation or a paraphrase).
type Pair struct {
	A, B string
	// Attribution is the pair's licence and authors when the source gives
	// them per pair (Tatoeba's cmn.txt).
	Attribution string
}

// DefaultRoot is where the shared datasets are unless KEFU_DATASETS says
// otherwise: ../shared/datasets from the repository root.
func DefaultRoot() string {
	if d := os.Getenv("KEFU_DATASETS"); d != "" {
		return d
	}
	for _, up := range []string{"../shared/datasets", "../../shared/datasets", "../../../shared/datasets"} {
		if st, err := os.Stat(up); err == nil && st.IsDir() {
			return up
		}
	}
	return "../shared/datasets"
}

// Halves splits xs into its development half (positions 1, 3, 5, …) and its
// held-out half (positions 0, 2, 4, …).
func Halves[T any](xs []T) (dev, held []T) {
	for i, x := range xs {
		if i%2 == 1 {
			dev = append(dev, x)
		} else {
			held = append(held, x)
		}
	}
	return dev, held
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("read %s: empty", path)
	}
	return rows, nil
}

// column returns the index of name in header.
func column(header []string, name, path string) (int, error) {
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: no column %q in %v", path, name, header)
}

// labeledCSV reads the text and label columns of a CSV with a header.
func labeledCSV(path, textCol, labelCol string) ([]Labeled, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	ti, err := column(rows[0], textCol, path)
	if err != nil {
		return nil, err
	}
	li, err := column(rows[0], labelCol, path)
	if err != nil {
		return nil, err
	}
	out := make([]Labeled, 0, len(rows)-1)
	for _, r := range rows[1:] {
		if ti >= len(r) || li >= len(r) || strings.TrimSpace(r[ti]) == "" {
			continue
		}
		out = append(out, Labeled{Text: strings.TrimSpace(r[ti]), Label: strings.TrimSpace(r[li])})
	}
	return out, nil
}

// Banking77 reads BANKING77's "train" or "test" split (CC BY 4.0).
func Banking77(root, split string) ([]Labeled, error) {
	return labeledCSV(filepath.Join(root, "banking77", split+".csv"), "text", "category")
}

// HINT3OutOfScope is HINT3's label for a query no intent covers.
const HINT3OutOfScope = "NO_NODES_DETECTED"

// HINT3Bots are HINT3's three bots.
var HINT3Bots = []string{"sofmattress", "curekart", "powerplay11"}

// HINT3 reads a bot's v2 "train" or "test" split (ODbL). Out-of-scope test
// queries carry HINT3OutOfScope.
func HINT3(root, bot, split string) ([]Labeled, error) {
	return labeledCSV(filepath.Join(root, "en_hint3", "dataset", "v2", split, bot+"_"+split+".csv"), "sentence", "label")
}

// MassiveZH reads MASSIVE's zh-CN "train", "validation" or "test" split
// (CC BY 4.0), labels being intent names.
func MassiveZH(root, split string) ([]Labeled, error) {
	return labeledCSV(filepath.Join(root, "zh_en_massive_intent", "amazon_massive_intent_zh-CN_"+split+".csv"), "text", "label_text")
}

// Parallel is one MASSIVE train utterance in three locales.
type Parallel struct {
	ID, Label  string
	EN, ZH, TW string
}

// MassiveParallel reads MASSIVE's train split aligned across en-US, zh-CN
// and zh-TW (the same ids as MassiveZH's train split).
func MassiveParallel(root string) ([]Parallel, error) {
	path := filepath.Join(root, "zh_en_massive_intent", "amazon_massive_intent_zh_en.csv")
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	h := rows[0]
	var idx [4]int
	for i, name := range []string{"id", "label", "text", "language"} {
		if idx[i], err = column(h, name, path); err != nil {
			return nil, err
		}
	}
	byID := map[string]*Parallel{}
	var order []string
	for _, r := range rows[1:] {
		if len(r) <= max(idx[0], idx[1], idx[2], idx[3]) {
			continue
		}
		id := r[idx[0]]
		p := byID[id]
		if p == nil {
			p = &Parallel{ID: id, Label: r[idx[1]]}
			byID[id] = p
			order = append(order, id)
		}
		switch r[idx[3]] {
		case "en-US":
			p.EN = r[idx[2]]
		case "zh-CN":
			p.ZH = r[idx[2]]
		case "zh-TW":
			p.TW = r[idx[2]]
		}
	}
	out := make([]Parallel, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

// Tatoeba reads ManyThings.org's Tatoeba English–Chinese pairs (CC BY 2.0
// FR): A is English, B Chinese (simplified and traditional mixed).
func Tatoeba(root string) ([]Pair, error) {
	path := filepath.Join(root, "zh_en_tatoeba", "cmn.txt")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Pair
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) >= 2 && parts[0] != "" && parts[1] != "" {
			p := Pair{A: parts[0], B: parts[1]}
			if len(parts) >= 3 {
				p.Attribution = parts[2]
			}
			out = append(out, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// TatoebaTest reads LASER's 1,000 Tatoeba English–Chinese test pairs
// (evaluation only: the files carry no attribution).
func TatoebaTest(root string) ([]Pair, error) {
	dir := filepath.Join(root, "zh_en_tatoeba", "laser_tatoeba_test")
	en, err := lines(filepath.Join(dir, "tatoeba.cmn-eng.eng"))
	if err != nil {
		return nil, err
	}
	zh, err := lines(filepath.Join(dir, "tatoeba.cmn-eng.cmn"))
	if err != nil {
		return nil, err
	}
	if len(en) != len(zh) {
		return nil, fmt.Errorf("tatoeba test: %d English and %d Chinese lines", len(en), len(zh))
	}
	out := make([]Pair, len(en))
	for i := range en {
		out[i] = Pair{A: en[i], B: zh[i]}
	}
	return out, nil
}

func lines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
}

// UCIAmazon reads the UCI Amazon review sentences (CC BY 4.0): label "1"
// positive, "0" negative.
func UCIAmazon(root string) ([]Labeled, error) {
	path := filepath.Join(root, "en_uci_sentiment_amazon_yelp", "amazon_cells_labelled.txt")
	ls, err := lines(path)
	if err != nil {
		return nil, err
	}
	var out []Labeled
	for i, l := range ls {
		text, label, ok := strings.Cut(l, "\t")
		if i == 0 && !ok {
			continue // the copy's added header
		}
		if !ok {
			return nil, fmt.Errorf("%s line %d: no tab", path, i+1)
		}
		out = append(out, Labeled{Text: strings.TrimSpace(text), Label: strings.TrimSpace(label)})
	}
	return out, nil
}

// Waimai reads the Waimai 10k delivery reviews (no licence stated: measure
// only, never train what ships): label "1" positive, "0" negative.
func Waimai(root string) ([]Labeled, error) {
	return labeledCSV(filepath.Join(root, "zh_waimai_10k", "waimai_10k.csv"), "review", "label")
}

// Guideline is one ABCD subflow's agent guideline text (MIT).
type Guideline struct {
	Flow, Subflow, Description string
	Text                       string // the actions' texts and subtexts, one per line
}

// ABCDGuidelines reads ABCD's agent guidelines, sorted by flow and subflow.
func ABCDGuidelines(root string) ([]Guideline, error) {
	path := filepath.Join(root, "abcd_ecommerce_guidelines_kb", "guidelines.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var flows map[string]struct {
		Description string `json:"description"`
		Subflows    map[string]struct {
			Instructions []string `json:"instructions"`
			Actions      []struct {
				Text    string   `json:"text"`
				Subtext []string `json:"subtext"`
			} `json:"actions"`
		} `json:"subflows"`
	}
	if err := json.Unmarshal(b, &flows); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []Guideline
	for flow, f := range flows {
		for sub, s := range f.Subflows {
			var text []string
			text = append(text, s.Instructions...)
			for _, a := range s.Actions {
				text = append(text, a.Text)
				text = append(text, a.Subtext...)
			}
			out = append(out, Guideline{Flow: flow, Subflow: sub, Description: f.Description, Text: strings.Join(text, "\n")})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Subflow < out[j].Subflow
	})
	return out, nil
}

// Turn is one CrossWOZ user turn with its dialogue acts as "Act-Domain"
// labels (Apache-2.0), in dialogue order.
type Turn struct {
	Dialogue string
	Text     string
	Acts     []string
}

// crosswozMessage is one turn of a CrossWOZ dialogue.
type crosswozMessage struct {
	Content  string     `json:"content"`
	Role     string     `json:"role"`
	DialogAc [][]string `json:"dialog_act"`
}

// crosswoz reads CrossWOZ's "val" or "test" split: the dialogue ids, sorted,
// and each dialogue's messages.
func crosswoz(root, split string) ([]string, map[string][]crosswozMessage, error) {
	path := filepath.Join(root, "zh_crosswoz", split+".json.zip")
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer z.Close()
	if len(z.File) == 0 {
		return nil, nil, fmt.Errorf("%s: empty zip", path)
	}
	rc, err := z.File[0].Open()
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 200<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	var dialogues map[string]struct {
		Messages []crosswozMessage `json:"messages"`
	}
	if err := json.Unmarshal(b, &dialogues); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	ids := make([]string, 0, len(dialogues))
	msgs := make(map[string][]crosswozMessage, len(dialogues))
	for id, d := range dialogues {
		ids = append(ids, id)
		msgs[id] = d.Messages
	}
	sort.Strings(ids)
	return ids, msgs, nil
}

// CrossWOZ reads the user turns of CrossWOZ's "val" or "test" split.
func CrossWOZ(root, split string) ([]Turn, error) {
	ids, dialogues, err := crosswoz(root, split)
	if err != nil {
		return nil, err
	}
	var out []Turn
	for _, id := range ids {
		for _, m := range dialogues[id] {
			if m.Role != "usr" || strings.TrimSpace(m.Content) == "" {
				continue
			}
			t := Turn{Dialogue: id, Text: m.Content}
			seen := map[string]bool{}
			for _, a := range m.DialogAc {
				if len(a) < 2 {
					continue
				}
				l := a[0] + "-" + a[1]
				if !seen[l] {
					seen[l] = true
					t.Acts = append(t.Acts, l)
				}
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// ErrMissing reports a dataset folder that is not there.
var ErrMissing = errors.New("dataset not found")

// Check reports whether root holds the shared datasets.
func Check(root string) error {
	if _, err := os.Stat(filepath.Join(root, "banking77")); err != nil {
		return fmt.Errorf("%s: %w (set KEFU_DATASETS or pass --datasets)", root, ErrMissing)
	}
	return nil
}

// Banking77Unknown is BANKING77 with a quarter of its intents held out as
// unknown, the standard open-intent setting: sorted by name, every 4th
// intent (the 4th, 8th, … 76th: 19 of 77) is held out. Train holds the train
// examples of the other 58 intents; test is the whole test split, the
// held-out intents' examples labelled oos.
func Banking77Unknown(root string) (train, test []Labeled, unknown []string, err error) {
	all, err := Banking77(root, "train")
	if err != nil {
		return nil, nil, nil, err
	}
	tst, err := Banking77(root, "test")
	if err != nil {
		return nil, nil, nil, err
	}
	seen := map[string]bool{}
	for _, ex := range all {
		seen[ex.Label] = true
	}
	labels := make([]string, 0, len(seen))
	for l := range seen {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	held := map[string]bool{}
	for i, l := range labels {
		if i%4 == 3 {
			held[l] = true
			unknown = append(unknown, l)
		}
	}
	for _, ex := range all {
		if !held[ex.Label] {
			train = append(train, ex)
		}
	}
	for _, ex := range tst {
		if held[ex.Label] {
			ex.Label = "oos"
		}
		test = append(test, ex)
	}
	return train, test, unknown, nil
}

// CrossWOZSingleAct returns the user turns of CrossWOZ's "val" or "test"
// split that carry exactly one dialogue act, labelled Act-Domain-Slot
// ("Request-酒店-地址", "General-thank-none"); the hotel-facility slots, which
// name the facility ("酒店设施-温泉"), read as one slot "酒店设施".
func CrossWOZSingleAct(root, split string) ([]Labeled, error) {
	ids, dialogues, err := crosswoz(root, split)
	if err != nil {
		return nil, err
	}
	var out []Labeled
	for _, id := range ids {
		for _, m := range dialogues[id] {
			text := strings.TrimSpace(m.Content)
			if m.Role != "usr" || text == "" || len(m.DialogAc) != 1 || len(m.DialogAc[0]) < 3 {
				continue
			}
			a := m.DialogAc[0]
			slot, _, _ := strings.Cut(a[2], "-")
			out = append(out, Labeled{Text: text, Label: a[0] + "-" + a[1] + "-" + slot})
		}
	}
	return out, nil
}
