package datasets

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestABCDSamplesKeepsCustomerTurns(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "abcd_ecommerce_guidelines_kb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := `[{"convo_id": 7, "scenario": {"flow": "product_defect", "subflow": "refund_status"},
	  "original": [["agent", "hi"], ["customer", "where is my refund"], ["action", "lookup"], ["customer", "thanks"]]}]`
	if err := os.WriteFile(filepath.Join(dir, "abcd_sample.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ABCDSamples(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []ABCDDialogue{{ID: 7, Flow: "product_defect", Subflow: "refund_status", Customer: []string{"where is my refund", "thanks"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "abcd_sample.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ABCDSamples(root); err == nil {
		t.Fatal("broken JSON must be an error")
	}
}
