package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pipeTx is a transaction that sends what it can together: BEGIN, and
// every Exec (whose result nobody reads but its error), wait until the
// next statement whose rows are needed, or the commit, and travel with it
// in one round trip. A turn's writes are a handful of short statements, so
// this halves the round trips of a message's transaction (begin with the
// row lock; the webhook outbox with the commit).
//
// An Exec's error is reported by the call that sends it (the next QueryRow,
// Query or Commit); the transaction has failed either way and is rolled
// back, so nothing it wrote is kept.
type pipeTx struct {
	conn    *pgxpool.Conn
	pending pgx.Batch
	closed  bool
}

var _ pgx.Tx = (*pipeTx)(nil)

// pipeline runs fn in a pipeTx on a connection of db and commits, or rolls
// back when fn or the commit fails (as pgx.BeginFunc).
func pipeline(ctx context.Context, db *pgxpool.Pool, fn func(pgx.Tx) error) error {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection left inside a transaction (the rollback failed too) is
	// closed by the pool, not reused.
	defer conn.Release()
	tx := &pipeTx{conn: conn}
	tx.pending.Queue("begin")
	err = fn(tx)
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		tx.Rollback(ctx) // nothing to do when the commit ran
	}
	return err
}

// flush sends the pending statements with q (when not nil) as the last, and
// returns the batch's results positioned at q; the caller closes them.
func (t *pipeTx) flush(ctx context.Context, q func(b *pgx.Batch)) (pgx.BatchResults, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	b := t.pending
	t.pending = pgx.Batch{}
	if q != nil {
		q(&b)
	}
	if b.Len() == 0 {
		return nil, nil
	}
	br := t.conn.SendBatch(ctx, &b)
	n := b.Len()
	if q != nil {
		n--
	}
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// Exec implements pgx.Tx: the statement is sent with the next one that
// waits for its result.
func (t *pipeTx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.closed {
		return pgconn.CommandTag{}, pgx.ErrTxClosed
	}
	t.pending.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// QueryRow implements pgx.Tx: the pending statements and this one are one
// round trip.
func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	br, err := t.flush(ctx, func(b *pgx.Batch) { b.Queue(sql, args...) })
	if err != nil {
		return errRow{err}
	}
	return batchRow{br: br, row: br.QueryRow()}
}

// Query implements pgx.Tx (not pipelined: the rows are read as they come).
func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.sync(ctx); err != nil {
		return nil, err
	}
	return t.conn.Query(ctx, sql, args...)
}

// sync sends the pending statements.
func (t *pipeTx) sync(ctx context.Context) error {
	br, err := t.flush(ctx, nil)
	if err != nil || br == nil {
		return err
	}
	return br.Close()
}

// Commit implements pgx.Tx: the pending statements and COMMIT are one round
// trip.
func (t *pipeTx) Commit(ctx context.Context) error {
	br, err := t.flush(ctx, func(b *pgx.Batch) { b.Queue("commit") })
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	t.closed = true
	if err == nil && tag.String() == "ROLLBACK" { // the transaction had failed
		err = pgx.ErrTxCommitRollback
	}
	return err
}

// Rollback implements pgx.Tx; what is pending is dropped.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.pending = pgx.Batch{}
	t.closed = true
	if t.conn.Conn().PgConn().TxStatus() == 'I' {
		return nil // BEGIN was never sent
	}
	_, err := t.conn.Exec(ctx, "rollback")
	return err
}

// Begin implements pgx.Tx; nested transactions are not needed here.
func (t *pipeTx) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("pipeTx: nested transactions are not supported")
}

// CopyFrom implements pgx.Tx.
func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.sync(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

// SendBatch implements pgx.Tx. When the pending statements fail, the
// transaction has failed and so does the batch.
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	t.sync(ctx)
	return t.conn.SendBatch(ctx, b)
}

// LargeObjects implements pgx.Tx (unused here: chat stores no large objects).
func (t *pipeTx) LargeObjects() pgx.LargeObjects { panic("pipeTx: large objects are not supported") }

// Prepare implements pgx.Tx.
func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.sync(ctx); err != nil {
		return nil, err
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// Conn implements pgx.Tx.
func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// batchRow is the last row of a flushed batch; Scan closes the batch.
type batchRow struct {
	br  pgx.BatchResults
	row pgx.Row
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close batch: %w", cerr)
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
