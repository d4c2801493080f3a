package chat_test

import (
	"context"
	"errors"
	"testing"

	"kefu/chat"
	"kefu/internal/pgtest"
	"kefu/internal/sites"
)

func TestCannedResponses(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	canned := chat.NewCannedResponses(db)
	siteStore := sites.NewStore(db)
	s1, _ := siteStore.Create(ctx, "One", nil)
	s2, _ := siteStore.Create(ctx, "Two", nil)
	r, err := canned.Create(ctx, s1.ID, "/Refund", "Refunds take 5 days.")
	if err != nil || r.Shortcut != "refund" {
		t.Fatalf("Create = %+v, %v; want shortcut refund", r, err)
	}
	if _, err := canned.Create(ctx, s1.ID, "refund", "again"); !errors.Is(err, chat.ErrConflict) {
		t.Errorf("duplicate shortcut: %v; want ErrConflict", err)
	}
	if _, err := canned.Create(ctx, s2.ID, "refund", "other site"); err != nil {
		t.Errorf("same shortcut on another site: %v", err)
	}
	for _, bad := range [][2]string{{"", "x"}, {"has space", "x"}, {"ok", " "}, {"-dash", "x"}} {
		if _, err := canned.Create(ctx, s1.ID, bad[0], bad[1]); !errors.Is(err, chat.ErrInvalid) {
			t.Errorf("Create(%q, %q) = %v; want ErrInvalid", bad[0], bad[1], err)
		}
	}
	canned.Create(ctx, s1.ID, "ship", "Shipping takes 5 days.")
	canned.Create(ctx, s1.ID, "shoes", "Our shoes run small.")
	page, err := canned.List(ctx, s1.ID, "/sh", "", 1)
	if err != nil || len(page.Items) != 1 || page.Items[0].Shortcut != "ship" || page.Next != "ship" {
		t.Fatalf("List(/sh, 1) = %+v, %v; want ship and a cursor", page, err)
	}
	page, _ = canned.List(ctx, s1.ID, "sh", page.Next, 1)
	if len(page.Items) != 1 || page.Items[0].Shortcut != "shoes" || page.Next != "" {
		t.Errorf("second page = %+v; want shoes and no cursor", page)
	}
	up, err := canned.Update(ctx, r.ID, "refunds", "Refunds take 3 days.")
	if err != nil || up.Shortcut != "refunds" || up.Text != "Refunds take 3 days." {
		t.Errorf("Update = %+v, %v", up, err)
	}
	if _, err := canned.Update(ctx, r.ID, "ship", "x"); !errors.Is(err, chat.ErrConflict) {
		t.Errorf("Update to a taken shortcut: %v; want ErrConflict", err)
	}
	if err := canned.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := canned.Get(ctx, r.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Get(deleted) = %v; want ErrNotFound", err)
	}
	if err := canned.Delete(ctx, r.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Delete(deleted) = %v; want ErrNotFound", err)
	}
}
