package sites

import (
	"fmt"
	"time"
)

// BusinessHours are when a site's people answer. The zero value means
// always (the queue is staffed whenever agents are online).
type BusinessHours struct {
	Timezone string `json:"timezone"` // IANA name, e.g. "Asia/Shanghai"; empty: UTC
	Days     []int  `json:"days"`     // 0 = Sunday … 6 = Saturday; empty: every day
	Open     string `json:"open"`     // "09:00"; empty with Close empty: always
	Close    string `json:"close"`    // "18:00"
}

// Validate reports whether the hours can be read: a known time zone, open
// and close as HH:MM with open before close, and days from 0 to 6.
func (h BusinessHours) Validate() error {
	_, _, _, err := h.parse()
	return err
}

func (h BusinessHours) parse() (loc *time.Location, openAt, closeAt time.Duration, err error) {
	loc = time.UTC
	if h.Timezone != "" {
		if loc, err = time.LoadLocation(h.Timezone); err != nil {
			return nil, 0, 0, fmt.Errorf("business hours time zone %q: %w", h.Timezone, ErrInvalid)
		}
	}
	openAt, err1 := clock(h.Open, "00:00")
	closeAt, err2 := clock(h.Close, "24:00")
	if err1 != nil || err2 != nil || closeAt <= openAt {
		return nil, 0, 0, fmt.Errorf("business hours %q–%q must be HH:MM with open before close: %w", h.Open, h.Close, ErrInvalid)
	}
	for _, d := range h.Days {
		if d < 0 || d > 6 {
			return nil, 0, 0, fmt.Errorf("business day %d must be 0 (Sunday) to 6 (Saturday): %w", d, ErrInvalid)
		}
	}
	return loc, openAt, closeAt, nil
}

// Status reports whether now is within the hours and, when it is not, when
// they next begin (in the site's time zone).
func (h BusinessHours) Status(now time.Time) (open bool, next time.Time, err error) {
	if h.Open == "" && h.Close == "" && len(h.Days) == 0 {
		return true, time.Time{}, nil
	}
	loc, openAt, closeAt, err := h.parse()
	if err != nil {
		return true, time.Time{}, err
	}
	now = now.In(loc)
	for d := 0; d <= 7; d++ {
		day := time.Date(now.Year(), now.Month(), now.Day()+d, 0, 0, 0, 0, loc)
		if !h.onDay(day.Weekday()) {
			continue
		}
		start, end := day.Add(openAt), day.Add(closeAt)
		if d == 0 && !now.Before(start) && now.Before(end) {
			return true, time.Time{}, nil
		}
		if now.Before(start) {
			return false, start, nil
		}
	}
	return false, time.Time{}, nil // no open day configured
}

func (h BusinessHours) onDay(w time.Weekday) bool {
	if len(h.Days) == 0 {
		return true
	}
	for _, d := range h.Days {
		if d == int(w) {
			return true
		}
	}
	return false
}

// clock parses "HH:MM" as a duration since midnight.
func clock(s, def string) (time.Duration, error) {
	if s == "" {
		s = def
	}
	var hh, mm int
	if _, err := fmt.Sscanf(s, "%d:%d", &hh, &mm); err != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm > 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}
