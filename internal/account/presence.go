package account

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Presence statuses of console users.
const (
	StatusOnline  = "online"
	StatusAway    = "away"
	StatusOffline = "offline"
)

// PresenceTimeout is how long a console socket counts as present after its
// node last refreshed it; a node refreshes well within it (web's agent
// socket does every ping), so only the sockets of a node that died lapse.
const PresenceTimeout = 90 * time.Second

// Presence records which console users are connected, on every node: one
// row per open console socket.
type Presence struct{ db *pgxpool.Pool }

// NewPresence returns the presence store on db.
func NewPresence(db *pgxpool.Pool) *Presence { return &Presence{db: db} }

// Set records (or refreshes) socket connID of the user with a status.
func (p *Presence) Set(ctx context.Context, connID string, userID int64, status string) error {
	if status != StatusOnline && status != StatusAway {
		return fmt.Errorf("presence %q must be online or away: %w", status, ErrInvalid)
	}
	_, err := p.db.Exec(ctx, `insert into agent_presence (conn_id, user_id, status) values ($1, $2, $3)
		on conflict (conn_id) do update set status = excluded.status, seen_at = now()`, connID, userID, status)
	if err != nil {
		return fmt.Errorf("set presence: %w", err)
	}
	return nil
}

// Remove forgets socket connID (and rows that lapsed long ago).
func (p *Presence) Remove(ctx context.Context, connID string) error {
	_, err := p.db.Exec(ctx, "delete from agent_presence where conn_id = $1 or seen_at < now() - interval '1 hour'", connID)
	if err != nil {
		return fmt.Errorf("remove presence: %w", err)
	}
	return nil
}

// Of returns the user's status over all their sockets: online if any is
// online, else away if any is away, else offline.
func (p *Presence) Of(ctx context.Context, userID int64) (string, error) {
	m, err := p.statuses(ctx, []int64{userID})
	if err != nil {
		return "", err
	}
	if s, ok := m[userID]; ok {
		return s, nil
	}
	return StatusOffline, nil
}

// Statuses returns the status of each of userIDs that has one (absent:
// offline).
func (p *Presence) Statuses(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	return p.statuses(ctx, userIDs)
}

func (p *Presence) statuses(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	rows, err := p.db.Query(ctx, `select user_id, bool_or(status = 'online') from agent_presence
		where user_id = any($1) and seen_at > now() - $2 * interval '1 second' group by user_id`,
		userIDs, int64(PresenceTimeout.Seconds()))
	if err != nil {
		return nil, fmt.Errorf("load presence: %w", err)
	}
	out := map[int64]string{}
	var id int64
	var online bool
	_, err = pgx.ForEachRow(rows, []any{&id, &online}, func() error {
		out[id] = StatusAway
		if online {
			out[id] = StatusOnline
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load presence: %w", err)
	}
	return out, nil
}

// OnlineCount counts the enabled users online (not away) who work for the
// site, on every node.
func (p *Presence) OnlineCount(ctx context.Context, siteID int64) (int, error) {
	var n int
	err := p.db.QueryRow(ctx, `select count(distinct p.user_id) from agent_presence p join users u on u.id = p.user_id
		where p.status = 'online' and p.seen_at > now() - $2 * interval '1 second' and not u.disabled
		and (u.role = 'admin' or exists (select 1 from user_sites s where s.user_id = u.id and s.site_id = $1))`,
		siteID, int64(PresenceTimeout.Seconds())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count online agents: %w", err)
	}
	return n, nil
}

// Online is OnlineCount in the shape of Options.AgentsOnline: on an error
// it reports nobody online (the shopper is then asked for an email, which is
// the safe answer).
func (p *Presence) Online(siteID int64) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := p.OnlineCount(ctx, siteID)
	if err != nil {
		return 0
	}
	return n
}
