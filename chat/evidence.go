package chat

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"

	"kefu/knowledge"
)

// Evidence is what the bot weighed before quoting a passage: the part it
// would quote and the signals that tell whether that part answers. Score is
// the calibrated probability that it does (see answerModel); the bot quotes
// it when Score reaches the site's minimum confidence.
type Evidence struct {
	Source    string  `json:"source"`
	Heading   string  `json:"heading"`
	Extract   string  `json:"extract"`
	Retrieval float64 `json:"retrieval"` // the search's calibrated confidence in its best passage
	Coverage  float64 `json:"coverage"`  // weighted share of the question the extract (and its heading) covers
	Focus     bool    `json:"focus"`     // it covers the question's main word
	TopTwo    float64 `json:"top_two"`   // share of the question's two weightiest words it covers
	Unseen    float64 `json:"unseen"`    // share of the question's weight in words the site never uses
	Rank      int     `json:"rank"`      // of the passage among the search's hits (1 = best)
	Score     float64 `json:"score"`
}

func newEvidence(res *knowledge.SearchResult, cs concepts, x extract) *Evidence {
	ev := &Evidence{Source: x.hit.Source, Heading: x.hit.Heading, Extract: x.text, Retrieval: res.Confidence,
		Coverage: x.coverage, Focus: x.focus, Rank: x.rank}
	total, unseen := 0.0, 0.0
	var weights []weightedConcept
	for _, c := range cs {
		total += c.w
		if !c.Known && len(c.Alts) == 0 {
			unseen += c.w
		}
		if c.w > 0 {
			weights = append(weights, c)
		}
	}
	if total > 0 {
		ev.Unseen = unseen / total
	}
	sort.SliceStable(weights, func(i, j int) bool { return weights[i].w > weights[j].w })
	weights = weights[:min(2, len(weights))]
	if len(weights) > 0 {
		covered := 0.0
		terms := x.terms
		for _, c := range weights {
			if c.Covers(terms) {
				covered++
			}
		}
		ev.TopTwo = covered / float64(len(weights))
	}
	ev.Score = defaultAnswerModel().score(ev)
	return ev
}

// answerModel is a logistic model over the evidence: the probability that
// an extract answers the question. Its weights are learned from the demo
// shop's development questions (kefu kb test --train; chat/answer_model.json).
type answerModel struct {
	Inputs  []string  `json:"inputs"`
	Weights []float64 `json:"weights"` // one per input, then the bias
	Source  string    `json:"source"`
}

// answerInputs name the model's inputs, in order.
var answerInputs = []string{"retrieval", "coverage", "focus", "top_two", "unseen", "rank1"}

func (ev *Evidence) inputs() []float64 {
	return []float64{ev.Retrieval, ev.Coverage, b2f(ev.Focus), ev.TopTwo, ev.Unseen, b2f(ev.Rank == 1)}
}

// EvidenceInputs are the answer model's inputs for ev (for training it).
func EvidenceInputs(ev *Evidence) []float64 { return ev.inputs() }

// AnswerInputs name the answer model's inputs.
func AnswerInputs() []string { return append([]string(nil), answerInputs...) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *answerModel) score(ev *Evidence) float64 {
	x := ev.inputs()
	z := m.Weights[len(x)]
	for i, v := range x {
		z += m.Weights[i] * v
	}
	return 1 / (1 + math.Exp(-z))
}

//go:embed answer_model.json
var answerModelJSON []byte

var defaultAnswerModel = sync.OnceValue(func() *answerModel {
	m, err := parseAnswerModel(answerModelJSON)
	if err != nil {
		panic(err) // embedded; checked by the tests
	}
	return m
})

func parseAnswerModel(b []byte) (*answerModel, error) {
	var m answerModel
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read answer model: %w", err)
	}
	if len(m.Inputs) != len(answerInputs) || len(m.Weights) != len(answerInputs)+1 {
		return nil, fmt.Errorf("read answer model: inputs %v, want %v", m.Inputs, answerInputs)
	}
	for i, in := range m.Inputs {
		if in != answerInputs[i] {
			return nil, fmt.Errorf("read answer model: input %d is %q, want %q", i, in, answerInputs[i])
		}
	}
	return &m, nil
}
