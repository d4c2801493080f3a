// Package intents understands shopper messages in English and Chinese: which
// intent a message carries (with a calibrated "other" for anything out of
// scope), whether it reports a problem or asks, its sentiment, the entities
// in it (order numbers, e-mails, phone numbers, amounts), and how well all
// that is measured.
//
// The built-in intent classifier is a softmax regression over hashed word,
// character and CJK n-gram features (from retrieval.Tokenize), trained at
// start-up from the examples in data/. The built-in sentiment analyzer
// (SentimentClassifier) and problem detector (ProblemDetector) are small
// logistic regressions over n-grams plus the cues of a hand-written lexicon
// with rules (negation, intensifiers, contrast, emoji, punctuation,
// shouting), trained once per process in a fraction of a second; the rules
// alone (Analyzer) still decide anger, and a shop can train its own linear
// sentiment model instead. Sites can add their own intents and examples;
// Service retrains a site's model and swaps it in without a restart.
//
// Invariants: trained models are immutable and safe for concurrent use;
// training is deterministic for given data and options; nothing is ever
// learned or calibrated from the held-out test files in data/.
package intents

// Intent names of the built-in taxonomy.
const (
	Greeting        = "greeting"
	Goodbye         = "goodbye"
	HumanAgent      = "human_agent"
	OrderStatus     = "order_status"
	CancelOrder     = "cancel_order"
	ChangeOrder     = "change_order"
	ShippingAddress = "shipping_address"
	DeliveryInfo    = "delivery_info"
	ReturnRefund    = "return_refund"
	RefundStatus    = "refund_status"
	PaymentIssue    = "payment_issue"
	PaymentMethods  = "payment_methods"
	Invoice         = "invoice"
	Account         = "account"
	ProductQuestion = "product_question"
	Complaint       = "complaint"
	Feedback        = "feedback"
	Thanks          = "thanks"
	Exchange        = "exchange"
	DeliveryProblem = "delivery_problem"
	Discount        = "discount"
	Stock           = "stock"
	// Other is out of scope: nothing the shop's customer service handles, or
	// a message the classifier is not confident about.
	Other = "other"
)

// IntentInfo names an intent and says what it covers (shown to a language
// model, and in the console).
type IntentInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Taxonomy returns the built-in intents with their descriptions, Other last.
func Taxonomy() []IntentInfo {
	return []IntentInfo{
		{Greeting, "says hello or opens the chat without a request yet"},
		{Goodbye, "ends the chat: says bye, or that's all (thanks included)"},
		{Thanks, "thanks the shop or the agent without closing the chat or asking anything new"},
		{HumanAgent, "asks to talk to a person, a human agent or a manager instead of the bot"},
		{OrderStatus, "asks where an order is, whether it shipped, when it arrives, or for tracking"},
		{CancelOrder, "wants to cancel an order"},
		{ChangeOrder, "wants to change items, size, colour or quantity of an order before it ships"},
		{ShippingAddress, "wants to set or change the delivery address"},
		{DeliveryInfo, "asks how delivery works: shipping cost, delivery times, regions and countries served, carriers, pick-up"},
		{DeliveryProblem, "a delivery went wrong or may go wrong: late, stuck, lost, missing items, damaged, or the wrong item received"},
		{ReturnRefund, "wants to return an item or get a refund, or asks about the return policy"},
		{Exchange, "wants to exchange an item received: another size or colour, or a replacement for a faulty one"},
		{RefundStatus, "asks about a refund already requested: when the money arrives"},
		{PaymentIssue, "a payment problem: declined, failed, charged twice or the wrong amount, disputed"},
		{PaymentMethods, "asks how paying works: payment methods, cards, wallets, currency, instalments, when the card is charged"},
		{Discount, "discounts, coupons, promo codes, vouchers, sales and member offers (also a code that does not work)"},
		{Invoice, "asks for an invoice, receipt or VAT/tax document"},
		{Account, "login, password, sign-up, profile or account deletion"},
		{ProductQuestion, "asks about a product: size, material, price, compatibility, use, warranty, or what to buy"},
		{Stock, "asks whether something is in stock, when it is restocked, or about pre-orders and back-orders"},
		{Complaint, "complains about a product, the service or the shop in general"},
		{Feedback, "gives praise, a suggestion or general feedback"},
		{Other, "anything else: out of scope for the shop's customer service"},
	}
}

// IsBuiltinIntent reports whether name is in the built-in taxonomy.
func IsBuiltinIntent(name string) bool {
	for _, in := range Taxonomy() {
		if in.Name == name {
			return true
		}
	}
	return false
}
