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
