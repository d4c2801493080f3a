package sites

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Config is a site's configurable behaviour, stored as JSON in
// sites.settings; missing fields take DefaultConfig's values.
type Config struct {
	// Persona introduces the bot in the model's instructions.
	Persona string `json:"persona"`
	// Rules are extra instructions from the shop (tone, topics to avoid).
	Rules string `json:"rules"`
	// Escalation is the escalation policy (chat applies it).
	Escalation Escalation `json:"escalation"`
	// DailyTokenBudget caps model tokens per day (0: no cap); over it the
	// bot answers offline.
	DailyTokenBudget int `json:"daily_token_budget"`
	// MinutesPerQueued estimates the wait per conversation ahead in the queue.
	MinutesPerQueued int `json:"minutes_per_queued"`
	// BusinessHours are when people answer; outside them an escalated
	// shopper is told when the team is back.
	BusinessHours BusinessHours `json:"business_hours"`
	// MaskContacts masks shoppers' email addresses and phone numbers in
	// what is sent to the model (see chat.RedactContacts).
	MaskContacts bool `json:"mask_contacts"`
	// Retention says how long conversations and uploaded files are kept.
	Retention Retention `json:"retention"`
	// PricePer1KTokens is what the model endpoint charges per 1000 tokens,
	// in the shop's currency; analytics estimate the model's cost with it.
	PricePer1KTokens float64 `json:"price_per_1k_tokens"`
}

// DefaultConfig is the configuration of a site that configured nothing.
func DefaultConfig() Config {
	return Config{
		Persona:          "You are the friendly customer-service assistant of an online shop.",
		Escalation:       DefaultEscalation(),
		DailyTokenBudget: 200000,
		MinutesPerQueued: 3,
		Retention:        DefaultRetention(),
	}
}

// Escalation is a site's escalation policy: when the bot hands a
// conversation to a person. The zero value is not useful; start from
// DefaultEscalation.
type Escalation struct {
	// NegativeStreak escalates after this many negative shopper messages in a row.
	NegativeStreak int `json:"negative_streak"`
	// EscalateAngry escalates at once when a message is angry.
	EscalateAngry bool `json:"escalate_angry"`
	// NoAnswerStreak escalates after the bot could not answer this many times in a row.
	NoAnswerStreak int `json:"no_answer_streak"`
	// SensitiveIntents escalate at once when the shopper reports a problem
	// with them (a payment dispute; not a question about how paying works).
	SensitiveIntents []string `json:"sensitive_intents"`
	// ComplaintScore: a complaint at or below this sentiment score escalates.
	ComplaintScore float64 `json:"complaint_score"`
	// MinConfidence is the retrieval confidence below which the bot does not
	// answer from the knowledge base (0.1 more is needed when the intent
	// classifier thinks the message is out of scope).
	MinConfidence float64 `json:"min_confidence"`
}

// DefaultEscalation is the policy of a site that has not configured one.
func DefaultEscalation() Escalation {
	return Escalation{
		NegativeStreak:   2,
		EscalateAngry:    true,
		NoAnswerStreak:   2,
		SensitiveIntents: []string{"payment_issue"},
		ComplaintScore:   -0.6,
		MinConfidence:    0.3,
	}
}

// Retention says how long a site keeps what it collects; 0 keeps forever.
type Retention struct {
	// ConversationDays: conversations idle (no update) this long are deleted
	// with their messages, and older messages of live conversations too;
	// visitors unseen this long with no conversation left go with them.
	ConversationDays int `json:"conversation_days"`
	// FileDays: raw uploaded knowledge files are deleted this long after the
	// document last changed (its upload or ingestion), once ingested; the
	// document's chunks stay searchable, and reindex works from chunks, not
	// from the raw file.
	FileDays int `json:"file_days"`
}

// DefaultRetention is the retention of a site that configured none.
func DefaultRetention() Retention { return Retention{ConversationDays: 365, FileDays: 90} }

// ParseSettings decodes a settings document over the defaults and checks
// it. Fields of the wrong type and values that mean nothing (negative days
// or counts, business hours that do not parse) are ErrInvalid, with a
// message naming the setting; unknown keys are allowed (they are kept).
func ParseSettings(settings map[string]any) (Config, error) {
	cfg := DefaultConfig()
	if len(settings) == 0 {
		return cfg, nil
	}
	b, err := json.Marshal(settings)
	if err != nil {
		return cfg, fmt.Errorf("settings: %v: %w", err, ErrInvalid)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return cfg, fmt.Errorf("settings: %s must be %s, not %s: %w", te.Field, kindName(te.Type), te.Value, ErrInvalid)
		}
		return cfg, fmt.Errorf("settings: %v: %w", err, ErrInvalid)
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	switch {
	case c.Retention.ConversationDays < 0 || c.Retention.FileDays < 0:
		return fmt.Errorf("settings: retention days must be 0 (keep forever) or more: %w", ErrInvalid)
	case c.DailyTokenBudget < 0:
		return fmt.Errorf("settings: daily_token_budget must be 0 (no cap) or more: %w", ErrInvalid)
	case c.MinutesPerQueued < 0:
		return fmt.Errorf("settings: minutes_per_queued must be 0 or more: %w", ErrInvalid)
	case c.PricePer1KTokens < 0:
		return fmt.Errorf("settings: price_per_1k_tokens must be 0 or more: %w", ErrInvalid)
	case c.Escalation.NegativeStreak < 0 || c.Escalation.NoAnswerStreak < 0:
		return fmt.Errorf("settings: escalation streaks must be 0 (off) or more: %w", ErrInvalid)
	}
	if err := c.BusinessHours.Validate(); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// kindName says what a JSON value of Go type t looks like.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	}
	return "a number"
}
