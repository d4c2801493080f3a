package datasets

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ABCDDialogue is one of ABCD's sample conversations (MIT): its flow and
// subflow (ABCD's intent) and the customer's turns in order.
type ABCDDialogue struct {
	ID            int
	Flow, Subflow string
	Customer      []string
}

// ABCDSamples reads abcd_sample.json: only 3 dialogues are in the shared
// folder (the full 10,042 were not obtained; see its SOURCE.md).
func ABCDSamples(root string) ([]ABCDDialogue, error) {
	path := filepath.Join(root, "abcd_ecommerce_guidelines_kb", "abcd_sample.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw []struct {
		ID       int `json:"convo_id"`
		Scenario struct {
			Flow    string `json:"flow"`
			Subflow string `json:"subflow"`
		} `json:"scenario"`
		Original [][2]string `json:"original"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out := make([]ABCDDialogue, 0, len(raw))
	for _, d := range raw {
		dl := ABCDDialogue{ID: d.ID, Flow: d.Scenario.Flow, Subflow: d.Scenario.Subflow}
		for _, turn := range d.Original {
			if turn[0] == "customer" {
				dl.Customer = append(dl.Customer, turn[1])
			}
		}
		out = append(out, dl)
	}
	return out, nil
}
