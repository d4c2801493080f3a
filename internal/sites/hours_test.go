package sites

import (
	"testing"
	"time"
)

func TestBusinessHours(t *testing.T) {
	shanghai := BusinessHours{Timezone: "Asia/Shanghai", Days: []int{1, 2, 3, 4, 5}, Open: "09:00", Close: "18:00"}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name     string
		hours    BusinessHours
		now      string
		open     bool
		next     string // RFC3339 in UTC; "" when open
		wantErrs bool
	}{
		{"always", BusinessHours{}, "2026-11-28T03:00:00Z", true, "", false},
		{"Friday 10:00 Shanghai", shanghai, "2026-11-27T02:00:00Z", true, "", false},
		{"Friday 18:30 Shanghai → Monday 09:00", shanghai, "2026-11-27T10:30:00Z", false, "2026-11-30T01:00:00Z", false},
		{"Saturday → Monday", shanghai, "2026-11-28T04:00:00Z", false, "2026-11-30T01:00:00Z", false},
		{"Monday 08:00 → 09:00 same day", shanghai, "2026-11-30T00:00:00Z", false, "2026-11-30T01:00:00Z", false},
		{"bad zone", BusinessHours{Timezone: "Mars/Olympus", Open: "09:00", Close: "17:00"}, "2026-11-27T02:00:00Z", true, "", true},
		{"close before open", BusinessHours{Open: "18:00", Close: "09:00"}, "2026-11-27T02:00:00Z", true, "", true},
	}
	for _, tt := range tests {
		open, next, err := tt.hours.Status(at(tt.now))
		if (err != nil) != tt.wantErrs || open != tt.open {
			t.Errorf("%s: Status = %v, %v, %v; want open %v, error %v", tt.name, open, next, err, tt.open, tt.wantErrs)
			continue
		}
		if tt.next != "" && !next.Equal(at(tt.next)) {
			t.Errorf("%s: next opening %v; want %s", tt.name, next.UTC(), tt.next)
		}
	}
}
