package intents

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ExampleStore is where a Service reads the sites' custom examples; *Store
// is one.
type ExampleStore interface {
	// Examples returns the site's custom examples (none is not an error).
	Examples(ctx context.Context, siteID int64) ([]Example, error)
	// SitesWithExamples returns the sites that have any.
	SitesWithExamples(ctx context.Context) ([]int64, error)
}

// ServiceOptions configure a Service. The zero value works.
type ServiceOptions struct {
	Logger *slog.Logger      // default: discard
	Train  TrainOptions      // for the built-in and the site models
	LLM    Completer         // optional model for ClassifyLLM
	LLMOpt LLMOptions        // timeout for the LLM (intents are filled in per site)
	Mood   SentimentAnalyzer // default: the built-in SentimentClassifier
	// Builtin is an already trained built-in classifier to use (it is
	// immutable, so services may share one); nil trains it.
	Builtin *Classifier
}

// Understanding is everything the bot learns from one message.
type Understanding struct {
	Intent    Prediction `json:"intent"`
	Sentiment Sentiment  `json:"sentiment"`
	Entities  []Entity   `json:"entities"`
	Language  string     `json:"language"` // zh, en, ja, ko or ""
	// Problem says the message reports a problem ("my card was charged
	// twice") rather than asking how something works or asking for
	// something ("will my card be charged in pounds?"); ProblemP is the
	// detector's probability that it does (Problem is ProblemP >=
	// ProblemThreshold).
	Problem  bool    `json:"problem"`
	ProblemP float64 `json:"problem_p"`
}

// RetrainReport says what a retraining produced.
type RetrainReport struct {
	SiteID         int64         `json:"site_id"`
	CustomExamples int           `json:"custom_examples"`
	Labels         []string      `json:"labels"`
	Threshold      float64       `json:"threshold"`
	Took           time.Duration `json:"took_ns"`
}

// Service holds the built-in classifier and one classifier per site with
// custom intents, plus the sentiment analyzer and per-site entity patterns.
// Classification reads an immutable snapshot (no locks on the hot path);
// Retrain builds a new model and swaps it in atomically, so a site's new
// intents apply without a restart. It is safe for concurrent use.
type Service struct {
	store     ExampleStore
	opt       ServiceOptions
	logger    *slog.Logger
	builtin   *Classifier
	base      []Example // the built-in examples, trained into every site model
	mood      SentimentAnalyzer
	problem   *ProblemDetector
	extractor *Extractor

	sites     atomic.Pointer[map[int64]*Classifier]
	patterns  atomic.Pointer[map[int64]*Extractor]
	swapMu    sync.Mutex // serializes the copy-on-write swaps of sites and patterns
	retrainMu sync.Map   // site id → *sync.Mutex: one retraining per site at a time
}

// NewService trains the built-in classifier (about a second, once per
// process and training options; unless opt.Builtin gives one) and the small
// built-in sentiment and problem models (once per process), and returns a
// service with no site models yet; call Load to train those.
// store may be nil when no site has custom intents.
func NewService(ctx context.Context, store ExampleStore, opt ServiceOptions) (*Service, error) {
	s := &Service{store: store, opt: opt, logger: opt.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	base, err := BuiltinExamples()
	if err != nil {
		return nil, err
	}
	s.base = base
	// The small built-in models (sentiment, problem reports) train while
	// the intent classifier does; this goroutine is always waited for.
	small := make(chan error, 1)
	go func() {
		_, err := BuiltinSentiment()
		if err == nil {
			_, err = BuiltinProblem()
		}
		small <- err
	}()
	if s.builtin = opt.Builtin; s.builtin == nil {
		if s.builtin, err = s.trainBuiltin(ctx, base, opt.Train); err != nil {
			<-small
			return nil, err
		}
	}
	if err := <-small; err != nil {
		return nil, fmt.Errorf("train built-in sentiment and problem models: %w", err)
	}
	s.mood = opt.Mood
	if s.mood == nil {
		if s.mood, err = BuiltinSentiment(); err != nil {
			return nil, err
		}
	}
	if s.problem, err = BuiltinProblem(); err != nil {
		return nil, err
	}
	if s.extractor, err = NewExtractor(""); err != nil {
		return nil, err
	}
	s.sites.Store(&map[int64]*Classifier{})
	s.patterns.Store(&map[int64]*Extractor{})
	return s, nil
}

// builtinModels caches the built-in classifier of the process per training
// options. It is immutable, so every Service can share it: a process that
// starts several services (tests start several nodes) trains it once.
var builtinModels = struct {
	sync.Mutex
	m map[TrainOptions]*Classifier
}{m: map[TrainOptions]*Classifier{}}

// trainBuiltin returns the built-in classifier for opt, training it on base
// unless this process already did.
func (s *Service) trainBuiltin(ctx context.Context, base []Example, opt TrainOptions) (*Classifier, error) {
	builtinModels.Lock()
	defer builtinModels.Unlock()
	if c, ok := builtinModels.m[opt]; ok {
		return c, nil
	}
	start := time.Now()
	c, err := TrainClassifier(ctx, base, opt)
	if err != nil {
		return nil, fmt.Errorf("train built-in intents: %w", err)
	}
	c.source = "builtin"
	builtinModels.m[opt] = c
	s.logger.InfoContext(ctx, "intent classifier trained", "examples", len(base), "took", time.Since(start))
	return c, nil
}

// Load retrains the model of every site that has custom examples (at
// start-up). A site that fails is logged and keeps the built-in model; the
// first error is returned after all sites were tried.
func (s *Service) Load(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	ids, err := s.store.SitesWithExamples(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, id := range ids {
		if _, err := s.Retrain(ctx, id); err != nil {
			s.logger.ErrorContext(ctx, "retrain site intents", "site", id, "error", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// Builtin returns the built-in classifier.
func (s *Service) Builtin() *Classifier { return s.builtin }

// classifier returns the site's model, or the built-in one.
func (s *Service) classifier(siteID int64) *Classifier {
	if c, ok := (*s.sites.Load())[siteID]; ok {
		return c
	}
	return s.builtin
}

// Classify returns the intent of text with the site's model (the built-in
// one when the site has no custom intents). It never blocks on I/O.
func (s *Service) Classify(_ context.Context, siteID int64, text string) Prediction {
	return s.classifier(siteID).Classify(text)
}

// ClassifyLLM asks the configured language model, with the site's intents,
// and falls back to Classify on error, timeout or an invalid answer. Without
// a model it is Classify.
func (s *Service) ClassifyLLM(ctx context.Context, siteID int64, text string) Prediction {
	c := s.classifier(siteID)
	if s.opt.LLM == nil {
		return c.Classify(text)
	}
	opt := s.opt.LLMOpt
	opt.Intents = intentInfos(c.Labels())
	if opt.Logger == nil {
		opt.Logger = s.logger
	}
	return NewLLMClassifier(s.opt.LLM, c, opt).Classify(ctx, text)
}

// intentInfos describes labels: built-in ones with their descriptions,
// custom ones as the shop's own.
func intentInfos(labels []string) []IntentInfo {
	desc := map[string]string{}
	for _, in := range Taxonomy() {
		desc[in.Name] = in.Description
	}
	var out []IntentInfo
	for _, l := range labels {
		if l == Other {
			continue
		}
		d, ok := desc[l]
		if !ok {
			d = "an intent this shop defined (named " + l + ")"
		}
		out = append(out, IntentInfo{Name: l, Description: d})
	}
	return append(out, IntentInfo{Name: Other, Description: desc[Other]})
}

// Sentiment scores text with the service's analyzer.
func (s *Service) Sentiment(text string) Sentiment { return s.mood.Analyze(text) }

// Problem reports whether text reports a problem rather than asking, with
// the probability that it does (see Understanding.Problem).
func (s *Service) Problem(text string) (bool, float64) { return s.problem.Detect(text) }

// SetOrderPattern sets the site's order number pattern ("" restores
// DefaultOrderPattern). A bad pattern is an error wrapping ErrBadData.
func (s *Service) SetOrderPattern(siteID int64, pattern string) error {
	x, err := NewExtractor(pattern)
	if err != nil {
		return err
	}
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	next := copyMap(*s.patterns.Load())
	if pattern == "" {
		delete(next, siteID)
	} else {
		next[siteID] = x
	}
	s.patterns.Store(&next)
	return nil
}

// Entities extracts the entities of text with the site's order pattern.
func (s *Service) Entities(siteID int64, text string) []Entity {
	if x, ok := (*s.patterns.Load())[siteID]; ok {
		return x.Extract(text)
	}
	return s.extractor.Extract(text)
}

// Understand classifies text (built-in path, no model call), scores its
// sentiment, tells a problem report from a question, extracts entities and
// detects the language.
func (s *Service) Understand(ctx context.Context, siteID int64, text string) Understanding {
	u := Understanding{
		Intent:   s.Classify(ctx, siteID, text),
		Entities: s.Entities(siteID, text),
		Language: DetectLanguage(text),
	}
	if sc, ok := s.mood.(*SentimentClassifier); ok {
		// the built-in analyzer: its rules' cues serve the problem detector
		// too, so the lexicon runs once
		var c ruleCues
		u.Sentiment, c = sc.analyze(text)
		u.Problem, u.ProblemP = s.problem.detect(text, c)
	} else {
		u.Sentiment = s.Sentiment(text)
		u.Problem, u.ProblemP = s.Problem(text)
	}
	return u
}

// Retrain trains the site's model on the built-in examples plus the site's
// custom ones and swaps it in; with no custom examples the site goes back to
// the built-in model. Classification keeps using the old model until the
// swap. Retrainings of one site run one at a time.
func (s *Service) Retrain(ctx context.Context, siteID int64) (RetrainReport, error) {
	rep := RetrainReport{SiteID: siteID}
	if s.store == nil {
		return rep, fmt.Errorf("retrain site %d: no example store", siteID)
	}
	mu, _ := s.retrainMu.LoadOrStore(siteID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	start := time.Now()
	custom, err := s.store.Examples(ctx, siteID)
	if err != nil {
		return rep, fmt.Errorf("retrain site %d: %w", siteID, err)
	}
	rep.CustomExamples = len(custom)
	var c *Classifier
	if len(custom) > 0 {
		all := make([]Example, 0, len(s.base)+len(custom))
		all = append(append(all, s.base...), weighCustom(custom)...)
		if c, err = TrainClassifier(ctx, NormalizeIntentLabels(all), s.opt.Train); err != nil {
			return rep, fmt.Errorf("retrain site %d: %w", siteID, err)
		}
	}
	s.swapMu.Lock()
	next := copyMap(*s.sites.Load())
	if c == nil {
		delete(next, siteID)
	} else {
		next[siteID] = c
	}
	s.sites.Store(&next)
	s.swapMu.Unlock()
	used := s.classifier(siteID)
	rep.Labels, rep.Threshold, rep.Took = used.Labels(), used.Threshold(), time.Since(start)
	s.logger.InfoContext(ctx, "site intents retrained", "site", siteID, "custom_examples", len(custom), "labels", len(rep.Labels), "took", rep.Took)
	return rep, nil
}

// customWeight is how many examples a custom label should weigh at least:
// a shop writes a dozen or two, the built-in labels have over a hundred,
// and a label with few examples loses to its well-fed neighbours.
const customWeight = 64

// weighCustom repeats each custom label's examples (at most 8 times) until
// the label weighs about customWeight examples.
func weighCustom(custom []Example) []Example {
	count := map[string]int{}
	for _, ex := range custom {
		count[ex.Label]++
	}
	var out []Example
	for _, ex := range custom {
		n := min(8, max(1, (customWeight+count[ex.Label]-1)/count[ex.Label]))
		for range n {
			out = append(out, ex)
		}
	}
	return out
}

func copyMap[V any](m map[int64]V) map[int64]V {
	out := make(map[int64]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
