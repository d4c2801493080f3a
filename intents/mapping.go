package intents

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
)

// LabelMap maps another dataset's labels to kefu intents, to evaluate a kefu
// model on data labelled with someone else's taxonomy. A label maps to one
// or more accepted intents (a prediction of any of them is right), to Other
// (the label is out of scope for kefu) or to nothing (its examples are
// excluded: kefu has no intent for them, and counting them either way would
// not be fair).
type LabelMap map[string][]string

// excludedLabel marks a label whose examples are left out.
const excludedLabel = "-"

// ReadLabelMap reads a mapping CSV with a header naming the columns label and
// intent (others, such as bot or why, are ignored unless bot is given: then
// only rows whose bot column equals it are read). An intent is a kefu intent
// name, several separated by "|", other, or "-" to exclude the label.
// Duplicate labels, empty intents and a missing column are errors wrapping
// ErrBadData.
func ReadLabelMap(r io.Reader, bot string) (LabelMap, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read label map: %v: %w", err, ErrBadData)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("label map has no rows: %w", ErrBadData)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	li, lok := col["label"]
	ii, iok := col["intent"]
	bi, bok := col["bot"]
	if !lok || !iok || (bot != "" && !bok) {
		return nil, fmt.Errorf("label map header %q needs label and intent columns (and bot, to pick a bot): %w", strings.Join(rows[0], ","), ErrBadData)
	}
	m := LabelMap{}
	for n, row := range rows[1:] {
		if len(row) <= max(li, ii) || (bot != "" && len(row) <= bi) {
			return nil, fmt.Errorf("label map line %d: too few fields: %w", n+2, ErrBadData)
		}
		if bot != "" && row[bi] != bot {
			continue
		}
		label, intent := strings.TrimSpace(row[li]), strings.TrimSpace(row[ii])
		if label == "" || intent == "" {
			return nil, fmt.Errorf("label map line %d: empty label or intent: %w", n+2, ErrBadData)
		}
		if _, dup := m[label]; dup {
			return nil, fmt.Errorf("label map line %d: label %q mapped twice: %w", n+2, label, ErrBadData)
		}
		var accepted []string
		if intent != excludedLabel {
			for _, in := range strings.Split(intent, "|") {
				if in = normalizeIntent(in); in == "" {
					return nil, fmt.Errorf("label map line %d: empty intent in %q: %w", n+2, intent, ErrBadData)
				}
				accepted = append(accepted, in)
			}
		}
		m[label] = accepted
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("label map has no rows for bot %q: %w", bot, ErrBadData)
	}
	return m, nil
}

// MappedReport is a Report on mapped data plus what the mapping left out.
type MappedReport struct {
	Report
	Excluded int `json:"excluded"` // examples whose label maps to nothing
}

// EvaluateMapped classifies every example whose label the map covers and
// scores the predictions: a prediction is right when it is one of the
// label's accepted intents. Examples of excluded labels are counted, not
// classified. A label the map does not know is an error wrapping ErrBadData,
// so a mapping cannot silently miss part of the data.
func EvaluateMapped(c IntentClassifier, examples []Example, m LabelMap) (MappedReport, error) {
	var rep MappedReport
	var kept []Example
	accepted := make([][]string, 0, len(examples))
	for _, ex := range examples {
		acc, ok := m[ex.Label]
		if !ok {
			return rep, fmt.Errorf("label %q is not in the label map: %w", ex.Label, ErrBadData)
		}
		if len(acc) == 0 {
			rep.Excluded++
			continue
		}
		kept = append(kept, ex)
		accepted = append(accepted, acc)
	}
	gold := make([]string, len(kept))
	pred := make([]string, len(kept))
	var in, inOK, oos, oosOK int
	for i, ex := range kept {
		p := c.Classify(ex.Text).Intent
		gold[i], pred[i] = accepted[i][0], p
		if slices.Contains(accepted[i], p) {
			gold[i] = p // right: score it as the accepted intent it picked
		}
		if gold[i] == Other {
			oos++
			if p == Other {
				oosOK++
			}
		} else {
			in++
			if gold[i] == p {
				inOK++
			}
		}
	}
	rep.Report = score(gold, pred)
	if in > 0 {
		v := float64(inOK) / float64(in)
		rep.InScopeAccuracy = &v
	}
	if oos > 0 {
		v := float64(oosOK) / float64(oos)
		rep.OOSRecall = &v
	}
	return rep, nil
}
