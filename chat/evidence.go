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

func newEvidence(res *knowledge.SearchResult, c candidate) *Evidence {
	x := c.x
	return &Evidence{Source: x.hit.Source, Heading: x.hit.Heading, Extract: x.text, Retrieval: res.Confidence,
		Coverage: x.coverage, Focus: x.focus, TopTwo: x.topTwo, Unseen: c.in[8], Rank: x.rank, Score: c.p}
}

// topTwo is the share of the question's two weightiest concepts that terms
// cover.
func (cs concepts) topTwo(terms map[string]bool) float64 {
	var weights []weightedConcept
	for _, c := range cs {
		if c.w > 0 {
			weights = append(weights, c)
		}
	}
	if len(weights) == 0 {
		return 0
	}
	sort.SliceStable(weights, func(i, j int) bool { return weights[i].w > weights[j].w })
	weights = weights[:min(2, len(weights))]
	covered := 0.0
	for _, c := range weights {
		if c.Covers(terms) {
			covered++
		}
	}
	return covered / float64(len(weights))
}

// Candidate is one extract the bot weighed, with the answer model's inputs
// and probability (for explaining an answer and training the model).
type Candidate struct {
	Source  string    `json:"source"`
	Heading string    `json:"heading"`
	Extract string    `json:"extract"`
	Inputs  []float64 `json:"inputs"`
	Score   float64   `json:"score"`
}

// answerModel is a logistic model over an extract's signals (unitInputs):
// the probability that the extract answers the question. Its weights are
// learned from the demo shop's development questions (kefu kb test
// --features, then kefu kb answer-model; chat/answer_model.json).
type answerModel struct {
	Inputs  []string  `json:"inputs"`
	Weights []float64 `json:"weights"` // one per input, then the bias
	Source  string    `json:"source"`
}

// AnswerInputs name the answer model's inputs.
func AnswerInputs() []string { return append([]string(nil), unitInputs...) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *answerModel) prob(x []float64) float64 {
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
	if len(m.Inputs) != len(unitInputs) || len(m.Weights) != len(unitInputs)+1 {
		return nil, fmt.Errorf("read answer model: inputs %v, want %v", m.Inputs, unitInputs)
	}
	for i, in := range m.Inputs {
		if in != unitInputs[i] {
			return nil, fmt.Errorf("read answer model: input %d is %q, want %q", i, in, unitInputs[i])
		}
	}
	return &m, nil
}
