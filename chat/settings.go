package chat

import "encoding/json"

// SiteSettings are a site's configurable behaviour, stored as JSON in
// sites.settings; missing fields take DefaultSettings' values.
type SiteSettings struct {
	// Persona introduces the bot in the model's instructions.
	Persona string `json:"persona"`
	// Rules are extra instructions from the shop (tone, topics to avoid).
	Rules string `json:"rules"`
	// Escalation is the escalation policy.
	Escalation Policy `json:"escalation"`
	// DailyTokenBudget caps model tokens per day (0: no cap); over it the
	// bot answers offline.
	DailyTokenBudget int `json:"daily_token_budget"`
	// MinutesPerQueued estimates the wait per conversation ahead in the queue.
	MinutesPerQueued int `json:"minutes_per_queued"`
	// BusinessHours are when people answer; outside them an escalated
	// shopper is told when the team is back.
	BusinessHours BusinessHours `json:"business_hours"`
	// MaskContacts masks shoppers' email addresses and phone numbers in
	// what is sent to the model (see RedactContacts).
	MaskContacts bool `json:"mask_contacts"`
	// Retention says how long conversations and uploaded files are kept.
	Retention Retention `json:"retention"`
	// PricePer1KTokens is what the model endpoint charges per 1000 tokens,
	// in the shop's currency; analytics estimate the model's cost with it.
	PricePer1KTokens float64 `json:"price_per_1k_tokens"`
}

// DefaultSettings are the settings of a site that configured nothing.
func DefaultSettings() SiteSettings {
	return SiteSettings{
		Persona:          "You are the friendly customer-service assistant of an online shop.",
		Escalation:       DefaultPolicy(),
		DailyTokenBudget: 200000,
		MinutesPerQueued: 3,
		Retention:        DefaultRetention(),
	}
}

// Config returns the site's settings over the defaults.
func (s *Site) Config() SiteSettings {
	cfg := DefaultSettings()
	if len(s.Settings) > 0 {
		if b, err := json.Marshal(s.Settings); err == nil {
			json.Unmarshal(b, &cfg) // fields of the wrong type keep their defaults
		}
	}
	return cfg
}
