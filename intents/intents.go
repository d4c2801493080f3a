// Package intents understands shopper messages in English and Chinese: which
// intent a message carries (with a calibrated "other" for anything out of
// scope), its sentiment, the entities in it (order numbers, e-mails, phone
// numbers, amounts), and how well all that is measured.
//
// The built-in intent classifier is a softmax regression over hashed word,
// character and CJK n-gram features (from retrieval.Tokenize), trained at
// start-up from the examples in data/ in well under a second. The built-in
// sentiment analyzer is a lexicon with rules (negation, intensifiers,
// contrast, emoji, punctuation, shouting), and a shop can train its own
// linear sentiment model instead. Sites can add their own intents and
// examples; Service retrains a site's model and swaps it in without a restart.
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
		{Goodbye, "ends the chat, says bye or thanks to close"},
		{HumanAgent, "asks to talk to a person, a human agent or a manager instead of the bot"},
		{OrderStatus, "asks where an order is, whether it shipped, or for tracking"},
		{CancelOrder, "wants to cancel an order"},
		{ChangeOrder, "wants to change items, size, colour or quantity of an existing order"},
		{ShippingAddress, "wants to set or change the delivery address"},
		{DeliveryInfo, "asks about shipping options, costs, delivery times or regions in general"},
		{ReturnRefund, "wants to return or exchange an item, or asks for a refund or the return policy"},
		{RefundStatus, "asks about a refund already requested: when the money arrives"},
		{PaymentIssue, "a payment failed, was declined, charged twice or is disputed"},
		{PaymentMethods, "asks which payment methods, cards, wallets or instalments are accepted"},
		{Invoice, "asks for an invoice, receipt or VAT/tax document"},
		{Account, "login, password, sign-up, profile or account deletion"},
		{ProductQuestion, "asks about a product: size, material, stock, compatibility, use"},
		{Complaint, "complains about a product, a delivery or the service"},
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
