package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"kefu/internal/account"
	"kefu/internal/sites"
	"kefu/knowledge"
	"kefu/llm"
)

// The agent side of a conversation: what support agents do (claim, reply,
// note, transfer, hand back, resolve, suggest, type) and what they see (the
// inbox and a conversation's detail). Callers (web) have already checked
// that the agent may see the conversation's site; the methods here check
// who owns the conversation. Every change is published through the engine,
// so shoppers and other agents see it live, on every node.

// ClaimedError means another agent owns the conversation; it names them so
// the loser of a claim race learns who won. errors.Is(err, ErrClaimed) holds.
type ClaimedError struct {
	UserID int64
	Name   string
}

func (e *ClaimedError) Error() string {
	if e.Name == "" {
		return ErrClaimed.Error()
	}
	return fmt.Sprintf("%s already has this conversation", e.Name)
}

// Unwrap makes a ClaimedError match ErrClaimed.
func (e *ClaimedError) Unwrap() error { return ErrClaimed }

// claimedBy builds the ClaimedError for a conversation someone else owns.
func (e *Engine) claimedBy(ctx context.Context, convID string) error {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil || conv.AssignedUserID == nil {
		return &ClaimedError{}
	}
	ce := &ClaimedError{UserID: *conv.AssignedUserID}
	if e.opts.Users != nil {
		if u, err := e.opts.Users.ByID(ctx, ce.UserID); err == nil {
			ce.Name = u.Name
		}
	}
	return ce
}

// mayManage reports whether agent may hand back, transfer or resolve conv:
// its owner, or anyone while nobody owns it, or an admin.
func mayManage(conv *Conversation, agent *account.User) bool {
	return conv.State != StateAgent || agent.Role == account.RoleAdmin ||
		(conv.AssignedUserID != nil && *conv.AssignedUserID == agent.ID)
}

func owns(conv *Conversation, agent *account.User) bool {
	return conv.State == StateAgent && conv.AssignedUserID != nil && *conv.AssignedUserID == agent.ID
}

// shopperLang is the language of the shopper's latest message (or their
// locale): system notices to the shopper use it.
func (e *Engine) shopperLang(ctx context.Context, conv *Conversation) string {
	msgs, err := e.opts.Store.Messages(ctx, conv.ID, max(0, conv.LastSeq-20), 0, false)
	if err == nil {
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Role == RoleShopper {
				return Lang(msgs[i].Text, conv.Locale)
			}
		}
	}
	return Lang("", conv.Locale)
}

// publishState tells everyone watching conv its new state and owner.
func (e *Engine) publishState(conv *Conversation, agentName string) {
	e.publish(Event{Kind: KindState, ConversationID: conv.ID, SiteID: conv.SiteID, State: conv.State,
		AgentName: agentName, UserID: conv.AssignedUserID})
}

// Claim gives the conversation to agent atomically: of agents racing, one
// wins and the others get a ClaimedError naming the winner. Claiming one's
// own conversation again changes nothing. The shopper is told who joined.
func (e *Engine) Claim(ctx context.Context, convID string, agent *account.User) (*Conversation, error) {
	before, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if owns(before, agent) {
		return before, nil
	}
	conv, err := e.opts.Store.Transition(ctx, convID, Change{Action: ActionClaim, UserID: &agent.ID})
	if errors.Is(err, ErrClaimed) {
		return nil, e.claimedBy(ctx, convID)
	}
	if err != nil {
		return nil, err
	}
	e.publishState(conv, agent.Name)
	e.system(ctx, conv.SiteID, conv.ID, say(e.shopperLang(ctx, conv), "agent_joined", agent.Name))
	return conv, nil
}

// checkText validates an agent's message text.
func checkText(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", fmt.Errorf("empty message: %w", ErrInvalid)
	case !utf8.ValidString(text):
		return "", fmt.Errorf("message is not valid UTF-8: %w", ErrInvalid)
	case utf8.RuneCountInString(text) > MaxMessageLength:
		return "", fmt.Errorf("message longer than %d characters: %w", MaxMessageLength, ErrInvalid)
	}
	return text, nil
}

// Reply sends the agent's message to the shopper. Replying to a
// conversation nobody owns yet claims it first; one another agent owns is a
// ClaimedError. clientID (optional) makes a resend harmless, as for shoppers.
func (e *Engine) Reply(ctx context.Context, convID string, agent *account.User, text, clientID string) (*Message, *Conversation, error) {
	text, err := checkText(text)
	if err != nil {
		return nil, nil, err
	}
	if len(clientID) > 100 {
		return nil, nil, fmt.Errorf("client_id too long: %w", ErrInvalid)
	}
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case owns(conv, agent):
	case conv.State == StateAgent:
		return nil, nil, e.claimedBy(ctx, convID)
	case conv.State == StateResolved:
		return nil, nil, fmt.Errorf("reply to a resolved conversation: %w", ErrTransition)
	default:
		if conv, err = e.Claim(ctx, convID, agent); err != nil {
			return nil, nil, err
		}
	}
	m, _, dup, err := e.opts.Store.Append(ctx, &Message{ConversationID: convID, Role: RoleAgent, Text: text, UserID: &agent.ID, ClientID: clientID})
	if err != nil {
		return nil, nil, err
	}
	if !dup {
		e.publish(Event{Kind: KindMessage, ConversationID: convID, SiteID: conv.SiteID, Message: m})
	}
	conv.LastSeq = max(conv.LastSeq, m.Seq)
	return m, conv, nil
}

// Note adds an internal note: agents see it, the shopper never does (the
// widget drops role note, and replays leave notes out). Any agent of the
// site may add one, in any state.
func (e *Engine) Note(ctx context.Context, convID string, agent *account.User, text, clientID string) (*Message, error) {
	text, err := checkText(text)
	if err != nil {
		return nil, err
	}
	if len(clientID) > 100 {
		return nil, fmt.Errorf("client_id too long: %w", ErrInvalid)
	}
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	m, _, dup, err := e.opts.Store.Append(ctx, &Message{ConversationID: convID, Role: RoleNote, Text: text, UserID: &agent.ID, ClientID: clientID})
	if err != nil {
		return nil, err
	}
	if !dup {
		e.publish(Event{Kind: KindMessage, ConversationID: convID, SiteID: conv.SiteID, Message: m})
	}
	return m, nil
}

// Transfer gives the conversation to another enabled user who works for its
// site. The owner or an admin may transfer an owned conversation; one still
// in the bot's hands or queued is assigned directly.
func (e *Engine) Transfer(ctx context.Context, convID string, agent *account.User, toUserID int64) (*Conversation, error) {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if !mayManage(conv, agent) {
		return nil, e.claimedBy(ctx, convID)
	}
	if e.opts.Users == nil {
		return nil, errors.New("transfer: the engine has no Users")
	}
	to, err := e.opts.Users.ByID(ctx, toUserID)
	if errors.Is(err, account.ErrNotFound) {
		return nil, fmt.Errorf("user %d: %w", toUserID, ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	scope, err := e.opts.Users.ScopeOf(ctx, to)
	if err != nil {
		return nil, err
	}
	if to.Disabled || !scope.Allows(conv.SiteID) {
		return nil, fmt.Errorf("%s does not work for this site: %w", to.Name, ErrInvalid)
	}
	if owns(conv, to) {
		return conv, nil
	}
	action := ActionTransfer
	if conv.State != StateAgent {
		action = ActionClaim
	}
	conv, err = e.opts.Store.Transition(ctx, convID, Change{Action: action, UserID: &to.ID})
	if errors.Is(err, ErrClaimed) {
		return nil, e.claimedBy(ctx, convID)
	}
	if err != nil {
		return nil, err
	}
	e.publishState(conv, to.Name)
	e.system(ctx, conv.SiteID, conv.ID, say(e.shopperLang(ctx, conv), "agent_joined", to.Name))
	return conv, nil
}

// Handback returns the conversation to the bot, which answers the
// shopper's next message; the shopper is told in their language.
func (e *Engine) Handback(ctx context.Context, convID string, agent *account.User) (*Conversation, error) {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if !mayManage(conv, agent) {
		return nil, e.claimedBy(ctx, convID)
	}
	conv, err = e.opts.Store.Transition(ctx, convID, Change{Action: ActionHandback, UserID: &agent.ID})
	if err != nil {
		return nil, err
	}
	e.publishState(conv, "")
	e.system(ctx, conv.SiteID, conv.ID, say(e.shopperLang(ctx, conv), "handback"))
	return conv, nil
}

// Resolve closes the conversation; the widget then asks the shopper for a
// rating. A new shopper message reopens it with the bot.
func (e *Engine) Resolve(ctx context.Context, convID string, agent *account.User) (*Conversation, error) {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if !mayManage(conv, agent) {
		return nil, e.claimedBy(ctx, convID)
	}
	lang := e.shopperLang(ctx, conv)
	conv, err = e.opts.Store.Transition(ctx, convID, Change{Action: ActionResolve, UserID: &agent.ID})
	if err != nil {
		return nil, err
	}
	e.system(ctx, conv.SiteID, conv.ID, say(lang, "resolved"))
	e.publishState(conv, "")
	return e.opts.Store.Conversation(ctx, convID)
}

// AgentTyping tells the shopper (and other agents) that agent is typing.
func (e *Engine) AgentTyping(conv *Conversation, agent *account.User) {
	e.publish(Event{Kind: KindTyping, ConversationID: conv.ID, SiteID: conv.SiteID, Role: RoleAgent,
		AgentName: agent.Name, UserID: &agent.ID})
}

// PublishPresence tells the consoles of every site user works for that the
// user is now online, away or offline.
func (e *Engine) PublishPresence(ctx context.Context, user *account.User, status string) error {
	var siteIDs []int64
	if user.Role == account.RoleAdmin {
		sites, err := e.opts.Sites.List(ctx)
		if err != nil {
			return err
		}
		for _, s := range sites {
			siteIDs = append(siteIDs, s.ID)
		}
	} else {
		if e.opts.Users == nil {
			return errors.New("publish presence: the engine has no Users")
		}
		var err error
		if siteIDs, err = e.opts.Users.SitesOf(ctx, user.ID); err != nil {
			return err
		}
	}
	for _, id := range siteIDs {
		e.publish(Event{Kind: KindPresence, SiteID: id, UserID: &user.ID, AgentName: user.Name, Status: status})
	}
	return nil
}

// PublishNotice tells the consoles of the site's admins, on every node,
// something they should know (code names it, text says it).
func (e *Engine) PublishNotice(siteID int64, code, text string) {
	e.publish(Event{Kind: KindNotice, SiteID: siteID, Status: code, Text: text})
}

// ModelStatus is what the console shows about the model.
type ModelStatus struct {
	Configured bool   `json:"configured"`
	Name       string `json:"name,omitempty"`
	// Available is false while the circuit breaker is open (the endpoint
	// is failing) and the bot answers offline.
	Available bool `json:"available"`
}

// ModelStatus reports whether a model is configured and healthy.
func (e *Engine) ModelStatus() ModelStatus {
	if e.opts.Model == nil {
		return ModelStatus{}
	}
	return ModelStatus{Configured: true, Name: e.opts.Model.Name(), Available: e.opts.Model.Available()}
}

// ---- Suggested replies ----

// Suggestion is a drafted reply for an agent to edit before sending.
type Suggestion struct {
	Text      string     `json:"text"` // empty: nothing useful to suggest
	Citations []Citation `json:"citations"`
	Products  []Product  `json:"products,omitempty"`
	// Source says where the draft comes from: model, knowledge (the best
	// passage), orders (the order rows) or none.
	Source     string  `json:"source"`
	Model      string  `json:"model,omitempty"`
	Confidence float64 `json:"confidence,omitempty"` // retrieval confidence of the passages
	ReplyTo    int     `json:"reply_to"`             // seq of the shopper message it answers
}

// Suggest drafts a reply to the shopper's latest message: with the model
// when one is available (the bot's retrieval and tools, scoped to the
// verified customer as always), otherwise the best knowledge passage or the
// order rows. Nothing is sent or streamed to the shopper.
func (e *Engine) Suggest(ctx context.Context, convID string) (*Suggestion, error) {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	site, err := e.opts.Sites.ByID(ctx, conv.SiteID)
	if err != nil {
		return nil, err
	}
	msgs, err := e.opts.Store.Messages(ctx, conv.ID, max(0, conv.LastSeq-40), 0, false)
	if err != nil {
		return nil, err
	}
	var last *Message
	for i := len(msgs) - 1; i >= 0 && last == nil; i-- {
		if msgs[i].Role == RoleShopper {
			last = &msgs[i]
		}
	}
	if last == nil {
		return nil, fmt.Errorf("the shopper has not written anything to answer: %w", ErrInvalid)
	}
	a := e.opts.Analyzer.Analyze(ctx, site.ID, last.Text)
	lang := Lang(last.Text, conv.Locale)
	if e.opts.Model != nil && e.opts.Model.Available() && e.withinBudget(ctx, site) {
		s, err := e.suggestWithModel(ctx, site, conv, last, a, lang)
		if err == nil {
			return s, nil
		}
		e.logger.Warn("model failed, suggesting offline", "conversation", conv.ID, "error", err)
	}
	s := e.suggestOffline(ctx, site, conv, last, a, lang)
	s.ReplyTo = last.Seq
	return s, nil
}

// suggestTools are the bot's tools minus request_human: the agent is the human.
var suggestTools = func() []llm.Tool {
	var out []llm.Tool
	for _, t := range tools {
		if t.Name != "request_human" {
			out = append(out, t)
		}
	}
	return out
}()

// suggestWithModel drafts like the bot, without streaming to the shopper
// and without request_human (the agent is the human).
func (e *Engine) suggestWithModel(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) (*Suggestion, error) {
	c, err := e.compose(ctx, site, conv, msg, a, lang, composeOptions{tools: suggestTools,
		note: "\nThis reply is a draft: a person from the support team will review it and send it as their own.\n"})
	if err != nil {
		return nil, err
	}
	return &Suggestion{Text: c.text, Citations: c.citations, Products: c.products, Source: "model",
		Model: e.opts.Model.Name(), Confidence: c.confidence, ReplyTo: msg.Seq}, nil
}

// suggestOffline offers the order rows for a question about the shopper's
// order, else the part of a passage that answers, else the best knowledge
// passage whatever its confidence (the agent judges), else nothing.
func (e *Engine) suggestOffline(ctx context.Context, site *sites.Site, conv *Conversation, msg *Message, a Analysis, lang string) *Suggestion {
	q := e.newQuestion(ctx, site, conv, msg, a, lang)
	if aboutOwnOrder(q) || orderRelated[a.Intent] {
		if text, ok := e.orderReply(ctx, q); ok {
			return &Suggestion{Text: text, Citations: []Citation{}, Source: "orders"}
		}
	}
	r := e.knowledgeAnswer(ctx, q)
	if r.answered {
		return &Suggestion{Text: r.text, Citations: r.citations, Source: "knowledge", Confidence: *r.confidence}
	}
	// The part of a passage the bot found likeliest, though not sure enough
	// to tell the shopper: the agent judges it.
	if r.best != nil && r.confidence != nil {
		return &Suggestion{Text: say(lang, "found") + "\n\n" + r.best.quoted() + " [1]", Citations: []Citation{citationOf(1, r.best.hit)},
			Source: "knowledge", Confidence: *r.confidence}
	}
	if e.opts.Library != nil {
		res, err := e.opts.Library.Search(ctx, site.ID, msg.Text, 3)
		if err == nil && len(res.Hits) > 0 {
			h := res.Hits[0]
			return &Suggestion{
				Text:       say(lang, "found") + "\n\n" + passage(h.Text, 700) + " [1]",
				Citations:  []Citation{citationOf(1, h)},
				Source:     "knowledge",
				Confidence: res.Confidence,
			}
		}
	}
	return &Suggestion{Citations: []Citation{}, Source: "none"}
}

// Detail is a conversation as an agent sees it: the transcript with notes
// and each shopper message's intent and sentiment, who wrote the agent
// messages, the escalation reason and summary, and the verified customer's
// orders.
type Detail struct {
	Conversation
	AssignedName string                  `json:"assigned_name,omitempty"`
	Messages     []Message               `json:"messages"`
	HasEarlier   bool                    `json:"has_earlier"` // messages before the first one here exist (ask with ?after=)
	Authors      map[int64]string        `json:"authors"`     // names of the console users who wrote messages
	Customer     *knowledge.Customer     `json:"customer,omitempty"`
	Orders       []knowledge.OrderRecord `json:"orders"`
	// Suggestions are the products the bot would suggest to this shopper
	// (related to what they bought before, never what they sent back).
	Suggestions []knowledge.Product `json:"suggestions"`
}

// detailMessages is how many of the latest messages Detail returns at most.
const detailMessages = 200

// Detail returns the conversation with its latest messages (those with
// seq > after when after is set).
func (e *Engine) Detail(ctx context.Context, convID string, after int) (*Detail, error) {
	conv, err := e.opts.Store.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if after <= 0 {
		after = max(0, conv.LastSeq-detailMessages)
	}
	msgs, err := e.opts.Store.Messages(ctx, conv.ID, after, 0, true)
	if err != nil {
		return nil, err
	}
	d := &Detail{Conversation: *conv, Messages: msgs, HasEarlier: after > 0, Authors: map[int64]string{},
		Orders: []knowledge.OrderRecord{}, Suggestions: []knowledge.Product{}}
	if d.Messages == nil {
		d.Messages = []Message{}
	}
	ids := []int64{}
	if conv.AssignedUserID != nil {
		ids = append(ids, *conv.AssignedUserID)
	}
	for _, m := range msgs {
		if m.UserID != nil {
			ids = append(ids, *m.UserID)
		}
	}
	if len(ids) > 0 && e.opts.Users != nil {
		names, err := e.opts.Users.Names(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("load authors: %w", err)
		}
		d.Authors = names
		if conv.AssignedUserID != nil {
			d.AssignedName = d.Authors[*conv.AssignedUserID]
		}
	}
	if conv.CustomerID != nil && e.opts.Commerce != nil {
		orders, err := e.opts.Commerce.Orders(ctx, conv.SiteID, *conv.CustomerID, 10)
		if err != nil {
			return nil, err
		}
		d.Orders = orders
		if len(orders) > 0 {
			d.Customer = orders[0].Customer
		}
		// Suggestions are a help, not the conversation: without them the
		// agent still gets it.
		if related, err := e.opts.Commerce.Related(ctx, conv.SiteID, *conv.CustomerID, relatedProducts); err != nil {
			e.logger.Warn("related products", "conversation", conv.ID, "error", err)
		} else {
			d.Suggestions = related
		}
	}
	return d, nil
}
