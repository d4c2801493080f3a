package chat

import (
	"strings"
	"testing"
	"time"
)

// An order says when it was placed, whatever its status: "是 cancel 了吗？
// 什么时候下的单" is answered by the order alone.
func TestDescribeOrderSaysWhenItWasPlaced(t *testing.T) {
	placed := time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)
	o := OrderSummary{Number: "LL-100384", Status: "cancelled", Total: 69, Currency: "USD", Created: &placed}
	for lang, want := range map[string]string{"en": "Order LL-100384 (placed 2026-11-19) was cancelled", "zh": "订单 LL-100384 已取消（2026-11-19 下单）"} {
		if got := describeOrder(lang, o); !strings.HasPrefix(got, want) {
			t.Errorf("describeOrder(%s) = %q, want it to start %q", lang, got, want)
		}
	}
}
