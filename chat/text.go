package chat

import (
	"fmt"
	"strings"
	"time"

	"kefu/retrieval"
)

// Lang is the language kefu answers in: "zh" or "en".
func Lang(text, locale string) string {
	cjk, letters := 0, 0
	for _, r := range text {
		if retrieval.IsCJK(r) {
			cjk++
		} else if r < 0x80 && (r|0x20 >= 'a' && r|0x20 <= 'z') {
			letters++
		}
	}
	switch {
	case cjk > 0 && cjk*3 >= letters/4: // a few Chinese characters outweigh English loanwords
		return "zh"
	case letters > 0:
		return "en"
	case strings.HasPrefix(strings.ToLower(locale), "zh"):
		return "zh"
	}
	return "en"
}

// phrases are the bot's fixed sentences, in English and Chinese.
var phrases = map[string][2]string{
	"greeting":  {"Hi! I'm the shop's assistant. Ask me about orders, shipping, returns or products — or ask for a person any time.", "您好！我是店铺的智能客服，可以帮您查询订单、配送、退换货和商品问题，也可以随时为您转接人工客服。"},
	"goodbye":   {"Thanks for chatting with us — have a lovely day!", "感谢您的咨询，祝您生活愉快！"},
	"found":     {"Here is what our help pages say:", "根据我们的帮助文档："},
	"no_answer": {"I'm not sure about that one, and I'd rather not guess. Would you like me to bring in a person from our team?", "这个问题我不太确定，不想随便回答您。需要我为您转接人工客服吗？"},
	"no_answer_order": {"I'm not sure about that one, and I'd rather not guess. If it's about a specific order, send me the order number and the email you ordered with and I'll look at it — or I can bring in a person from our team.",
		"这个问题我不太确定，不想随便回答您。如果是具体某个订单，请发送订单号和下单邮箱，我来帮您查；也可以为您转接人工客服。"},
	"queued":        {"I've asked a person from our team to join. Expected wait: about %d minutes. You can keep writing here.", "已为您转接人工客服，预计等待约 %d 分钟。您可以继续在这里留言。"},
	"queued_soon":   {"I've asked a person from our team to join; someone will be with you shortly.", "已为您转接人工客服，马上就会有人来为您服务。"},
	"closed":        {"Our team is away right now — we're back %s. Leave your email here and we'll reply; this conversation stays in our queue.", "我们的客服现在不在线，将于%s回来。请留下您的邮箱，我们会回复您，本次对话会保留在排队中。"},
	"no_agents":     {"No one from our team is online right now. Leave your email here and we'll reply as soon as we're back — this conversation stays in our queue.", "目前没有在线的人工客服。请留下您的邮箱，我们上线后会第一时间回复您，本次对话会保留在排队中。"},
	"email_saved":   {"Thanks — we'll reply to %s.", "好的，我们会回复到 %s。"},
	"agent_joined":  {"%s has joined the conversation.", "%s 已加入对话。"},
	"handback":      {"You're back with the assistant. Ask me anything, or ask for a person again any time.", "现在由智能客服继续为您服务，如需人工客服可随时告诉我。"},
	"resolved":      {"This conversation was marked as resolved. Write again any time.", "本次对话已结束，如有其他问题欢迎随时留言。"},
	"verify_order":  {"I can look that up. For your security, please tell me the email address you used for order %s.", "我可以帮您查询。为了您的账户安全，请提供订单 %s 下单时使用的邮箱。"},
	"ask_order":     {"Which order is it about? Please send the order number (for example LL-100123) and the email you ordered with.", "请问是哪个订单呢？请发送订单号（例如 LL-100123）以及下单时使用的邮箱。"},
	"order_unknown": {"I couldn't find an order %s with that email. Please check the number and the email you ordered with.", "没有找到与该邮箱匹配的订单 %s，请核对订单号和下单邮箱。"},
	"verify_failed": {"I can't look up orders right now. Please try again in a few minutes, or ask for a person.", "暂时无法查询订单，请过几分钟再试，或转接人工客服。"},
	"verify_limit":  {"Too many attempts to look up orders. Please wait a few minutes, or ask for a person.", "查询订单的尝试次数过多，请稍后再试，或转接人工客服。"},
	"rate_limited":  {"You're sending messages faster than I can keep up. Please wait a moment — nothing you wrote is lost.", "您发送消息太快啦，请稍等片刻——您的消息都已保存。"},
	"budget":        {"Our assistant is resting for today. A person from our team will get back to you.", "今天的智能客服额度已用完，我们的工作人员会尽快回复您。"},
	"no_orders":     {"I don't see any orders for your account yet.", "您的账户下暂时没有订单。"},
	"your_orders":   {"Your recent orders:", "您最近的订单："},
	"products":      {"Here are some products that match:", "为您找到以下相关商品："},
	"products_over": {"I couldn't find anything that matches under %s. The least expensive that come close:",
		"没有找到 %s 以内符合条件的商品。最接近的几款（价格从低到高）："},
	"products_other_currency": {"Our prices are in %s, so I can't compare them with the amount you gave exactly. Here are the least expensive that match:",
		"我们的商品以 %s 标价，没法和您说的金额直接比较。以下是符合条件里价格最低的几款："},
	"related":        {"Based on what you've bought from us before, you might like:", "根据您之前买过的东西，您可能会喜欢："},
	"in_stock":       {"In stock", "有货"},
	"in_stock_count": {"In stock: %d available", "有货（库存 %d 件）"},
	"out_of_stock":   {"Out of stock", "暂时缺货"},
	"not_in":         {"It doesn't come in %s.", "没有%s的。"},
	"follow_up":      {"A person from our team will also follow up here as soon as they're back.", "人工客服回来后也会在这里跟进。"},
	"follow_up_soon": {"A person from our team will also reply here shortly.", "人工客服也会很快在这里回复您。"},
	"waiting_unsure": {"I'm not sure about that one, and I'd rather not guess. A person from our team will follow up here as soon as they're back.", "这个问题我不太确定，不想随便回答您。人工客服回来后会在这里跟进。"},
	"thanks":         {"You're welcome! Anything else I can help with?", "不客气！还有什么可以帮您的吗？"},
	"from_english":   {"", "（以下内容摘自英文帮助文档）"},
	"offer_check":    {"Want me to check your order %s?", "需要我帮您查一下订单 %s 吗？"},
	"offer_check_unverified": {"If it's about a specific order, send me the order number and the email you ordered with and I'll check it.",
		"如果是具体某个订单，请发送订单号和下单邮箱，我来帮您查。"},
}

// say returns phrase key in lang, formatted with args.
func say(lang, key string, args ...any) string {
	p := phrases[key]
	s := p[0]
	if lang == "zh" {
		s = p[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

var statusNames = map[string][2]string{
	"processing": {"is being prepared", "正在备货中"},
	"shipped":    {"has shipped", "已发货"},
	"delivered":  {"was delivered", "已签收"},
	"cancelled":  {"was cancelled", "已取消"},
	"refunded":   {"was refunded", "已退款"},
}

// AnsweredFromOrders reports whether the bot answers intent from the
// shopper's own orders rather than the knowledge base (insights leave such
// questions out of knowledge gaps).
func AnsweredFromOrders(intent string) bool { return orderIntents[intent] }

// OrderSummary is the facts of an order the bot may state.
type OrderSummary struct {
	Number, Status, Carrier, Tracking string
	Total                             float64
	Currency                          string
	Created, Shipped, Delivered       *time.Time
	Items                             []string
}

// describeOrder states an order's status from its row, in lang.
func describeOrder(lang string, o OrderSummary) string {
	st := statusNames[o.Status]
	day := func(t *time.Time) string { return t.Format("2006-01-02") }
	var b strings.Builder
	if lang == "zh" {
		fmt.Fprintf(&b, "订单 %s %s", o.Number, st[1])
		if o.Created != nil {
			fmt.Fprintf(&b, "（%s 下单）", day(o.Created))
		}
		if o.Carrier != "" {
			fmt.Fprintf(&b, "，承运商 %s", o.Carrier)
		}
		if o.Tracking != "" {
			fmt.Fprintf(&b, "，运单号 %s", o.Tracking)
		}
		if o.Shipped != nil {
			fmt.Fprintf(&b, "，发货日期 %s", day(o.Shipped))
		}
		if o.Delivered != nil {
			fmt.Fprintf(&b, "，签收日期 %s", day(o.Delivered))
		}
		fmt.Fprintf(&b, "。订单金额 %.2f %s。", o.Total, o.Currency)
		if len(o.Items) > 0 {
			fmt.Fprintf(&b, "商品：%s。", strings.Join(o.Items, "，"))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "Order %s", o.Number)
	if o.Created != nil {
		fmt.Fprintf(&b, " (placed %s)", day(o.Created))
	}
	fmt.Fprintf(&b, " %s", st[0])
	if o.Carrier != "" {
		fmt.Fprintf(&b, " with %s", o.Carrier)
	}
	if o.Tracking != "" {
		fmt.Fprintf(&b, " (tracking number %s)", o.Tracking)
	}
	if o.Shipped != nil {
		fmt.Fprintf(&b, ", shipped on %s", day(o.Shipped))
	}
	if o.Delivered != nil {
		fmt.Fprintf(&b, ", delivered on %s", day(o.Delivered))
	}
	fmt.Fprintf(&b, ". Total: %.2f %s.", o.Total, o.Currency)
	if len(o.Items) > 0 {
		fmt.Fprintf(&b, " Items: %s.", strings.Join(o.Items, ", "))
	}
	return b.String()
}
