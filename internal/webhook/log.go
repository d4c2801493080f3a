package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Delivery is one event sent (or being sent) to one subscription, with
// what its latest attempt got.
type Delivery struct {
	ID             int64      `json:"id"`
	SubscriptionID int64      `json:"subscription_id"`
	EventID        string     `json:"event_id"`
	Type           string     `json:"type"`
	State          string     `json:"state"` // pending, delivered, failed
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"` // pending only
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	Status         *int       `json:"status,omitempty"`     // the latest attempt's HTTP status
	LatencyMS      *int       `json:"latency_ms,omitempty"` // and how long it took
	Error          string     `json:"error,omitempty"`
	Response       string     `json:"response,omitempty"` // the start of the latest response body
}

// Page is one page of a list; Next is the cursor of the next ("": none).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next_cursor,omitempty"`
}

const deliveryColumns = `d.id, d.subscription_id, d.event_id::text, e.type, d.state, d.attempts,
	case when d.state = 'pending' then d.next_attempt_at end, d.created_at, d.delivered_at, a.status, a.latency_ms,
	coalesce(a.error, d.last_error), coalesce(a.response, '')`

const deliveryFrom = ` from webhook_deliveries d join webhook_events e on e.id = d.event_id
	left join lateral (select status, latency_ms, error, response from webhook_attempts a
		where a.delivery_id = d.id order by a.attempt desc limit 1) a on true`

func scanDelivery(r pgx.Row) (Delivery, error) {
	var d Delivery
	err := r.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.Type, &d.State, &d.Attempts, &d.NextAttemptAt, &d.CreatedAt,
		&d.DeliveredAt, &d.Status, &d.LatencyMS, &d.Error, &d.Response)
	return d, err
}

// Deliveries returns a page of subscription subID's deliveries, newest
// first; state ("" for all) filters them.
func (s *Service) Deliveries(ctx context.Context, subID int64, state, cursor string, limit int) (Page[Delivery], error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	switch state {
	case "", "pending", "delivered", "failed":
	default:
		return Page[Delivery]{}, fmt.Errorf("state %q must be pending, delivered or failed: %w", state, ErrInvalid)
	}
	var before int64 = 1<<63 - 1
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return Page[Delivery]{}, fmt.Errorf("cursor %q: %w", cursor, ErrInvalid)
		}
		before = n
	}
	rows, err := s.db.Query(ctx, `select `+deliveryColumns+deliveryFrom+`
		where d.subscription_id = $1 and d.id < $2 and ($3 = '' or d.state = $3) order by d.id desc limit $4`,
		subID, before, state, limit+1)
	if err != nil {
		return Page[Delivery]{}, fmt.Errorf("list webhook deliveries: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return Page[Delivery]{}, fmt.Errorf("list webhook deliveries: %w", err)
	}
	page := Page[Delivery]{Items: items}
	if page.Items == nil {
		page.Items = []Delivery{}
	}
	if len(items) > limit {
		page.Items = items[:limit]
		page.Next = strconv.FormatInt(items[limit-1].ID, 10)
	}
	return page, nil
}

// Redeliver sends delivery id's event to its subscription again, now, as a
// new delivery (the log keeps both); it works whatever the delivery's state.
func (s *Service) Redeliver(ctx context.Context, subID, id int64) (*Delivery, error) {
	now := s.now().UTC()
	var newID int64
	err := s.db.QueryRow(ctx, `insert into webhook_deliveries (event_id, subscription_id, order_key, next_attempt_at, deadline, created_at)
		select event_id, subscription_id, order_key, $3::timestamptz, $3::timestamptz + $4 * interval '1 second', $3::timestamptz from webhook_deliveries
		where id = $1 and subscription_id = $2 returning id`, id, subID, now, int64(Retry.Seconds())).Scan(&newID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("delivery %d of webhook %d: %w", id, subID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redeliver: %w", err)
	}
	d, err := scanDelivery(s.db.QueryRow(ctx, `select `+deliveryColumns+deliveryFrom+` where d.id = $1`, newID))
	if err != nil {
		return nil, fmt.Errorf("redeliver: %w", err)
	}
	return &d, nil
}
