package chat

import "testing"

func TestIsFollowUp(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"and to Canada?", true},
		{"那香港呢？", true},
		{"那 Alaska 呢？", true},
		{"what about the blue one?", true},
		{"is it machine washable?", true},
		{"its going out of reno, whats the cutoff", true},
		{"is there free delivery there?", true},
		{"how much and is it free over some amount?", true},
		{"can i swap it for a smaller one for free?", true},
		{"这个多少钱", true},
		{"它能带上飞机吗", true},
		{"那个 RMA number 去哪里拿", true},
		{"can I still return it today?", true}, // "it" points back; "today" only says when
		{"what colours?", true},                // an attribute of what was asked about
		{"多少钱？", true},
		{"which colours does it come in and can it go in the oven", true}, // two questions about one thing
		{"do they come in a size small?", true},
		{"多少钱 有没有XXL的", true},                         // a price and a size, of what was asked about
		{"是纯羊毛的吗？会不会扎", true},                         // the material, and whether it itches
		{"any in navy or olive? and the price", true}, // colours
		{"ok how long does the batery last", true},    // a mistyped attribute
		{"啥时候补货", true},                               // when: a filler, then the restock it asks for
		{"什么时候补货", true},

		{"is there a warranty on lamps?", false},
		{"are there any discounts this week?", false},
		{"How long do I have to return a sweater that does not fit?", false},
		{"do you ship to Germany", false},
		{"运费怎么算，满多少包邮？", false},
		{"refund policy?", false},
		{"what is your return policy and how long do refunds take once you have it back", false}, // long: its own question
	} {
		if got := isFollowUp(c.text); got != c.want {
			t.Errorf("isFollowUp(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// A follow-up that asks what was in the order, or where it is, continues an
// earlier question about the shopper's own order; the same words after a
// policy question do not make it one.
func TestAboutOwnOrderFollowUp(t *testing.T) {
	for _, c := range []struct {
		context, text string
		want          bool
	}{
		{"where is my order?", "and what was in it?", true},
		{"我的快递到哪了", "里面有什么", true},
		{"帮我看看我最近的订单", "里面都有啥？一共多少钱", true},
		{"hey what's in my latest order", "how much was it all together", true},
		{"how much is the linen shirt", "how much was it all together", false}, // not their order
		{"", "and what was in it?", false},
		{"what is your return policy?", "and what was in it?", false},
		{"where is my order?", "can I return a sweater that does not fit?", false},
		// what the shopper paid is their own order's
		{"我有个充电宝的订单", "一共付了多少钱", true},
		{"", "how much did i pay for the lamp", true},
		{"", "how much do i pay for shipping to canada", false},
		// an earlier message that says they ordered something
		{"hey i ordered some linen clothes over the weekend", "has it left yet? n whats the total again", true},
		{"我买了一个台灯", "发出去了吗", true},
		{"i ordered the wrong size", "can i swap it", false},
		{"", "i ordered the wrong size, can i swap it", false},
	} {
		q := &question{text: c.text, context: c.context}
		if got := aboutOwnOrder(q); got != c.want {
			t.Errorf("aboutOwnOrder(%q after %q) = %v, want %v", c.text, c.context, got, c.want)
		}
	}
}

func TestOtherMarketplace(t *testing.T) {
	for text, want := range map[string]bool{
		"can you check on my amazon order? its 3 days late": true,
		"帮我查一下京东的快递到哪了":                                     true,
		"拼多多买的东西怎么申请退款":                                     true,
		"how do i return something i bought at target":      true,
		"where is my order?":                                false,
		"is the tote made for shopping at the market?":      false,
	} {
		if got := otherMarketplace(text); got != want {
			t.Errorf("otherMarketplace(%q) = %v, want %v", text, got, want)
		}
	}
}
