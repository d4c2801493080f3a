package intents

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Built-in data, authored for kefu (see data/SOURCE.md). The test sets are
// not embedded: nothing in the binary may learn from them.
//
//go:embed data/train_en.csv data/train_zh.csv data/sentiment_en.txt data/sentiment_zh.txt
var dataFS embed.FS

// Example is one labelled text.
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// ErrBadData marks training or evaluation data that cannot be read.
var ErrBadData = errors.New("bad data")

// Column names accepted for the text and the label, so the shared public
// datasets (text,category; label,review) read without conversion.
var (
	textColumns  = []string{"text", "review", "sentence", "utterance", "message"}
	labelColumns = []string{"label", "category", "intent", "sentiment"}
)

// ReadExamples reads labelled texts in one of two forms:
//   - CSV (RFC 4180) with a header naming a text column (text, review,
//     sentence, utterance or message) and a label column (label, category,
//     intent or sentiment), in any order;
//   - tab-separated lines "text<TAB>label" (the UCI sentiment files), where a
//     first line without a tab is a header and is skipped.
//
// Rows with an empty text or label are an error (wrapping ErrBadData), as is
// a file with no rows.
func ReadExamples(r io.Reader) ([]Example, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var out []Example
	switch {
	case bytes.Contains(first, []byte("\t")), // no CSV header has a tab
		bytes.Contains(data, []byte("\t")) && !bytes.Contains(first, []byte(",")): // a one-word header, then TSV
		out, err = readTSV(data)
	default:
		out, err = readCSV(data)
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no examples: %w", ErrBadData)
	}
	return out, nil
}

func readCSV(data []byte) ([]Example, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %v: %w", err, ErrBadData)
	}
	textCol, labelCol := -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if textCol < 0 && slices.Contains(textColumns, h) {
			textCol = i
		}
		if labelCol < 0 && slices.Contains(labelColumns, h) {
			labelCol = i
		}
	}
	if textCol < 0 || labelCol < 0 {
		return nil, fmt.Errorf("CSV header %q needs a text column (%s) and a label column (%s): %w",
			strings.Join(header, ","), strings.Join(textColumns, "|"), strings.Join(labelColumns, "|"), ErrBadData)
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read CSV: %v: %w", err, ErrBadData)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) <= max(textCol, labelCol) {
			return nil, fmt.Errorf("CSV line %d has %d fields; want %d: %w", line, len(rec), len(header), ErrBadData)
		}
		ex := Example{Text: strings.TrimSpace(rec[textCol]), Label: strings.TrimSpace(rec[labelCol])}
		if ex.Text == "" || ex.Label == "" {
			return nil, fmt.Errorf("CSV line %d: empty text or label: %w", line, ErrBadData)
		}
		out = append(out, ex)
	}
}

func readTSV(data []byte) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.LastIndexByte(line, '\t')
		if i < 0 {
			if n == 1 {
				continue // header
			}
			return nil, fmt.Errorf("line %d has no tab: %w", n, ErrBadData)
		}
		ex := Example{Text: strings.TrimSpace(line[:i]), Label: strings.TrimSpace(line[i+1:])}
		if ex.Text == "" || ex.Label == "" {
			return nil, fmt.Errorf("line %d: empty text or label: %w", n, ErrBadData)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read lines: %v: %w", err, ErrBadData)
	}
	return out, nil
}

// BuiltinExamples returns the built-in intent training examples, English then
// Chinese, with the label oos already read as Other.
func BuiltinExamples() ([]Example, error) {
	var all []Example
	for _, name := range []string{"data/train_en.csv", "data/train_zh.csv"} {
		f, err := dataFS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("built-in examples: %w", err)
		}
		exs, err := ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("built-in examples %s: %w", name, err)
		}
		all = append(all, exs...)
	}
	return NormalizeIntentLabels(all), nil
}

// NormalizeIntentLabels trims labels and reads oos, out_of_scope and other
// (in any case) as Other, in place; it returns exs. Every other label stays
// exactly as given: a label is the user's and comes back unchanged.
func NormalizeIntentLabels(exs []Example) []Example {
	for i := range exs {
		exs[i].Label = normalizeIntent(exs[i].Label)
	}
	return exs
}

func normalizeIntent(label string) string {
	label = strings.TrimSpace(label)
	switch strings.ToLower(label) {
	case "oos", "out_of_scope", "out-of-scope", Other:
		return Other
	}
	return label
}
