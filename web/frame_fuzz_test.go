package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeFrame feeds arbitrary bytes to the widget socket's frame
// decoder. Properties: it never panics; it accepts exactly the JSON objects
// with a non-empty string "type" (as encoding/json reads them); an accepted
// frame survives a round trip through JSON unchanged; a rejected one gets
// errBadFrame, the message the client sees.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","visitor_token":null,"last_seq":0,"locale":"en"}`,
		`{"type":"hello","visitor_token":"vt_abc","last_seq":7,"identity":{"user_id":"u1","email":"a@b.c","hash":"ff"}}`,
		`{"type":"message","client_id":"m1","text":"where is LL-100234? 订单还没到"}`,
		`{"type":"csat","score":5,"comment":"great"}`,
		`{"type":"typing"}`, `{"type":"request_human"}`,
		`{"type":""}`, `{"no":"type"}`, `not json`, `[]`, `null`, `{"type":1}`,
		`{"type":"message","last_seq":1e400}`, `{"type":"message","text":"\ud800"}`,
		`{"TYPE":"hello","Last_Seq":-1}`, `{"type":"x","type":"y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		var probe struct {
			Type *string `json:"type"`
		}
		validObject := json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
		if err != nil {
			if err != errBadFrame {
				t.Fatalf("decodeFrame(%q) error = %v; want errBadFrame", data, err)
			}
			if !reflect.DeepEqual(fr, inFrame{}) {
				t.Fatalf("decodeFrame(%q) rejected but returned %+v", data, fr)
			}
			// Rejected: not an object, a field of the wrong type, or no type.
			if validObject && json.Unmarshal(data, &probe) == nil && probe.Type != nil && *probe.Type != "" {
				var full inFrame
				if json.Unmarshal(data, &full) == nil {
					t.Fatalf("decodeFrame(%q) rejected a well-typed frame with type %q", data, *probe.Type)
				}
			}
			return
		}
		if fr.Type == "" || !validObject {
			t.Fatalf("decodeFrame(%q) accepted %+v: not a JSON object with a type", data, fr)
		}
		enc, err := json.Marshal(fr)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", fr, err)
		}
		again, err := decodeFrame(enc)
		if err != nil {
			t.Fatalf("round trip of %q: %s rejected: %v", data, enc, err)
		}
		if !reflect.DeepEqual(fr, again) {
			t.Fatalf("round trip of %q changed the frame:\n%+v\n%+v", data, fr, again)
		}
	})
}
