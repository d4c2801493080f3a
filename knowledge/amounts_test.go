package knowledge

import "testing"

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
