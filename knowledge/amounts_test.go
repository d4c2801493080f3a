package knowledge

import (
	"strings"
	"testing"
)

func TestChineseAmounts(t *testing.T) {
	for in, want := range map[string]string{"有没有三十美元以下的": "有没有30美元以下的", "一百块以内": "100块以内", "一百五十元以下": "150元以下",
		"一百五以内": "150以内", "两百元以上": "200元以上", "十块以下": "10块以下", "三十五刀": "35刀", "有没有蓝色的": "有没有蓝色的"} {
		if got := chineseAmounts(in); got != want {
			t.Errorf("chineseAmounts(%q) = %q, want %q", in, got, want)
		}
	}
	if q := ParseProductQuery("有没有三十美元以下的家居小东西"); q.MaxPrice != 30 {
		t.Errorf("三十美元以下: max price %v, want 30", q.MaxPrice)
	}
}

// A price limit keeps the currency it is written in, and its currency
// word is not a word of the question ("under 50 dollars" does not ask for
// what "dollars" expands to).
func TestPriceFilterCurrency(t *testing.T) {
	for text, want := range map[string]string{"100元以内有什么推荐的": "CNY", "一百块以内": "CNY", "lamps under ¥300": "CNY",
		"anything under $25": "USD", "any gift ideas under 50 dollars": "USD", "30美元以下": "USD", "under 40 quid": "GBP",
		"below €60": "EUR", "anything under 25": "", "有没有100块以内的灯 美金哈": "USD", "100块以内的 美元": "USD",
		"anything under 50, in euros": "EUR", "100元以内 不要美金标价的": "CNY", "有没有100块以内的菜刀": "CNY",
		"100块以内的 ship to europe": "CNY", "100美金以内的台灯": "USD", "五十欧元以下": "EUR", "under 20 quid": "GBP"} {
		q := ParseProductQuery(text)
		if q.MaxPrice == 0 || q.Currency != want {
			t.Errorf("%q: max %v currency %q, want a limit in %q", text, q.MaxPrice, q.Currency, want)
		}
	}
	if got := withoutPrices("any gift ideas under 50 dollars"); strings.Contains(got, "dollar") || !strings.Contains(got, "gift ideas") {
		t.Errorf("withoutPrices = %q", got)
	}
	if q := ParseProductQuery("100元以内"); q.ComparesPrice("USD") || !q.ComparesPrice("CNY") {
		t.Error("a limit in CNY compares with USD prices")
	}
}
