package chat

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/retrieval"
)

// orderIntents are the intents answered from the shopper's own orders.
var orderIntents = map[string]bool{
	"order_status": true, "cancel_order": true, "change_order": true, "shipping_address": true, "refund_status": true,
}

// turn is the bot's turn for one committed shopper message (DESIGN.md's
// "bot's turn", steps 2–5).
func (e *Engine) turn(ctx context.Context, site *sites.Site, msg *Message) {
	a := e.opts.Analyzer.Analyze(ctx, site.ID, msg.Text)
	conv, err := e.opts.Store.turnStart(ctx, msg, a)
	if err != nil {
		e.logger.Error("load conversation", "conversation", msg.ConversationID, "error", err)
		return
	}
	lang := Lang(msg.Text, conv.Locale)
	cfg := site.Config()
	switch conv.State {
	case StateQueued:
		e.whileQueued(ctx, site, conv, msg, a, lang)
		return
	case StateAgent, StateResolved:
		return // a person owns it: the bot stays silent
	}

	negative := 0
	if a.Sentiment == "negative" {
		negative = conv.NegativeStreak + 1
	}
	// A tap on a topic the bot offered when it was not sure is not a
	// problem to escalate ("Damaged, faulty or wrong items"): it answers
	// the question the bot was not sure about, from that section.
	topic, asked, picked := e.pickedTopic(ctx, conv, msg)
	var d Decision
	if !picked {
		d = decide(cfg.Escalation, Signals{Intent: a.Intent, Problem: a.Problem, Sentiment: a.Sentiment, SentimentScore: a.SentimentScore,
			Angry: a.Angry, NegativeStreak: negative})
	}
	if d.Escalate {
		if err := e.opts.Store.SetStreaks(ctx, conv.ID, negative, conv.NoAnswerStreak); err != nil {
			e.logger.Error("streaks", "conversation", conv.ID, "error", err)
		}
		// When nobody can take it soon, the message that sends the
		// conversation to the queue is answered as the ones after it are
		// ("i see two charges for one order" gets the policy for double
		// charges, then the notice that the team will reply).
		if e.nobodyToAnswer(site) {
			e.answerWhileWaiting(ctx, site, conv, msg, a, lang)
		}
		e.escalate(ctx, site, conv, d, lang)
		return
	}

	start := time.Now()
	var reply reply
	if picked {
		reply, picked = e.pickAnswer(ctx, e.tappedQuestion(ctx, site, conv, asked, lang), topic)
	}
	if !picked {
		reply = e.draft(ctx, site, conv, msg, a, lang)
	}
	noAnswer := 0
	if !reply.answered {
		noAnswer = conv.NoAnswerStreak + 1
	}
	bot := &Message{ID: reply.id, ConversationID: conv.ID, Role: RoleBot, Text: reply.text, Citations: reply.citations, Products: reply.products,
		Topics: reply.topics, Intent: a.Intent, IntentConfidence: a.Confidence, Sentiment: a.Sentiment, SentimentScore: a.SentimentScore,
		Model: reply.model, LatencyMS: int(time.Since(start).Milliseconds()), TTFTMS: int(reply.ttft.Milliseconds()), Tokens: reply.tokens,
		Answered: &reply.answered, RetrievalConfidence: reply.confidence, Grounding: reply.grounding}
	// The reply and the streaks it changes are one write.
	if _, err := e.commitWith(ctx, site.ID, bot, &streaks{negative: negative, noAnswer: noAnswer}); err != nil {
		e.logger.Error("commit bot reply", "conversation", conv.ID, "error", err)
		return
	}
	if reply.escalate.Escalate {
		e.escalate(ctx, site, conv, reply.escalate, lang)
	} else if d := afterAnswer(cfg.Escalation, noAnswer); d.Escalate {
		e.escalate(ctx, site, conv, d, lang)
	}
}

// whileQueued handles a shopper message while the conversation waits for a
// person: keep an email the shopper leaves; answer a tap on a topic the bot
// offered; when nobody can answer soon (no agent online, or outside
// business hours) keep answering what the bot can answer with confidence,
// saying the team will follow up (and that it is not sure, with topics, for
// the rest); otherwise say once that someone is coming.
func (e *Engine) whileQueued(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) {
	if len(a.Emails) > 0 && conv.ContactEmail == "" {
		if err := e.opts.Store.SetContactEmail(ctx, conv.ID, a.Emails[0]); err == nil {
			e.system(ctx, site.ID, conv.ID, say(lang, "email_saved", a.Emails[0]))
		}
		return
	}
	nobody := e.nobodyToAnswer(site)
	// A topic the bot offered (before the conversation was queued, or
	// while it waits) is still the shopper's to tap: a button that does
	// nothing would look broken, so it is answered from that section even
	// with a person about to reply.
	if topic, asked, ok := e.pickedTopic(ctx, conv, msg); ok {
		start := time.Now()
		if r, ok := e.pickAnswer(ctx, e.tappedQuestion(ctx, site, conv, asked, lang), topic); ok {
			note := "follow_up_soon"
			if nobody {
				note = "follow_up"
			}
			e.replyWhileWaiting(ctx, site, conv, a, lang, r, start, note)
			return
		}
	}
	if !nobody {
		if first, err := e.opts.Store.MarkWaitingNotice(ctx, conv.ID); err == nil && first {
			e.system(ctx, site.ID, conv.ID, e.waitNotice(ctx, site, lang))
		}
		return
	}
	answered, topics := e.answerWhileWaiting(ctx, site, conv, msg, a, lang)
	if answered {
		return
	}
	if first, err := e.opts.Store.MarkWaitingNotice(ctx, conv.ID); err == nil && first {
		e.system(ctx, site.ID, conv.ID, e.waitNotice(ctx, site, lang))
		return
	}
	// The shopper knows a person will reply; a question the bot cannot
	// answer still gets a reply, not silence, with the topics it may be
	// about.
	no := false
	bot := &Message{ID: newUUID(), ConversationID: conv.ID, Role: RoleBot, Text: say(lang, "waiting_unsure"), Topics: topics, Intent: a.Intent,
		IntentConfidence: a.Confidence, Sentiment: a.Sentiment, SentimentScore: a.SentimentScore, Answered: &no}
	if _, err := e.commit(ctx, site.ID, bot); err != nil {
		e.logger.Error("commit bot reply while waiting", "conversation", conv.ID, "error", err)
	}
}

// answerWhileWaiting answers a message of a conversation nobody can take
// soon with what the bot can answer with confidence (a passage, the
// catalog, the shopper's orders), saying the team will follow up; it
// reports whether it answered, and the topics of a search that was not
// sure.
func (e *Engine) answerWhileWaiting(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) (bool, []Topic) {
	start := time.Now()
	r := e.offline(ctx, e.newQuestion(ctx, site, conv, msg, a, lang))
	if !r.answered || (r.kind != kindKnowledge && r.kind != kindProduct && r.kind != kindOrder) {
		return false, r.topics
	}
	return e.replyWhileWaiting(ctx, site, conv, a, lang, r, start, "follow_up"), nil
}

// replyWhileWaiting commits an answer given while the conversation waits
// for a person, with the note (a text key) that the team will follow up.
func (e *Engine) replyWhileWaiting(ctx context.Context, site *sites.Site, conv *Conversation, a Analysis, lang string, r reply, start time.Time, note string) bool {
	bot := &Message{ID: newUUID(), ConversationID: conv.ID, Role: RoleBot, Text: r.text + "\n\n" + say(lang, note),
		Citations: r.citations, Products: r.products, Intent: a.Intent, IntentConfidence: a.Confidence, Sentiment: a.Sentiment,
		SentimentScore: a.SentimentScore, LatencyMS: int(time.Since(start).Milliseconds()), Answered: &r.answered,
		RetrievalConfidence: r.confidence}
	if _, err := e.commit(ctx, site.ID, bot); err != nil {
		e.logger.Error("commit bot reply while waiting", "conversation", conv.ID, "error", err)
		return false
	}
	return true
}

// nobodyToAnswer reports whether no person will answer soon: no agent is
// online, or the team is outside its business hours.
func (e *Engine) nobodyToAnswer(site *sites.Site) bool {
	if open, _, err := site.Config().BusinessHours.Status(time.Now()); err == nil && !open {
		return true
	}
	return e.agentsOnline(site.ID) == 0
}

func (e *Engine) agentsOnline(siteID int64) int {
	if e.opts.AgentsOnline == nil {
		return 0
	}
	return e.opts.AgentsOnline(siteID)
}

// waitNotice tells the shopper when a person will answer.
func (e *Engine) waitNotice(ctx context.Context, site *sites.Site, lang string) string {
	hours := site.Config().BusinessHours
	if open, next, err := hours.Status(time.Now()); err == nil && !open && !next.IsZero() {
		return say(lang, "closed", backAt(lang, next, hours.Timezone))
	}
	if e.agentsOnline(site.ID) == 0 {
		return say(lang, "no_agents")
	}
	ahead, err := e.opts.Store.QueueLength(ctx, site.ID)
	if err != nil || ahead <= 1 {
		return say(lang, "queued_soon")
	}
	return say(lang, "queued", (ahead-1)*max(1, site.Config().MinutesPerQueued))
}

// backAt says when the team is back, in the site's time zone.
func backAt(lang string, t time.Time, zone string) string {
	if zone == "" {
		zone = "UTC"
	}
	if lang == "zh" {
		days := []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
		return fmt.Sprintf("%s %s（%s）", days[t.Weekday()], t.Format("15:04"), zone)
	}
	return fmt.Sprintf("%s %s (%s)", t.Format("Mon"), t.Format("15:04"), zone)
}

// escalate queues the conversation for a person with a reason, a priority
// and a summary, and tells the shopper what happens next.
func (e *Engine) escalate(ctx context.Context, site *sites.Site, conv *Conversation, d Decision, lang string) {
	if conv.State != StateBot && conv.State != StateResolved {
		return // already with people: no loops
	}
	summary := e.summarize(ctx, conv)
	updated, err := e.opts.Store.Transition(ctx, conv.ID, Change{Action: ActionEscalate, Reason: d.Reason, Priority: d.Priority, Summary: summary})
	if err != nil {
		e.logger.Error("escalate", "conversation", conv.ID, "error", err)
		return
	}
	e.publish(Event{Kind: KindState, ConversationID: conv.ID, SiteID: site.ID, State: updated.State})
	if first, err := e.opts.Store.MarkWaitingNotice(ctx, conv.ID); err == nil && first {
		e.system(ctx, site.ID, conv.ID, e.waitNotice(ctx, site, lang))
	}
}

// summarize is the agent's summary of a conversation: the shopper's recent
// messages (extractive; a model-written summary replaces it when available).
func (e *Engine) summarize(ctx context.Context, conv *Conversation) string {
	msgs, err := e.opts.Store.Messages(ctx, conv.ID, max(0, conv.LastSeq-12), 0, false)
	if err != nil {
		return ""
	}
	var lines []string
	for _, m := range msgs {
		if m.Role == RoleShopper {
			lines = append(lines, "• "+snip(m.Text, 200))
		}
	}
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	extractive := "Shopper said:\n" + strings.Join(lines, "\n")
	if e.opts.Model == nil || !e.opts.Model.Available() {
		return extractive
	}
	if s, err := e.modelSummary(ctx, msgs); err == nil && s != "" {
		return s
	}
	return extractive
}

func snip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// reply is the bot's drafted answer.
type reply struct {
	id         string
	text       string
	citations  []Citation
	products   []Product
	answered   bool     // false: the bot could not answer (counts toward escalation)
	confidence *float64 // the knowledge search's confidence behind the reply; nil: none ran
	model      string
	ttft       time.Duration
	tokens     int
	escalate   Decision // the model asked for a person (request_human)
	evidence   *Evidence
	best       *extract    // the likeliest extract, quoted or not (an agent may still use it)
	candidates []Candidate // every extract weighed (only when explaining)
	topics     []Topic     // sections offered to answer from instead (topics.go)
	grounding  string      // what the grounding check found (Grounding…)
	kind       string      // where an offline answer came from (kind…)
}

// Where an offline answer comes from.
const (
	kindSmallTalk = "smalltalk"
	kindOrder     = "order"     // the shopper's order data
	kindAskOrder  = "ask_order" // "which order?" or the email to verify it
	kindKnowledge = "knowledge"
	kindProduct   = "product"
	kindDecline   = "decline"
)

// draft writes the bot's reply: with the model when one is available,
// otherwise (or when it fails) from the evidence alone.
func (e *Engine) draft(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) reply {
	id := newUUID()
	q := e.newQuestion(ctx, site, conv, msg, a, lang)
	if e.opts.Model != nil && e.opts.Model.Available() && e.withinBudget(ctx, site) {
		r, err := e.draftWithModel(ctx, q, id, msg)
		if err == nil {
			return r
		}
		e.logger.Warn("model failed, answering offline", "conversation", conv.ID, "error", err)
	}
	r := e.offline(ctx, q)
	r.id = id
	return r
}

// newQuestion gathers what the bot knows around a shopper message: the
// verified customer, the order asked about, and the topic a follow-up
// continues.
func (e *Engine) newQuestion(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) *question {
	q := &question{site: site, conv: conv, text: msg.Text, a: a, lang: lang}
	q.customer, q.number, q.verified = e.verify(ctx, site, conv, a)
	q.msg = msg
	if isFollowUp(msg.Text) {
		q.earlier = e.earlierTopic(ctx, conv, msg)
		q.context = e.followUpContext(ctx, q.earlier, msg.Text)
	}
	return q
}

func (e *Engine) withinBudget(ctx context.Context, site *sites.Site) bool {
	budget := site.Config().DailyTokenBudget
	if budget <= 0 {
		return true
	}
	used, err := e.opts.Store.TokensToday(ctx, site.ID)
	return err != nil || used < budget
}

// passage trims a chunk to about n characters at a sentence end.
func passage(text string, n int) string {
	r := []rune(strings.TrimSpace(text))
	if len(r) <= n {
		return string(r)
	}
	cut := string(r[:n])
	if i := strings.LastIndexAny(cut, ".!?。！？\n"); i > n/2 {
		return strings.TrimSpace(cut[:i+1])
	}
	return strings.TrimSpace(cut) + "…"
}

// orderReply answers about the shopper's orders. Order data is shown only to
// a verified customer (see verify); an unverified shopper is asked for the
// order number and email.
func (e *Engine) orderReply(ctx context.Context, q *question) (string, bool) {
	if e.opts.Commerce == nil {
		return "", false
	}
	lang, site := q.lang, q.site
	switch {
	case q.verified == verifyLimited:
		return say(lang, "verify_limit"), true
	case q.verified == verifyUnavailable:
		return say(lang, "verify_failed"), true
	case q.verified == verifyMismatch:
		return say(lang, "order_unknown", q.number), true
	case q.customer == nil && q.number != "":
		return say(lang, "verify_order", q.number), true
	case q.customer == nil:
		return say(lang, "ask_order"), true
	case q.number != "":
		o, err := e.opts.Commerce.OrderFor(ctx, site.ID, *q.customer, q.number)
		if err != nil {
			return say(lang, "order_unknown", q.number), true
		}
		return describeOrder(lang, summaryOf(o)), true
	}
	orders, err := e.customerOrders(ctx, q)
	if err != nil {
		return "", false
	}
	if len(orders) == 0 {
		return say(lang, "no_orders"), true
	}
	// The orders with an item the shopper names ("where are my earbuds?"),
	// else the three most recent.
	var picked []knowledge.OrderRecord
	words := e.itemWords(ctx, q, q.text)
	for _, o := range orders {
		for _, it := range o.Items {
			if namesItem(words, it.Title) {
				picked = append(picked, o)
				break
			}
		}
	}
	if len(picked) == 0 {
		picked = orders[:min(3, len(orders))]
	}
	if len(picked) == 1 {
		return describeOrder(lang, summaryOf(&picked[0])), true
	}
	lines := []string{say(lang, "your_orders")}
	for _, o := range picked {
		lines = append(lines, "• "+describeOrder(lang, summaryOf(&o)))
	}
	return strings.Join(lines, "\n"), true
}

// namesItem reports whether the shopper's words name an item: a word of its
// title other than the most common ones ("fan" and "mug" do).
func namesItem(words map[string]bool, title string) bool {
	for _, t := range retrieval.SearchTerms(title) {
		if len(t) >= 3 && words[t] && !genericItemWord[t] {
			return true
		}
	}
	return false
}

var genericItemWord = map[string]bool{"set": true, "pack": true, "kit": true, "cotton": true, "linen": true, "wool": true}

// products finds product cards for a shopper's words.
func (e *Engine) products(ctx context.Context, site *sites.Site, query string) []Product {
	hits, err := e.opts.Commerce.SearchProducts(ctx, site.ID, query, 4)
	if err != nil {
		e.logger.Warn("search products", "error", err)
		return nil
	}
	out := make([]Product, len(hits))
	for i, h := range hits {
		out[i] = Product{SKU: h.SKU, Title: h.Title, Price: h.Price, Currency: h.Currency, URL: h.URL, ImageURL: h.ImageURL, InStock: h.Stock > 0}
	}
	return out
}

func summaryOf(o *knowledge.OrderRecord) OrderSummary {
	s := OrderSummary{Number: o.Number, Status: o.Status, Carrier: o.Carrier, Tracking: o.TrackingNumber, Total: o.Total,
		Currency: o.Currency, Created: o.CreatedAt, Shipped: o.ShippedAt, Delivered: o.DeliveredAt}
	for _, it := range o.Items {
		s.Items = append(s.Items, strconv.Itoa(it.Quantity)+" × "+it.Title)
	}
	return s
}

// recentEntities finds order numbers and emails in the shopper's last few
// messages, newest first.
func (e *Engine) recentEntities(ctx context.Context, conv *Conversation) (numbers, emails []string) {
	msgs, err := e.messagesAfter(ctx, conv, max(0, conv.LastSeq-10))
	if err != nil {
		return nil, nil
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != RoleShopper {
			continue
		}
		n, m := e.opts.Analyzer.Entities(conv.SiteID, msgs[i].Text)
		numbers = append(numbers, n...)
		emails = append(emails, m...)
	}
	return numbers, emails
}

// messagesAfter returns the conversation's messages (without notes) with
// seq > after: those its turn loaded with it when they cover after (see
// Store.turnStart), else from the store.
func (e *Engine) messagesAfter(ctx context.Context, conv *Conversation, after int) ([]Message, error) {
	if r := conv.recent; r != nil && after >= r.after {
		i := sort.Search(len(r.msgs), func(i int) bool { return r.msgs[i].Seq > after })
		return r.msgs[i:], nil
	}
	return e.opts.Store.Messages(ctx, conv.ID, after, 0, false)
}

// allowVerify limits order+email attempts per visitor (5 at once, then one
// every two minutes) and, while the visitor's network address has used up
// its failures (see verifyFailed), refuses every visitor from it.
func (e *Engine) allowVerify(visitorID int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.verifyRL[visitorID]
	if l == nil {
		l = rate.NewLimiter(rate.Every(2*time.Minute), 5)
		e.verifyRL[visitorID] = l
	}
	if !l.Allow() {
		return false
	}
	a := e.verifyAddrRL[e.remotes[visitorID]]
	return a == nil || a.Tokens() >= 1
}

// verifyFailed counts a wrong order+email pair against the visitor's
// address: 10 at once, then one every 30 seconds, however many visitors it
// opens. Only failures count, so shoppers behind one shared address (an
// office, a proxy) who type their own order right are not held up.
func (e *Engine) verifyFailed(visitorID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	addr := e.remotes[visitorID]
	if addr == "" {
		return
	}
	a := e.verifyAddrRL[addr]
	if a == nil {
		a = rate.NewLimiter(rate.Every(30*time.Second), 10)
		e.verifyAddrRL[addr] = a
	}
	a.Allow()
}
