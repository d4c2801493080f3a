package privacy_test

import (
	"context"
	"testing"
	"time"

	"kefu/chat"
	"kefu/internal/audit"
	"kefu/internal/pgtest"
	"kefu/internal/privacy"
	"kefu/internal/sites"
)

func TestRetention(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	siteStore := sites.NewStore(db)
	deflt, _ := siteStore.Create(ctx, "Default retention", nil)
	short, _ := siteStore.Create(ctx, "Short retention", nil)
	if _, err := siteStore.UpdateSettings(ctx, short.Key, map[string]any{"retention": map[string]any{"conversation_days": 30, "file_days": 0}}); err != nil {
		t.Fatal(err)
	}
	store := chat.NewStore(db)

	type row struct {
		name  string
		table string
		id    any
		keep  bool
	}
	var rows []row
	// conversation adds a visitor (last seen at seen) with a conversation
	// updated at updated and messages created at msgs.
	conversation := func(name string, site *sites.Site, seen, updated time.Time, keep bool, msgs ...struct {
		at   time.Time
		keep bool
	}) {
		v, err := store.NewVisitor(ctx, site.ID, "en")
		if err != nil {
			t.Fatal(err)
		}
		c, err := store.OpenConversation(ctx, v, "en")
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			stored, _, _, err := store.Append(ctx, &chat.Message{ConversationID: c.ID, Role: chat.RoleShopper, Text: name})
			if err != nil {
				t.Fatal(err)
			}
			db.Exec(ctx, "update messages set created_at = $2 where id = $1", stored.ID, m.at)
			rows = append(rows, row{name + " message " + string(rune('0'+i)), "messages", stored.ID, m.keep})
		}
		db.Exec(ctx, "update conversations set updated_at = $2 where id = $1", c.ID, updated)
		db.Exec(ctx, "update visitors set last_seen_at = $2 where id = $1", v.ID, seen)
		rows = append(rows, row{name, "conversations", c.ID, keep}, row{name + " visitor", "visitors", v.ID, keep})
	}
	type msg = struct {
		at   time.Time
		keep bool
	}
	conversation("idle 400 days", deflt, days(400), days(400), false, msg{days(401), false}, msg{days(400), false})
	conversation("idle 364 days", deflt, days(364), days(364), true, msg{days(364), true})
	conversation("live with old messages", deflt, days(1), days(1), true, msg{days(500), false}, msg{days(366), false}, msg{days(1), true})
	conversation("short: idle 40 days", short, days(40), days(40), false, msg{days(40), false})
	conversation("short: idle 20 days", short, days(20), days(20), true, msg{days(20), true})
	// A visitor with no conversation: unseen past retention goes, recent stays.
	for _, v := range []struct {
		name string
		seen time.Time
		keep bool
	}{{"bare visitor 400 days", days(400), false}, {"bare visitor 10 days", days(10), true}} {
		vis, _ := store.NewVisitor(ctx, deflt.ID, "en")
		db.Exec(ctx, "update visitors set last_seen_at = $2 where id = $1", vis.ID, v.seen)
		rows = append(rows, row{v.name, "visitors", vis.ID, v.keep})
	}
	// Raw uploads: default keeps 90 days once ingested; the short site keeps them forever (0).
	for _, d := range []struct {
		name   string
		site   *sites.Site
		at     time.Time
		status string
		keep   bool
	}{
		{"file 100 days ready", deflt, days(100), "ready", false},
		{"file 100 days failed", deflt, days(100), "failed", false},
		{"file 100 days still queued", deflt, days(100), "queued", true},
		{"file 10 days ready", deflt, days(10), "ready", true},
		{"short: file 1000 days ready", short, days(1000), "ready", true},
	} {
		var id int64
		err := db.QueryRow(ctx, `insert into documents (site_id, title, source, content_type, checksum, status, created_at, updated_at)
			values ($1, $2, $2, 'text/plain', 'x', $3, $4, $4) returning id`, d.site.ID, d.name, d.status, d.at).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		db.Exec(ctx, "insert into document_files (document_id, data) values ($1, 'raw')", id)
		rows = append(rows, row{d.name, "document_files", id, d.keep}, row{d.name + " document", "documents", id, true})
	}
	// The audit log keeps 730 days.
	for _, a := range []struct {
		name string
		at   time.Time
		keep bool
	}{{"audit 800 days", days(800), false}, {"audit 700 days", days(700), true}} {
		var id int64
		db.QueryRow(ctx, `insert into audit_log (actor, action, created_at) values ('system', $1, $2) returning id`, a.name, a.at).Scan(&id)
		rows = append(rows, row{a.name, "audit_log", id, a.keep})
	}

	// Another node runs the job: this one deletes nothing.
	holder, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	holder.Exec(ctx, "select pg_advisory_lock($1)", privacy.RetentionLockKey)
	r := privacy.NewRetainer(db, privacy.RetentionOptions{Now: func() time.Time { return now }, BatchSize: 2})
	rep, err := r.RunOnce(ctx)
	if err != nil || rep.Ran {
		t.Fatalf("RunOnce while another node holds the lock = %+v, %v; want not ran", rep, err)
	}
	holder.Exec(ctx, "select pg_advisory_unlock($1)", privacy.RetentionLockKey)
	holder.Release()

	rep, err = r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := privacy.RetentionReport{Ran: true, Conversations: 2, Messages: 2, Visitors: 3, Files: 2, Audit: 1}
	if rep != want {
		t.Errorf("RunOnce = %+v; want %+v", rep, want)
	}
	for _, r := range rows {
		key := "id"
		if r.table == "document_files" {
			key = "document_id"
		}
		var exists bool
		if err := db.QueryRow(ctx, "select exists (select 1 from "+r.table+" where "+key+" = $1)", r.id).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != r.keep {
			t.Errorf("%s (%s): exists after retention = %v; want %v", r.name, r.table, exists, r.keep)
		}
	}
	// A second run finds nothing more; the purge itself is audited.
	if rep, err := r.RunOnce(ctx); err != nil || rep != (privacy.RetentionReport{Ran: true}) {
		t.Errorf("second RunOnce = %+v, %v; want nothing deleted", rep, err)
	}
	page, _ := audit.New(db).List(ctx, audit.Filter{Action: audit.RetentionPurge}, "")
	if len(page.Items) != 1 || page.Items[0].Actor != audit.ActorSystem {
		t.Errorf("retention audit entries = %+v; want one by system", page.Items)
	}
}
