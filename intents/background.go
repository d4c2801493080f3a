package intents

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// backgroundCSV is generic out-of-domain text: everyday sentences (Tatoeba)
// and voice-assistant commands (MASSIVE) in English and Chinese, filtered
// for anything a shop's customer service handles; written by kefu intents
// datasets --background (see data/SOURCE.md for sources and attribution).
//
//go:embed data/background.csv
var backgroundCSV string

var background = sync.OnceValues(func() ([]Example, error) {
	exs, err := ReadExamples(strings.NewReader(backgroundCSV))
	if err != nil {
		return nil, fmt.Errorf("background examples: %w", err)
	}
	return NormalizeIntentLabels(exs), nil
})

// BackgroundExamples returns the built-in background examples, labelled
// Other. Intent classifiers learn them as Other unless
// TrainOptions.NoBackground is set.
func BackgroundExamples() ([]Example, error) {
	exs, err := background()
	if err != nil {
		return nil, err
	}
	return append([]Example(nil), exs...), nil
}
