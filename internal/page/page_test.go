package page

import "testing"

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 50, 0: 50, 1: 1, 200: 200, 201: 50} {
		if got := Limit(in); got != want {
			t.Errorf("Limit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	id := func(n int) string { return string(rune('a' + n)) }
	if p := Of([]int{0, 1, 2}, 2, id); len(p.Items) != 2 || p.Next != "b" {
		t.Errorf("one row more than the limit: %+v; want 2 items, next after b", p)
	}
	if p := Of([]int{0, 1}, 2, id); len(p.Items) != 2 || p.Next != "" {
		t.Errorf("the last page: %+v; want no next", p)
	}
	if p := Of[int](nil, 2, id); p.Items == nil || len(p.Items) != 0 {
		t.Errorf("nothing: %+v; want an empty, non-nil list", p)
	}
}
