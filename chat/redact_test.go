package chat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"kefu/chat"
	"kefu/internal/fakellm"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"visa plain", "my card is 4111111111111111 thanks", "my card is ************1111 thanks"},
		{"visa spaces", "card 4111 1111 1111 1111", "card **** **** **** 1111"},
		{"mastercard dashes", "5555-5555-5555-4444 exp 12/29", "****-****-****-4444 exp 12/29"},
		{"amex 15 digits", "amex 378282246310005", "amex ***********0005"},
		{"chinese card", "我的卡号是6222 0212 3456 7890 123？", "我的卡号是6222 0212 3456 7890 123？"}, // fails Luhn: kept
		{"chinese luhn card", "卡号6011111111111117请退款", "卡号************1117请退款"},
		{"not luhn", "order 4111111111111112 please", "order 4111111111111112 please"},
		{"order number kept", "where is order #100234?", "where is order #100234?"},
		{"too short", "1234 5678 9012", "1234 5678 9012"},
		{"longer digit run kept", "tracking 41111111111111110000", "tracking 41111111111111110000"},
		{"pass is not password", "I want to pass 5 items", "I want to pass 5 items"},
		{"password is", "my password is hunter2!", "my password is *******!"},
		{"password colon", "Password: S3cret-pw", "Password: *********"},
		{"chinese password", "我的密码是abc12345，登录不了", "我的密码是********，登录不了"},
		{"chinese password wei", "密码为 qwerty123", "密码为 *********"},
		{"verification code zh", "验证码 483920", "验证码 ******"},
		{"verification code zh joined", "验证码483920收到了吗", "验证码******收到了吗"},
		{"verification code zh shi", "短信验证码是 123456", "短信验证码是 ******"},
		{"otp colon", "OTP: 482913", "OTP: ******"},
		{"code is", "the code is 1234", "the code is ****"},
		{"verification code en", "verification code 7788 didn't work", "verification code **** didn't work"},
		{"promo code kept", "promo code: SAVE10 failed", "promo code: SAVE10 failed"},
		{"tracking code kept", "tracking code is 1Z999", "tracking code is 1Z999"},
		{"prose kept", "I forgot my password", "I forgot my password"},
		{"prose password reset", "password reset does not work", "password reset does not work"},
		{"prose zh kept", "密码忘了怎么办", "密码忘了怎么办"},
		{"code prose kept", "is there a discount code for students", "is there a discount code for students"},
		{"nothing", "hello, where is my parcel?", "hello, where is my parcel?"},
		{"both", "card 4111-1111-1111-1111 and pin 4321", "card ****-****-****-1111 and pin ****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chat.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactContacts(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"email", "reach me at ann.lee+shop@example.co.uk.", "reach me at [email]."},
		{"intl phone", "call +44 20 7946 0958", "call [phone]"},
		{"us phone", "call (555) 123-4567 today", "call [phone] today"},
		{"grouped", "tel 555-123-4567", "tel [phone]"},
		{"cn mobile", "手机13812345678联系我", "手机[phone]联系我"},
		{"cn email", "邮箱是wang@163.com谢谢", "邮箱是[email]谢谢"},
		{"order number kept", "order 10023456 is late", "order 10023456 is late"},
		{"nothing", "where is my parcel", "where is my parcel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chat.RedactContacts(tt.in); got != tt.want {
				t.Errorf("RedactContacts(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// What reaches the model: card numbers and codes never; emails and phone
// numbers only when the site does not mask them.
func TestRedactionBeforeModel(t *testing.T) {
	const text = "my card 4111 1111 1111 1111 and OTP: 482913 failed; email zoe@example.com or call +44 20 7946 0958"
	tests := []struct {
		mask        bool
		sent, never []string
	}{
		{false, []string{"**** **** **** 1111", "zoe@example.com", "+44 20 7946 0958"}, []string{"4111 1111 1111 1111", "482913"}},
		{true, []string{"**** **** **** 1111", "[email]", "[phone]"}, []string{"4111 1111 1111 1111", "482913", "zoe@example.com", "7946"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("mask_contacts=%v", tt.mask), func(t *testing.T) {
			f := newFixture(t, true)
			f.fake.Respond(func(r fakellm.Request) fakellm.Reply { return fakellm.Reply{Text: "I will ask a colleague."} })
			site, err := f.sites.UpdateSettings(context.Background(), f.site.Key, map[string]any{"mask_contacts": tt.mask})
			if err != nil {
				t.Fatal(err)
			}
			*f.site = *site
			v := f.visitor("en")
			v.say(text)
			v.say("anything else?") // the first message is now history
			reqs := f.fake.Requests()
			if len(reqs) == 0 {
				t.Fatal("the model was not called")
			}
			for i, r := range reqs {
				prompt := r.Prompt()
				for _, s := range tt.never {
					if strings.Contains(prompt, s) {
						t.Errorf("request %d contains %q:\n%s", i, s, prompt)
					}
				}
				for _, s := range tt.sent {
					if !strings.Contains(prompt, s) {
						t.Errorf("request %d lacks %q:\n%s", i, s, prompt)
					}
				}
			}
		})
	}
}
