package intents

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// LabelScore is one label's row in an evaluation report.
type LabelScore struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // gold examples with this label
}

// Report is the result of evaluating a classifier on labelled data.
type Report struct {
	Examples int     `json:"examples"`
	Accuracy float64 `json:"accuracy"`
	// MacroF1 averages F1 over every label that is gold or predicted.
	MacroF1 float64 `json:"macro_f1"`
	// InScopeAccuracy is the accuracy on examples whose gold label is not
	// Other (one predicted Other is wrong); OOSRecall the share of gold
	// Other examples predicted Other and OOSPrecision the share of texts
	// predicted Other that are gold Other (intent reports only; null
	// without such examples or predictions).
	InScopeAccuracy *float64 `json:"in_scope_accuracy,omitempty"`
	OOSRecall       *float64 `json:"oos_recall,omitempty"`
	OOSPrecision    *float64 `json:"oos_precision,omitempty"`
	// Neutral counts the texts of binary data that the sentiment analyzer
	// called neutral (scored by the sign of their score).
	Neutral  *int         `json:"neutral,omitempty"`
	PerLabel []LabelScore `json:"per_label"`
}

// score compares gold and predicted labels.
func score(gold, pred []string) Report {
	r := Report{Examples: len(gold)}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	support := map[string]int{}
	labels := map[string]bool{}
	correct := 0
	for i := range gold {
		g, p := gold[i], pred[i]
		labels[g], labels[p] = true, true
		support[g]++
		if g == p {
			tp[g]++
			correct++
		} else {
			fp[p]++
			fn[g]++
		}
	}
	if len(gold) > 0 {
		r.Accuracy = float64(correct) / float64(len(gold))
	}
	names := make([]string, 0, len(labels))
	for l := range labels {
		names = append(names, l)
	}
	sort.Strings(names)
	var sumF1 float64
	for _, l := range names {
		ls := LabelScore{Label: l, Support: support[l]}
		if d := tp[l] + fp[l]; d > 0 {
			ls.Precision = float64(tp[l]) / float64(d)
		}
		if d := tp[l] + fn[l]; d > 0 {
			ls.Recall = float64(tp[l]) / float64(d)
		}
		if ls.Precision+ls.Recall > 0 {
			ls.F1 = 2 * ls.Precision * ls.Recall / (ls.Precision + ls.Recall)
		}
		sumF1 += ls.F1
		r.PerLabel = append(r.PerLabel, ls)
	}
	if len(names) > 0 {
		r.MacroF1 = sumF1 / float64(len(names))
	}
	return r
}

// IntentClassifier is anything that names the intent of a text.
type IntentClassifier interface {
	Classify(text string) Prediction
}

// EvaluateIntents classifies every example (labels normalized: oos is Other)
// and scores the predictions, including in-scope accuracy and out-of-scope
// recall.
func EvaluateIntents(c IntentClassifier, examples []Example) Report {
	gold := make([]string, len(examples))
	pred := make([]string, len(examples))
	var in, inOK, oos, oosOK, predOOS int
	for i, ex := range examples {
		gold[i] = normalizeIntent(ex.Label)
		pred[i] = c.Classify(ex.Text).Intent
		if pred[i] == Other {
			predOOS++
		}
		if gold[i] == Other {
			oos++
			if pred[i] == Other {
				oosOK++
			}
		} else {
			in++
			if pred[i] == gold[i] {
				inOK++
			}
		}
	}
	r := score(gold, pred)
	if in > 0 {
		v := float64(inOK) / float64(in)
		r.InScopeAccuracy = &v
	}
	if oos > 0 {
		v := float64(oosOK) / float64(oos)
		r.OOSRecall = &v
	}
	if predOOS > 0 {
		v := float64(oosOK) / float64(predOOS)
		r.OOSPrecision = &v
	}
	return r
}

// WriteTable prints the report as a readable table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "label\tprecision\trecall\tf1\tsupport\t\n")
	for _, l := range r.PerLabel {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", l.Label, l.Precision, l.Recall, l.F1, l.Support)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nexamples             %d\naccuracy             %.4f\nmacro-F1             %.4f\n", r.Examples, r.Accuracy, r.MacroF1)
	if r.InScopeAccuracy != nil {
		fmt.Fprintf(&b, "in-scope accuracy    %.4f\n", *r.InScopeAccuracy)
	}
	if r.OOSRecall != nil {
		fmt.Fprintf(&b, "out-of-scope recall  %.4f\n", *r.OOSRecall)
	}
	if r.OOSPrecision != nil {
		fmt.Fprintf(&b, "out-of-scope precis. %.4f\n", *r.OOSPrecision)
	}
	if r.Neutral != nil {
		fmt.Fprintf(&b, "neutral answers      %d (scored by the sign of the score)\n", *r.Neutral)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// EvaluateSentiment analyzes every example and scores the labels. Gold
// labels are negative|neutral|positive, or 0|1 for binary data (0 is
// negative). Binary data has no neutral class, so there the sign of the
// score decides: below zero is 0, otherwise 1 (a text without any sentiment
// cue counts as not negative); the report says how many answers were neutral.
func EvaluateSentiment(a SentimentAnalyzer, examples []Example) Report {
	binary := true
	for _, ex := range examples {
		if ex.Label != "0" && ex.Label != "1" {
			binary = false
			break
		}
	}
	gold := make([]string, len(examples))
	pred := make([]string, len(examples))
	neutral := 0
	for i, ex := range examples {
		gold[i] = strings.ToLower(strings.TrimSpace(ex.Label))
		s := a.Analyze(ex.Text)
		p := s.Label
		if binary && p != "0" && p != "1" { // a trained binary model answers 0|1 itself
			if p == Neutral {
				neutral++
			}
			p = "1"
			if s.Score < 0 {
				p = "0"
			}
		}
		pred[i] = p
	}
	r := score(gold, pred)
	if binary {
		r.Neutral = &neutral
	}
	return r
}
