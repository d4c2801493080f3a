package audit_test

import (
	"context"
	"errors"
	"testing"

	"kefu/internal/audit"
	"kefu/internal/pgtest"
)

func TestRecordAndList(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	log := audit.New(db)
	if err := log.Record(ctx, audit.Entry{Action: audit.PrivacyExport}); !errors.Is(err, audit.ErrInvalid) {
		t.Errorf("Record without an actor = %v; want ErrInvalid", err)
	}
	for _, action := range []string{audit.PrivacyExport, audit.Login, audit.PrivacyErase} {
		if err := log.Record(ctx, audit.Entry{Actor: audit.ActorSystem, Action: action}); err != nil {
			t.Fatal(err)
		}
	}
	// An entry recorded in a transaction that rolls back was never made.
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.RecordIn(ctx, tx, audit.Entry{Actor: audit.ActorSystem, Action: "privacy.rolled_back"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	page, err := log.List(ctx, audit.Filter{Action: "privacy.", Limit: 1}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].Action != audit.PrivacyErase || page.Next == "" {
		t.Fatalf("List(privacy., 1) = %+v, %v; want the erase and a cursor", page, err)
	}
	page, err = log.List(ctx, audit.Filter{Action: "privacy.", Limit: 1}, page.Next)
	if err != nil || len(page.Items) != 1 || page.Items[0].Action != audit.PrivacyExport || page.Next != "" {
		t.Errorf("second page = %+v, %v; want the export and no cursor", page, err)
	}
	if _, err := log.List(ctx, audit.Filter{}, "zz"); !errors.Is(err, audit.ErrInvalid) {
		t.Errorf("List with a bad cursor = %v; want ErrInvalid", err)
	}
	var n int
	if err := db.QueryRow(ctx, "select count(*) from audit_log").Scan(&n); err != nil || n != 3 {
		t.Errorf("audit_log has %d rows, %v; want 3", n, err)
	}
}
