package sites_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

// Invalid settings are refused when saved, and settings that do not decode
// make loading the site an error rather than quietly taking the defaults.
func TestInvalidSettingsAreAnError(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	store := sites.NewStore(db)
	site, err := store.Create(ctx, "Shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateSettings(ctx, site.Key, map[string]any{"minutes_per_queued": 4, "widget": map[string]any{"color": "#123456"}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]any{
		{"minutes_per_queued": "three"},
		{"business_hours": map[string]any{"timezone": "Mars/Olympus_Mons"}},
		{"business_hours": map[string]any{"open": "18:00", "close": "09:00"}},
		{"retention": map[string]any{"conversation_days": -1}},
	} {
		if _, err := store.UpdateSettings(ctx, site.Key, bad); !errors.Is(err, sites.ErrInvalid) {
			t.Errorf("UpdateSettings(%v) = %v; want ErrInvalid", bad, err)
		}
	}
	got, err := store.ByKey(ctx, site.Key)
	if err != nil || got.Config().MinutesPerQueued != 4 || got.Settings["widget"] == nil {
		t.Fatalf("after refused saves: %v, %+v; want minutes_per_queued 4 and the widget's key kept", err, got)
	}
	if _, err := db.Exec(ctx, `update sites set settings = '{"minutes_per_queued": "three"}' where id = $1`, site.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ByKey(ctx, site.Key); !errors.Is(err, sites.ErrInvalid) {
		t.Errorf("ByKey of a site whose stored settings do not decode = %v; want ErrInvalid", err)
	}
}

func TestParseSettings(t *testing.T) {
	cfg, err := sites.ParseSettings(map[string]any{"escalation": map[string]any{"negative_streak": 3}, "appearance": "kept"})
	if err != nil {
		t.Fatal(err)
	}
	def := sites.DefaultConfig()
	if cfg.Escalation.NegativeStreak != 3 || !cfg.Escalation.EscalateAngry || cfg.Persona != def.Persona || cfg.Retention != def.Retention {
		t.Errorf("ParseSettings(negative_streak 3) = %+v; want 3 over the defaults", cfg)
	}
	for _, tt := range []struct {
		in   map[string]any
		want string // in the error message
	}{
		{map[string]any{"minutes_per_queued": "three"}, "minutes_per_queued must be a whole number, not string"},
		{map[string]any{"mask_contacts": "yes"}, "mask_contacts must be true or false"},
		{map[string]any{"escalation": map[string]any{"sensitive_intents": "payment_issue"}}, "escalation.sensitive_intents must be a list"},
		{map[string]any{"daily_token_budget": -1}, "daily_token_budget"},
		{map[string]any{"business_hours": map[string]any{"days": []int{7}}}, "business day 7"},
	} {
		_, err := sites.ParseSettings(tt.in)
		if !errors.Is(err, sites.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSettings(%v) = %v; want ErrInvalid saying %q", tt.in, err, tt.want)
		}
	}
}
