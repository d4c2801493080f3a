package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// WorkerOptions configure a Worker; zero values take defaults.
type WorkerOptions struct {
	Logger *slog.Logger
	// Poll is how often the worker looks for due deliveries (1 s).
	Poll time.Duration
	// Timeout bounds one request (10 s); Lease is how long a claimed attempt
	// is the claiming node's (2 × Timeout + 30 s): after it, another node
	// makes the next attempt.
	Timeout time.Duration
	Lease   time.Duration
	// Batch is how many deliveries one pass claims and sends at once (16).
	Batch int
	// A subscription is disabled after MaxFailures consecutive failed
	// attempts (20) spanning at least FailingFor (1 h).
	MaxFailures int
	FailingFor  time.Duration
	// Backoff is the wait after failed attempt n (1, 2, …): 15 s doubling
	// up to 2 h, with jitter.
	Backoff func(attempt int) time.Duration
	// Keep is how long finished deliveries stay in the log (30 days).
	Keep time.Duration
	// OnDisabled is told once (by the node that disabled it) when a
	// subscription is disabled for failing.
	OnDisabled func(ctx context.Context, sub Subscription)
	// Client returns the HTTP client for a subscription (NewClient).
	Client func(allowPrivate bool) *http.Client
}

// Worker delivers due webhook deliveries; every node runs one.
type Worker struct {
	svc    *Service
	o      WorkerOptions
	logger *slog.Logger
	guard  *http.Client // for public receivers
	open   *http.Client // allow_private
	swept  time.Time
}

// NewWorker returns a worker over svc's deliveries.
func NewWorker(svc *Service, o WorkerOptions) *Worker {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2*o.Timeout + 30*time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 20
	}
	if o.FailingFor < 0 {
		o.FailingFor = 0
	} else if o.FailingFor == 0 {
		o.FailingFor = time.Hour
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	if o.Keep <= 0 {
		o.Keep = 30 * 24 * time.Hour
	}
	w := &Worker{svc: svc, o: o, logger: o.Logger}
	if o.Client != nil {
		w.guard, w.open = o.Client(false), o.Client(true)
	} else {
		w.guard = NewClient(ClientOptions{Timeout: o.Timeout})
		w.open = NewClient(ClientOptions{Timeout: o.Timeout, AllowPrivate: true})
	}
	return w
}

// Backoff is the default wait after failed attempt n: 15 s, 30 s, 1 min …
// doubling up to 2 h, less up to a fifth at random (so receivers that come
// back are not hit by every sender at once). Retries end 24 h after the event.
func Backoff(n int) time.Duration {
	d := 2 * time.Hour
	if n < 10 {
		d = min(d, 15*time.Second<<max(n-1, 0))
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// Run delivers until ctx ends. Deliveries in flight then still finish
// (each within Timeout); a node that dies instead leaves them to its lease.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.o.Poll)
	defer t.Stop()
	for {
		n, err := w.RunOnce(context.WithoutCancel(ctx))
		if err != nil && ctx.Err() == nil {
			w.logger.Error("deliver webhooks", "error", err)
		}
		if n == w.o.Batch && err == nil && ctx.Err() == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due deliveries, sends them and records the
// outcomes; it returns how many it claimed. If ctx ends mid-delivery it
// records nothing for what was in flight, like a node that died: those
// attempts' leases run out and another pass makes the next attempts.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if err := w.sweep(ctx); err != nil {
		return 0, err
	}
	claimed, err := w.claim(ctx)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, c := range claimed {
		wg.Add(1)
		go func() { defer wg.Done(); w.attempt(ctx, c) }()
	}
	wg.Wait()
	return len(claimed), nil
}

// claimed is one attempt this node holds the lease of.
type claimed struct {
	id           int64
	attempt      int
	token        string
	deadline     time.Time
	eventID      string
	typ          string
	data         []byte
	createdAt    time.Time
	site         string
	subID        int64
	url          string
	secret       string
	allowPrivate bool
}

// claim takes the lease of up to Batch due deliveries, each the earliest
// pending one of its conversation for its subscription.
func (w *Worker) claim(ctx context.Context) ([]claimed, error) {
	now := w.svc.now()
	rows, err := w.svc.db.Query(ctx, `with due as (
			select d.id from webhook_deliveries d
			join webhook_subscriptions s on s.id = d.subscription_id
			where d.state = 'pending' and s.enabled and d.next_attempt_at <= $1 and d.deadline > $1
				and (d.lease_until is null or d.lease_until <= $1)
				and (d.order_key = '' or not exists (select 1 from webhook_deliveries e
					where e.subscription_id = d.subscription_id and e.order_key = d.order_key
					and e.state = 'pending' and e.id < d.id))
			order by d.next_attempt_at, d.id
			limit $2
			for update of d skip locked
		)
		update webhook_deliveries d set attempts = d.attempts + 1, lease_until = $1 + $3 * interval '1 millisecond',
			lease_token = gen_random_uuid()
		from due, webhook_events ev, webhook_subscriptions s, sites si
		where d.id = due.id and ev.id = d.event_id and s.id = d.subscription_id and si.id = s.site_id
		returning d.id, d.attempts, d.lease_token::text, d.deadline, ev.id::text, ev.type, ev.data, ev.created_at, si.key,
			s.id, s.url, s.secret, s.allow_private`, now, w.o.Batch, w.o.Lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
		var c claimed
		err := r.Scan(&c.id, &c.attempt, &c.token, &c.deadline, &c.eventID, &c.typ, &c.data, &c.createdAt, &c.site,
			&c.subID, &c.url, &c.secret, &c.allowPrivate)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return out, nil
}

// Body is what a delivery POSTs.
type Body struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Site      string          `json:"site"`
	Data      json.RawMessage `json:"data"`
}

// Delivery headers besides Kefu-Signature.
const (
	EventIDHeader  = "Kefu-Event-Id"
	EventHeader    = "Kefu-Event"
	DeliveryHeader = "Kefu-Delivery"         // the delivery's id (a redelivery is a new one)
	AttemptHeader  = "Kefu-Delivery-Attempt" // 1, 2, … of that delivery
)

// snippetBytes is how much of a response the log keeps.
const snippetBytes = 512

// attempt sends one claimed delivery and records what happened.
func (w *Worker) attempt(ctx context.Context, c claimed) {
	body, err := json.Marshal(Body{ID: c.eventID, Type: c.typ, CreatedAt: c.createdAt.UTC(), Site: c.site, Data: c.data})
	if err != nil {
		w.logger.Error("render webhook body", "delivery", c.id, "error", err)
		return
	}
	client := w.guard
	if c.allowPrivate {
		client = w.open
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	var status int
	var snippet, failure string
	start := time.Now()
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "kefu-webhooks/1")
		req.Header.Set(SignatureHeader, Sign(c.secret, w.svc.now(), body))
		req.Header.Set(EventIDHeader, c.eventID)
		req.Header.Set(EventHeader, c.typ)
		req.Header.Set(DeliveryHeader, strconv.FormatInt(c.id, 10))
		req.Header.Set(AttemptHeader, strconv.Itoa(c.attempt))
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			status = resp.StatusCode
			b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
			resp.Body.Close()
			snippet = clip(b, snippetBytes)
		}
	}
	latency := time.Since(start)
	if ctx.Err() != nil {
		return // stopped mid-delivery: the lease runs out, another attempt follows
	}
	ok := err == nil && status >= 200 && status < 300
	switch {
	case err != nil:
		failure = describe(err)
	case status >= 300 && status < 400:
		failure = fmt.Sprintf("HTTP %d: redirects are not followed", status)
	case !ok:
		failure = fmt.Sprintf("HTTP %d", status)
	}
	if err := w.finish(ctx, c, ok, status, latency, failure, snippet); err != nil {
		w.logger.Error("record webhook attempt", "delivery", c.id, "error", err)
	}
}

// describe says why a request failed, without the URL (it may hold a token).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timed out"
		}
		err = ue.Err
	}
	if errors.Is(err, ErrBlocked) {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return "refused: " + err.Error() + " (allow private addresses to use it)"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

// clip returns the start of b as valid UTF-8 of at most n bytes.
func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return strings.ToValidUTF8(string(b), "")
}

// errLeaseLost means another node took the attempt over (this one was too slow).
var errLeaseLost = errors.New("lease lost")

// finish records an attempt's outcome, if this node still holds its lease,
// and disables the subscription when its failures call for it.
func (w *Worker) finish(ctx context.Context, c claimed, ok bool, status int, latency time.Duration, failure, snippet string) error {
	now := w.svc.now()
	state, next := "delivered", now
	if !ok {
		state, next = "pending", now.Add(w.o.Backoff(c.attempt))
		if !next.Before(c.deadline) {
			state = "failed"
			failure += "; gave up after 24 hours"
		}
	}
	var st *int
	if status != 0 {
		st = &status
	}
	disabled := false
	err := pgx.BeginFunc(ctx, w.svc.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update webhook_deliveries set state = $3, next_attempt_at = $4, lease_until = null,
			lease_token = null, last_status = $5, last_error = $6, delivered_at = case when $3 = 'delivered' then $7::timestamptz end
			where id = $1 and lease_token = $2::uuid`, c.id, c.token, state, next, st, failure, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLeaseLost
		}
		if _, err := tx.Exec(ctx, `insert into webhook_attempts (delivery_id, attempt, at, status, latency_ms, error, response)
			values ($1, $2, $3, $4, $5, $6, $7)`, c.id, c.attempt, now, st, latency.Milliseconds(), failure, snippet); err != nil {
			return err
		}
		if ok {
			_, err := tx.Exec(ctx, "update webhook_subscriptions set failures = 0, failing_since = null where id = $1 and failures > 0", c.subID)
			return err
		}
		var failures int
		var since time.Time
		if err := tx.QueryRow(ctx, `update webhook_subscriptions set failures = failures + 1, failing_since = coalesce(failing_since, $2)
			where id = $1 returning failures, failing_since`, c.subID, now).Scan(&failures, &since); err != nil {
			return err
		}
		if failures < w.o.MaxFailures || now.Sub(since) < w.o.FailingFor {
			return nil
		}
		tag, err = tx.Exec(ctx, `update webhook_subscriptions set enabled = false, disabled_at = $2, updated_at = $2,
			disabled_reason = $3 where id = $1 and enabled`, c.subID, now,
			fmt.Sprintf("%d deliveries in a row failed since %s (last: %s)", failures, since.UTC().Format(time.RFC3339), failure))
		disabled = err == nil && tag.RowsAffected() == 1
		return err
	})
	if errors.Is(err, errLeaseLost) {
		w.logger.Warn("webhook attempt finished after its lease; another node has taken it over", "delivery", c.id, "attempt", c.attempt)
		return nil
	}
	if err != nil {
		return err
	}
	if !ok {
		w.logger.Info("webhook delivery failed", "delivery", c.id, "attempt", c.attempt, "subscription", c.subID, "error", failure)
	}
	if disabled {
		w.logger.Warn("webhook disabled after failing", "subscription", c.subID)
		if w.o.OnDisabled != nil {
			if sub, err := w.svc.Get(ctx, c.subID); err == nil {
				w.o.OnDisabled(ctx, *sub)
			}
		}
	}
	return nil
}

// sweep gives up on deliveries past their 24 hours (a disabled
// subscription's, or ones waiting behind an earlier delivery) and, once a
// minute, forgets finished deliveries older than Keep.
func (w *Worker) sweep(ctx context.Context) error {
	now := w.svc.now()
	if _, err := w.svc.db.Exec(ctx, `update webhook_deliveries set state = 'failed', lease_until = null, lease_token = null,
		last_error = case when last_error = '' then 'not delivered within 24 hours' else last_error || '; gave up after 24 hours' end
		where state = 'pending' and deadline <= $1 and (lease_until is null or lease_until <= $1)`, now); err != nil {
		return fmt.Errorf("expire webhook deliveries: %w", err)
	}
	if now.Sub(w.swept) < time.Minute {
		return nil
	}
	w.swept = now
	if _, err := w.svc.db.Exec(ctx, `delete from webhook_deliveries where state <> 'pending' and created_at < $1`, now.Add(-w.o.Keep)); err != nil {
		return fmt.Errorf("forget old webhook deliveries: %w", err)
	}
	if _, err := w.svc.db.Exec(ctx, `delete from webhook_events e where e.created_at < $1 and not exists
		(select 1 from webhook_deliveries d where d.event_id = e.id)`, now.Add(-w.o.Keep)); err != nil {
		return fmt.Errorf("forget old webhook events: %w", err)
	}
	return nil
}
