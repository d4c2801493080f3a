// Command zhwords writes retrieval/zhwords/words.txt.gz, the Chinese word list
// of kefu's word segmenter, from the simplified-Chinese dictionary that the
// gse module ships (github.com/go-ego/gse, Apache-2.0; its dictionary comes
// from jieba, github.com/fxsjy/jieba, MIT): every word of one to four Han
// characters seen at least -min times, with its count, sorted.
//
//	go run ./scripts/zhwords -dict $(go env GOMODCACHE)/github.com/go-ego/gse@v0.80.3/data/dict/zh/s_1.txt
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

func main() {
	dict := flag.String("dict", "", "gse's data/dict/zh/s_1.txt")
	out := flag.String("out", "retrieval/zhwords/words.txt.gz", "where to write the list (gzip)")
	minCount := flag.Int("min", 3, "least count a word needs")
	flag.Parse()
	if err := run(*dict, *out, *minCount); err != nil {
		fmt.Fprintln(os.Stderr, "zhwords:", err)
		os.Exit(1)
	}
}

func run(dict, out string, minCount int) error {
	f, err := os.Open(dict)
	if err != nil {
		return err
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) < 2 {
			continue
		}
		n, err := strconv.Atoi(p[1])
		if err != nil || n < minCount {
			continue
		}
		w := p[0]
		if l := utf8.RuneCountInString(w); l < 1 || l > 4 || strings.IndexFunc(w, func(r rune) bool { return !unicode.Is(unicode.Han, r) }) >= 0 {
			continue
		}
		counts[w] += n
	}
	if err := sc.Err(); err != nil {
		return err
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)
	var b strings.Builder
	for _, w := range words {
		fmt.Fprintf(&b, "%s\t%d\n", w, counts[w])
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	z, _ := gzip.NewWriterLevel(o, gzip.BestCompression)
	z.ModTime = time.Time{} // the same list gives the same bytes
	if _, err := z.Write([]byte(b.String())); err != nil {
		o.Close()
		return err
	}
	if err := z.Close(); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}
