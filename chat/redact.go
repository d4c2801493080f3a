package chat

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"kefu/internal/sites"
	"kefu/llm"
)

// Redaction masks secrets that shoppers type into the widget: payment card
// numbers (Luhn-checked, all but the last four digits masked), passwords and
// one-time codes. Engine.Post applies Redact before a message is stored, so
// the database, the logs, the model and agents only ever see the masked text.
//
// Why Luhn: order numbers, tracking numbers and phone numbers are also long
// digit runs; masking every one of them would hide what support needs.

// Mask is the character that replaces a hidden character.
const Mask = "*"

var (
	// cardRe finds 13–19 digits, optionally grouped with single spaces or dashes.
	cardRe = regexp.MustCompile(`\d(?:[ -]?\d){12,18}`)
	// secretRe finds "password is X", "密码是X", "验证码 123456", "OTP: 482913",
	// "code is 1234" and similar; group 1 is the lead-in, group 2 the secret.
	// A bare "code" needs a separator ("code is", "code:"), so "code 5 off" is
	// prose; promo, coupon, tracking and postal codes are not secrets.
	secretRe = regexp.MustCompile(`(?i)((?:\b(?:pass(?:word|wd|code)|pwd|pin|one[- ]time\s+(?:pass(?:word|code)?|code)|otp|2fa|(?:verification|security|auth(?:entication)?|login|sms)\s+code)\b|密码|口令|验证码|校验码|动态码|短信码)(?:\s*(?:is|was|=|:|：|是|为|為)\s*|\s+)` +
		`|\b(?:code)\s*(?:is|was|=|:|：)\s*)([^\s，。；！？、,;\p{Han}]+)`)
	// otpRe finds a bare code after a Chinese code word without a separator ("验证码483920").
	otpRe = regexp.MustCompile(`(验证码|校验码|动态码|密码)(\d{4,8})`)
	// notSecretBefore are words before "code" that make it a public code.
	notSecretBefore = regexp.MustCompile(`(?i)(promo|promotion|discount|coupon|voucher|gift|tracking|zip|postal|post|country|area|product|error|status|order|referral|invite|sku)\s*$`)
	// emailRe and phoneRe find contact details (see RedactContacts).
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	phoneRe = regexp.MustCompile(`\+\d(?:[ ()-]{0,2}\d){6,14}|\(\d{2,4}\)[ -]?\d(?:[ -]?\d){5,10}|\b\d{3,4}[ -]\d{3,4}[ -]\d{3,4}\b|\b1[3-9]\d{9}\b`)
)

// Redact returns text with card numbers, passwords and one-time codes masked.
func Redact(text string) string {
	text = maskCards(text)
	text = otpRe.ReplaceAllStringFunc(text, func(s string) string {
		m := otpRe.FindStringSubmatch(s)
		return m[1] + strings.Repeat(Mask, len(m[2]))
	})
	var b strings.Builder
	last := 0
	for _, ix := range secretRe.FindAllStringSubmatchIndex(text, -1) {
		lead, word := text[ix[2]:ix[3]], text[ix[4]:ix[5]]
		secret := trimTrailingPunct(word)
		if secret == "" || strings.Trim(secret, Mask) == "" || !looksSecret(secret) ||
			(strings.HasPrefix(strings.ToLower(lead), "code") && notSecretBefore.MatchString(text[:ix[0]])) {
			continue
		}
		b.WriteString(text[last:ix[4]])
		b.WriteString(strings.Repeat(Mask, utf8.RuneCountInString(secret)))
		last = ix[4] + len(secret)
	}
	b.WriteString(text[last:])
	return b.String()
}

// looksSecret reports whether a word after "code"/"password" is a value
// rather than ordinary prose ("the code for shipping" is not a secret).
func looksSecret(s string) bool {
	hasDigit := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			hasDigit = true
		}
	}
	if hasDigit {
		return true
	}
	switch strings.ToLower(s) {
	case "is", "for", "the", "a", "an", "to", "of", "and", "or", "not", "doesn't", "does", "didn't", "isn't",
		"was", "wasn't", "expired", "reset", "please", "again", "work", "works", "field", "please,":
		return false
	}
	// Chinese words (no digits) after 密码 are usually prose ("密码忘了"); keep them.
	for _, r := range s {
		if r > 0x2E80 {
			return false
		}
	}
	return len(s) >= 4
}

func trimTrailingPunct(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return strings.ContainsRune(".,;!?。，；！？)）\"'”’", r)
	})
}

// maskCards masks each card number in text; a digit run longer than a card
// (a tracking number, say) is left alone rather than masked in part.
func maskCards(text string) string {
	var b strings.Builder
	last := 0
	for _, ix := range cardRe.FindAllStringIndex(text, -1) {
		if (ix[0] > 0 && isDigit(text[ix[0]-1])) || (ix[1] < len(text) && isDigit(text[ix[1]])) {
			continue
		}
		b.WriteString(text[last:ix[0]])
		b.WriteString(maskCard(text[ix[0]:ix[1]]))
		last = ix[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// maskCard masks a Luhn-valid card number, keeping its separators and last four digits.
func maskCard(s string) string {
	digits := make([]byte, 0, 19)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	if len(digits) < 13 || len(digits) > 19 || !luhn(digits) {
		return s
	}
	keep := len(digits) - 4
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if n < keep {
				c = '*'
			}
			n++
		}
		b.WriteByte(c)
	}
	return b.String()
}

// luhn reports whether digits pass the Luhn checksum.
func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// RedactContacts masks email addresses and phone numbers (used for what is
// sent to the model when a site asks for it, see sites.Config.MaskContacts).
// A phone number is one written with a country code, an area code in
// parentheses, grouped digits (555-123-4567), or a Chinese mobile number;
// a bare run of digits stays, since order numbers look the same.
func RedactContacts(text string) string {
	text = emailRe.ReplaceAllString(text, "[email]")
	return phoneRe.ReplaceAllStringFunc(text, func(s string) string {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				n++
			}
		}
		if n < 7 || n > 15 {
			return s
		}
		return "[phone]"
	})
}

// RedactedPreview is shopper text as notifications show it (emails, desktop
// notifications): card numbers, passwords, codes, email addresses and phone
// numbers masked, whitespace folded, at most n characters.
func RedactedPreview(text string, n int) string {
	return snip(strings.Join(strings.Fields(RedactContacts(Redact(text))), " "), n)
}

// maskContacts masks contact details in the shopper's turns of a prompt and
// in the running summary inside its instructions (which quotes shoppers);
// knowledge passages keep the shop's own contact details.
func maskContacts(msgs []llm.Message, summary string) {
	for i := range msgs {
		switch msgs[i].Role {
		case "user":
			msgs[i].Content = RedactContacts(msgs[i].Content)
		case "system":
			if summary != "" {
				msgs[i].Content = strings.Replace(msgs[i].Content, summary, RedactContacts(summary), 1)
			}
		}
	}
}

// forModel returns text (a transcript of msgs) with contact details masked
// when the conversation's site masks them for the model.
func (e *Engine) forModel(ctx context.Context, msgs []Message, text string) string {
	if len(msgs) == 0 || e.opts.Store == nil {
		return text
	}
	conv, err := e.opts.Store.Conversation(ctx, msgs[0].ConversationID)
	var site *sites.Site
	if err == nil && e.opts.Sites != nil {
		site, err = e.opts.Sites.ByID(ctx, conv.SiteID)
	}
	if err != nil || site == nil || site.Config().MaskContacts {
		return RedactContacts(text) // unknown: err on the side of privacy
	}
	return text
}
