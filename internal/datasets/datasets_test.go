package datasets

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestHalves(t *testing.T) {
	dev, held := Halves([]int{0, 1, 2, 3, 4})
	if !reflect.DeepEqual(dev, []int{1, 3}) || !reflect.DeepEqual(held, []int{0, 2, 4}) {
		t.Fatalf("dev %v held %v", dev, held)
	}
}

func TestHINT3ReadsTheExtraColumnFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "en_hint3", "dataset", "v2", "train")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// powerplay11's train file has a third, empty column.
	data := "sentence,label,\nhow do I withdraw,WITHDRAWAL,\n\"refer, a friend\",REFERRAL,\n,EMPTY,\n"
	if err := os.WriteFile(filepath.Join(dir, "powerplay11_train.csv"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := HINT3(root, "powerplay11", "train")
	if err != nil {
		t.Fatal(err)
	}
	want := []Labeled{{"how do I withdraw", "WITHDRAWAL"}, {"refer, a friend", "REFERRAL"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := HINT3(root, "curekart", "train"); err == nil {
		t.Fatal("a missing file must be an error")
	}
}

func TestBanking77UnknownHoldsOutEveryFourthIntent(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "banking77")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var data string
	for _, l := range []string{"h", "g", "f", "e", "d", "c", "b", "a"} { // sorted: a b c d e f g h
		data += "text for " + l + "," + l + "\n"
	}
	for _, split := range []string{"train", "test"} {
		if err := os.WriteFile(filepath.Join(dir, split+".csv"), []byte("text,category\n"+data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	train, test, unknown, err := Banking77Unknown(root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(unknown, []string{"d", "h"}) {
		t.Fatalf("unknown = %v; want the 4th and 8th intents by name, [d h]", unknown)
	}
	if len(train) != 6 || len(test) != 8 {
		t.Fatalf("train %d, test %d examples; want 6 (known intents only) and 8 (all)", len(train), len(test))
	}
	for _, ex := range train {
		if ex.Label == "d" || ex.Label == "h" {
			t.Errorf("train has %v; want no unknown intent", ex)
		}
	}
	for _, ex := range test {
		if want := map[bool]string{true: "oos", false: ex.Text[len("text for "):]}[ex.Text == "text for d" || ex.Text == "text for h"]; ex.Label != want {
			t.Errorf("test %q labelled %q; want %q", ex.Text, ex.Label, want)
		}
	}
}
