package chat

import "testing"

func TestUnitsTableRows(t *testing.T) {
	whole := "Rates per order.\n\nDestination | Cost | Transit time\nCanada | $12.95 | 4–8 business days\nRest of the world | $29.95 | 5–10 business days"
	got := units(whole)
	if len(got) != 3 || got[1].text != "Destination: Canada · Cost: $12.95 · Transit time: 4–8 business days" || !got[1].row {
		t.Fatalf("units of a passage with a table: %+v; want a sentence and two rows named by the header", got)
	}
	// A passage that starts inside a table (its header is in the chunk
	// before) does not take its first row for the column names.
	cont := "美国本土 48 州 | 里诺 | UPS Next Day Air | $29.95 | 不包邮 | 1 个工作日\n加拿大 | 里诺 | UPS Standard | $12.95 | 满 $99 | 4–8 个工作日"
	got = units(cont)
	if len(got) != 2 || got[0].text != "美国本土 48 州 · 里诺 · UPS Next Day Air · $29.95 · 不包邮 · 1 个工作日" ||
		got[1].text != "加拿大 · 里诺 · UPS Standard · $12.95 · 满 $99 · 4–8 个工作日" {
		t.Fatalf("units of a continued table: %+v; want both rows, without column names", got)
	}
}
